"""The run report file: one JSON file a run under $XDG_STATE_HOME/runner/runs/ (default
~/.local/state/runner/runs/), written atomically and readable only by the user."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from runner.fix.run import FixRun


def runs_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "runner" / "runs"


def save_report(run: FixRun, folder: Path | None = None) -> Path:
    """Write the run report atomically (a temporary file renamed into place), private to the user."""
    folder = folder or runs_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = run.started_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    path = folder / f"{stamp}-{run.playbook}-{run.run_id}.json"
    data = json.dumps(run.to_json(), ensure_ascii=False, indent=2, default=str) + "\n"
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".run-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
