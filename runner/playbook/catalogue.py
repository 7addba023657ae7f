"""Where the playbooks are, and loading them by id."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import PlaybookError, UnknownPlaybook
from runner.playbook.folders import CHECKOUT, SUFFIXES, playbook_dir, playbook_file, shipped  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from runner.playbook.model import Playbook


def playbook_ids(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in SUFFIXES)


def load_playbook(playbook_id: str, folder: Path) -> Playbook:
    from runner.playbook.cache import load_validated

    path = playbook_file(playbook_id, folder)
    if path is not None:
        return load_validated(path)
    known = playbook_ids(folder)
    close = difflib.get_close_matches(playbook_id, known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known) or 'none'}"
    raise UnknownPlaybook(f"no playbook {playbook_id!r} in {folder} ({hint})")


def load_catalogue(folder: Path) -> list[Playbook]:
    """Every playbook of the folder, validated together; raises PlaybookError on any problem."""
    if not folder.is_dir():
        raise UnknownPlaybook(f"{folder} is not a folder of playbooks (set --playbooks DIR)")
    from runner.playbook.loader import load_all

    playbooks, problems = load_all([folder])
    if problems:
        raise PlaybookError(problems)
    return playbooks
