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


PRUNE_BATCH = 200  # IDs per engine call: ~5 kB of query string, far under any server's limit
PRUNE_ROUNDS = 64  # levels of parents: a lab's deepest chain is about a dozen


def prune_build_cache_records(client: Any, ids: list[str] | set[str], filters: dict[str, str] | None = None,
                              all_: bool = True) -> list[str]:
    """`docker builder prune` of exactly these records: the IDs deleted.

    The engine passes an `id` filter to BuildKit as a regular expression (`id~=VALUE`;
    verified on 20.10, 26.1 and the containerd store), so one call names many records, each
    anchored whole: `^(a|b)$`. A record with children stays while they exist: 26.1's BuildKit
    then prunes again within the call, 20.10's does not (one level per call), so the call is
    repeated for the records left until one deletes nothing. One call per record instead
    cost 0.06-1 s each: minutes for a lab's few hundred records on the containerd store. IDs
    must be plain words: a filter built from them can never match a record not named."""
    api = getattr(client, "api", client)
    left = sorted(set(ids))
    unsafe = [rid for rid in left if not rid.isalnum()]
    if unsafe:
        raise ValueError(f"not a build-cache record ID: {unsafe[0]!r}")
    deleted: list[str] = []
    for _ in range(PRUNE_ROUNDS):
        gone: set[str] = set()
        for start in range(0, len(left), PRUNE_BATCH):
            batch = left[start:start + PRUNE_BATCH]
            answer = api.prune_builds(filters={**(filters or {}), "id": "^(" + "|".join(batch) + ")$"},
                                      all=all_ or None) or {}
            gone.update(answer.get("CachesDeleted") or [])
        deleted += sorted(gone)
        left = [rid for rid in left if rid not in gone]
        if not gone or not left:
            break
    return deleted

