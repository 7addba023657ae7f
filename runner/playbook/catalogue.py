"""Where the playbooks are, and loading them by id."""

from __future__ import annotations

import difflib
import os
import sysconfig
from pathlib import Path

from runner.errors import PlaybookError, UnknownPlaybook
from runner.playbook.loader import SUFFIXES, load_all, load_file
from runner.playbook.model import Playbook

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


def playbook_ids(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in SUFFIXES)


def load_playbook(playbook_id: str, folder: Path) -> Playbook:
    for suffix in SUFFIXES:
        path = folder / f"{playbook_id}{suffix}"
        if path.is_file():
            return load_file(path)
    known = playbook_ids(folder)
    close = difflib.get_close_matches(playbook_id, known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known) or 'none'}"
    raise UnknownPlaybook(f"no playbook {playbook_id!r} in {folder} ({hint})")


def load_catalogue(folder: Path) -> list[Playbook]:
    """Every playbook of the folder, validated together; raises PlaybookError on any problem."""
    if not folder.is_dir():
        raise UnknownPlaybook(f"{folder} is not a folder of playbooks (set --playbooks DIR)")
    playbooks, problems = load_all([folder])
    if problems:
        raise PlaybookError(problems)
    return playbooks
