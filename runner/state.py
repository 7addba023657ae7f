"""The state folder ($XDG_STATE_HOME/runner, default ~/.local/state/runner): run reports, fix
locks, recreate journals, and what was learnt of the docker clients. Files there are private to
the user and written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def state_dir(part: str) -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "runner" / part


def fallback_dir(part: str) -> Path:
    """Where `part` lives when the state folder cannot be made (a file in its way, a read-only
    home): one folder per user under the temporary directory, which every run agrees on."""
    return Path(tempfile.gettempdir()) / f"runner-{part}-{os.getuid()}"


def usable_dir(part: str) -> Path:
    """The state folder's `part`, made if needed; the fallback when it cannot be made: an
    unusable state folder must not stop a fix."""
    for folder in (state_dir(part), fallback_dir(part)):
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            return folder
        except OSError:
            continue
    raise OSError(f"neither {state_dir(part)} nor {fallback_dir(part)} can be made")


def write_atomically(path: Path, text: str, durable: bool = True) -> None:
    """The file is either what it was or `text`, never half of it, also across a power cut
    (durable: flushed to the disk before and after the rename; a hint that a reader may find
    broken after a power cut, and then ignores, spares the two syncs)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if not durable:
        return
    with contextlib.suppress(OSError):  # the rename is durable once the folder is synced
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
