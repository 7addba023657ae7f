"""Where the engine keeps images: its graph driver (overlay2) or containerd's snapshotters (the
containerd image store, the default of new Docker 29 installs), which changes what image IDs,
`docker rmi` and the build cache's records mean."""

from __future__ import annotations

from typing import Any

CONTAINERD_SNAPSHOTTER = ["driver-type", "io.containerd.snapshotter.v1"]


def image_store(info: dict[str, Any]) -> str:
    """`containerd` when the engine keeps images in containerd's snapshotters, else its graph
    driver (`overlay2`), from the engine's `docker info`."""
    if CONTAINERD_SNAPSHOTTER in (info.get("DriverStatus") or []):
        return "containerd"
    return str(info.get("Driver") or "?")
