"""The run report file: one JSON file a run under $XDG_STATE_HOME/runner/runs/ (default
~/.local/state/runner/runs/), written atomically and readable only by the user."""

from __future__ import annotations

import json
from pathlib import Path

from runner.fix.run import FixRun
from runner.state import state_dir, write_atomically


def runs_dir() -> Path:
    return state_dir("runs")


def save_report(run: FixRun, folder: Path | None = None) -> Path:
    """Write the run report atomically (a temporary file renamed into place), private to the user."""
    folder = folder or runs_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = run.started_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    path = folder / f"{stamp}-{run.playbook}-{run.run_id}.json"
    write_atomically(path, json.dumps(run.to_json(), ensure_ascii=False, indent=2, default=str) + "\n")
    return path
