"""The engine lock: one lab at a time on an engine, across processes (a lock file per engine)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator

from runner.lab.janitor import ledger_dir


@contextlib.contextmanager
def engine_lock(host: str, run_id: str, waiting: Callable[[str], None]) -> Iterator[None]:
    """One lab at a time on an engine: build-cache records carry no labels, so two labs whose
    steps overlap could not tell each other's new records apart."""
    import fcntl
    import hashlib

    folder = ledger_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"engine-{hashlib.sha256(host.encode()).hexdigest()[:16]}.lock"
    with open(path, "a+") as handle:
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    handle.seek(0)
                    waiting(handle.read().strip() or "?")
                    told = True
                time.sleep(0.5)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"run {run_id}, pid {os.getpid()}")
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

