"""Shared fixtures. Real-engine fixtures start Debian's dockerd when none answers (as root)
and remove exactly what the session created, also after a failure."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """A Docker Engine that answers, and a janitor for what the tests create on it."""
    import dockerlab

    done = subprocess.run([str(ROOT / ".ci/ensure-engine")], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"no Docker Engine for the real-engine tests: {done.stderr.strip()}")
    janitor = dockerlab.Janitor()
    janitor.start()
    try:
        dockerlab.build_base_image(tmp_path_factory.mktemp("base"))
        yield janitor
    finally:
        janitor.clean()


@pytest.fixture
def project(engine, tmp_path):
    """A fresh seed-shaped git project; its image and container are removed afterwards."""
    import dockerlab

    made = dockerlab.Project.create(tmp_path)
    yield made
    dockerlab.docker("rm", "-f", "-v", made.container, check=False)


@pytest.fixture
def port_containers(engine):
    """Containers of one test that publish a port (dockerlab.PortContainers), removed afterwards."""
    import dockerlab

    made = dockerlab.PortContainers()
    yield made
    made.remove()


@pytest.fixture
def port_listener():
    """A port on 127.0.0.1 this test process listens on: a host process holding it."""
    import dockerlab

    with dockerlab.listening_port() as port:
        yield port
