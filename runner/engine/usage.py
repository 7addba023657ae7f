"""The engine's disk usage (`docker system df`): images, containers, volumes, build cache."""

from __future__ import annotations

import time
from typing import Any

ATTEMPTS = 60  # about 20 s in all
# Passing states, not answers: another client's computation, and (containerd image store, 26.1)
# the snapshot of a container that is being removed while the engine counts it.
TRANSIENT = ("already running", "rw layer snapshot not found")


def disk_usage(client: Any) -> dict[str, Any]:
    """The engine computes disk usage one client at a time and refuses the others ("a disk usage
    operation is already running"): wait for the one running (another tool, another test), and
    ask again when a container vanished under the count."""
    from docker.errors import APIError

    for attempt in range(ATTEMPTS):
        try:
            return client.df()
        except APIError as exc:
            if not any(passing in str(exc) for passing in TRANSIENT) or attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.05 + 0.01 * attempt)
    raise AssertionError("unreachable")
