"""Where the playbooks are, and a playbook's file by its id: light on purpose (no models), so
that a diagnosis can find its playbook's file before it pays for loading it (runner/diagnose/early.py)."""

from __future__ import annotations

import os
import stat
import sysconfig
from pathlib import Path

SUFFIXES = (".yaml", ".yml")
MAX_BYTES = 2_000_000
CHECKOUT = Path(__file__).resolve().parents[2] / "playbooks"  # an editable install, or a clone


def shipped() -> Path:
    """The catalogue that came with the runner: the checkout's, else the one a non-editable
    install put in <prefix>/share/runner/playbooks."""
    if CHECKOUT.is_dir():
        return CHECKOUT
    return Path(sysconfig.get_path("data")) / "share" / "runner" / "playbooks"


def playbook_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The folder to read: --playbooks, else $RUNNER_PLAYBOOKS, else ./playbooks, else the shipped one."""
    if explicit:
        return Path(explicit)
    if os.environ.get("RUNNER_PLAYBOOKS"):
        return Path(os.environ["RUNNER_PLAYBOOKS"])
    local = Path("playbooks")
    return local if local.is_dir() else shipped()


def playbook_file(playbook_id: str, folder: Path) -> Path | None:
    """The file of the playbook `playbook_id` in `folder`, or None."""
    for suffix in SUFFIXES:
        path = folder / f"{playbook_id}{suffix}"
        if path.is_file():
            return path
    return None


class Unreadable(Exception):
    """Why a playbook file's bytes were not read (the loader names the file and position)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def read_playbook_bytes(path: Path) -> bytes:
    """The file's bytes, checked before they are read: a regular file (a FIFO would hang the
    runner, a device never end) of at most MAX_BYTES (a sparse 6 GB file is never read)."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise Unreadable(f"cannot read the file: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("not a regular file (a FIFO, a device or a socket)",
                             "a playbook is a YAML file: remove it from the playbook folder")
        if info.st_size > MAX_BYTES:
            raise Unreadable(f"the file is larger than {MAX_BYTES // 1_000_000} MB ({info.st_size:,} bytes)")
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:  # it grew while we looked
        raise Unreadable(f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    return raw
