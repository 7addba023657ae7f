"""What the runner's code is on disk now, cheaply: the size and time of every module (<1 ms).
Whatever outlives one run and depends on the code (the playbook cache, the resident runner)
keys on it, so that an edit, a checkout of another commit or an upgrade is never served stale."""

from __future__ import annotations

import os

# A string, not a Path: the resident runner's caller reads this before anything else is
# imported, and pathlib is not yet (runner/resident/client.py).
RUNNER_CODE = os.path.dirname(os.path.realpath(__file__))


def module_stamps(folder: str | os.PathLike[str] = RUNNER_CODE) -> list[str]:
    """One line per module under `folder`: its path, size and modification time."""
    stamps = [os.fspath(folder)]
    for parent, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                try:
                    info = os.stat(os.path.join(parent, name))
                except OSError:
                    continue
                stamps.append(f"{parent}/{name}:{info.st_size}:{info.st_mtime_ns}")
    return stamps
