"""Validated playbooks kept between runs, so that a diagnosis does not parse and validate the
same YAML again (~60 ms of a ~0.4 s diagnosis: the YAML parser with positions, pydantic's
schema built on first use, the cross-references).

A playbook is kept under the hash of its bytes and of the code that validates it (the size and
time of every module of the runner, <1 ms, and the pydantic and Python versions): an edit, a
checkout of another commit or an upgraded runner is a new key, never a stale playbook. Only playbooks that validated are kept; a bad file is reported every time.

The copies are pickles, and loading a pickle runs code: they live in the user's private state
folder, and one is read only from a folder and a file that belong to the user and that nobody
else may write. Anything wrong with a copy (unreadable, from other code, not a playbook) makes
it a miss: the file is loaded as if there were no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from runner.codeprint import RUNNER_CODE, module_stamps
from runner.playbook.folders import Unreadable, read_playbook_bytes
from runner.state import state_dir

if TYPE_CHECKING:
    from runner.playbook.model import Playbook

KEEP = 64  # copies kept; each edit of a playbook makes a new one
# All of the runner, not only the models: validation also reads the registries of check kinds
# and fix actions, and a pickle names the classes it was made of.
_CODE = RUNNER_CODE


def load_validated(path: Path) -> Playbook:
    """The playbook in `path`, validated (from the cache when these bytes were validated by
    this code before); raises PlaybookError like `loader.load_file`."""
    try:
        raw = read_playbook_bytes(path)
    except Unreadable:
        raw = None
    if raw is None:
        from runner.playbook.loader import load_file

        return load_file(path)  # says what is wrong with the file
    key = cache_key(raw, code_fingerprint())
    found = _in_memory.get(key) or _read(key)
    if found is not None:
        return found
    from runner.playbook.loader import load_bytes

    playbook = load_bytes(path, raw)
    _write(key, playbook)
    return playbook


# Playbooks validated by a resident runner before it forks its children (runner/resident), by
# the same key as the copies on disk, which each would otherwise unpickle again (~10 ms).
_in_memory: dict[str, Playbook] = {}


def keep_in_memory(path: Path) -> None:
    """Validate the playbook in `path` and keep it in this process, for the processes it forks;
    raises PlaybookError like `loader.load_file`."""
    from runner.playbook.loader import load_bytes

    raw = read_playbook_bytes(path)
    _in_memory[cache_key(raw, code_fingerprint())] = load_bytes(path, raw)


def code_fingerprint() -> str:
    """What changes when the code that validates a playbook (or pickles it) changes."""
    import pydantic

    from runner import __version__

    # The version too: packagers that fix every file's time (reproducible builds) leave size
    # and time alike across versions now and then.
    return "\n".join([sys.version, pydantic.VERSION, __version__, *module_stamps(_CODE)])


def cache_key(raw: bytes, fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode() + b"\0" + raw).hexdigest()


def cache_dir() -> Path:
    return state_dir("cache") / "playbooks"


def _private(info: os.stat_result) -> bool:
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _read(key: str) -> Playbook | None:
    from runner.playbook.model import Playbook

    folder = cache_dir()
    try:
        if not _private(folder.stat()):
            return None
        with open(folder / f"{key}.pickle", "rb") as handle:
            if not _private(os.fstat(handle.fileno())):
                return None
            found = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a broken copy is a miss, and goes
        with contextlib.suppress(OSError):
            (folder / f"{key}.pickle").unlink()
        return None
    return found if isinstance(found, Playbook) else None


def _write(key: str, playbook: Playbook) -> None:
    """Keep the copy atomically; a state folder that cannot be written only costs the cache."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(folder.stat()):
            return
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                pickle.dump(playbook, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, folder / f"{key}.pickle")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _trim(folder)
    except Exception:  # noqa: BLE001 - the cache may fail, the load it follows may not
        return


def _trim(folder: Path) -> None:
    copies = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for stale in copies[KEEP:]:
        stale.unlink(missing_ok=True)
