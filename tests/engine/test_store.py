"""Which image store an engine uses, from its `docker info`; on the real engine, the one the
session's engine was started with."""

from __future__ import annotations

import dockerlab
import pytest

from runner.engine.store import image_store


def test_the_containerd_snapshotter_is_the_containerd_store():
    assert image_store({"Driver": "overlayfs", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}) \
        == "containerd"
    assert image_store({"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]]}) == "overlay2"
    assert image_store({}) == "?"


@pytest.mark.engine
def test_the_session_engines_store(engine):
    import docker

    info = docker.from_env().info()
    assert image_store(info) == ("containerd" if dockerlab.ENGINE.containerd_store else "overlay2")
