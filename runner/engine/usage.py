"""The engine's disk usage (`docker system df`): images, containers, volumes, build cache."""

from __future__ import annotations

import time
from typing import Any

ATTEMPTS = 60  # about 20 s in all
# Passing states, not answers: another client's computation, and (containerd image store, 26.1)
# the snapshot of a container that is being removed while the engine counts it.
TRANSIENT = ("already running", "rw layer snapshot not found")


def disk_usage(client: Any, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """The engine computes disk usage one client at a time and refuses the others ("a disk usage
    operation is already running"): wait for the one running (another tool, another test), and
    ask again when a container vanished under the count.

    `only` names the kinds to count ("build-cache", "image", "container", "volume"): from API
    1.42 (Docker 23) the engine then skips the others, which with the containerd image store
    is most of the work (1.8 s against 0.4 s with 45 images). Older engines count everything;
    the answer has the same shape."""
    from docker.errors import APIError

    for attempt in range(ATTEMPTS):
        try:
            if not only:
                return client.df()
            api = getattr(client, "api", client)
            return api._result(api._get(api._url("/system/df"), params={"type": list(only)}), True)
        except APIError as exc:
            if not any(passing in str(exc) for passing in TRANSIENT) or attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.05 + 0.01 * attempt)
    raise AssertionError("unreachable")


def build_cache_records(client: Any) -> list[dict[str, Any]]:
    """The engine's build-cache records (ID, Parent(s), Type, Description, CreatedAt, ...)."""
    return disk_usage(client, only=("build-cache",)).get("BuildCache") or []
