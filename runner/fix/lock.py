"""One `runner fix` at a time per container and engine, across processes: two fixes that both
recreated a container left it down (one said "left stopped", the other "could not restore").
`diagnose` only reads and never waits for it."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from runner.errors import RunnerError
from runner.state import state_dir, usable_dir


class FixBusy(RunnerError):
    """Another fix holds the container, and the person asked not to wait (--no-wait)."""


def locks_dir() -> Path:
    return state_dir("locks")


def fix_target(params: dict[str, str], playbook: str) -> str:
    """What a fix changes: the container when the playbook names one, else the playbook's
    parameters (a fix of a build context, say)."""
    if params.get("container"):
        return f"container {params['container']}"
    return f"{playbook} " + " ".join(f"{name}={value}" for name, value in sorted(params.items()))


@contextlib.contextmanager
def exclusive_fix(engine: str, target: str, *, wait: bool = True,
                  waiting: Callable[[str], None] = lambda message: None) -> Iterator[None]:
    """Hold the lock of `target` on `engine` while the block runs; wait for another holder
    (saying so through `waiting`), or raise FixBusy at once when `wait` is false."""
    from filelock import FileLock, Timeout

    folder = usable_dir("locks")
    key = hashlib.sha256(f"{engine}\0{target}".encode()).hexdigest()[:24]
    lock = FileLock(folder / f"{key}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not wait:
            raise FixBusy(f"another runner fix is working on {target} on {engine}: try again when it ends "
                          "(without --no-wait this one waits for it)") from None
        waiting(f"another runner fix is working on {target}: waiting for it to end (Ctrl-C stops waiting)")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
