"""Where the playbooks are, and a playbook's file by its id: light on purpose (no models), so
that a diagnosis can find its playbook's file before it pays for loading it (runner/diagnose/early.py)."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

SUFFIXES = (".yaml", ".yml")
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
