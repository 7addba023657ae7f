"""The context of one experiment, which every step kind receives: the engine, the janitor,
the experiment's folder and scope; and the paths a step may name (inside that folder)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.lab import StepFailed
from runner.lab.engine import Engine
from runner.lab.janitor import Janitor
from runner.lab.results import Progress
from runner.playbook.model import Playbook


@dataclass
class Context:
    engine: Engine
    janitor: Janitor
    playbook: Playbook
    playbook_path: Path | None
    folder: Path  # the experiment's temporary folder
    project: Path
    scope: dict[str, Any]
    experiment_label: str
    progress: Progress | None
    index: int
    total: int
    saved: dict[str, Any] = field(default_factory=dict)


def inside(root: Path, relpath: str) -> Path:
    target = (root / relpath).resolve()
    if not (target == root.resolve() or str(target).startswith(str(root.resolve()) + os.sep)):
        raise StepFailed(f"{relpath} leaves the experiment's folder")
    return target


def step_path(ctx: Context, given: str) -> Path:
    """A step's path: relative to the project, or absolute inside the experiment's folder."""
    path = Path(given)
    return inside(ctx.folder, str(path if path.is_absolute() else ctx.project / path))
