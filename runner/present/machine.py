"""Diagnoses as JSON for machines. Kept apart from `report` so that `--json` never imports
the terminal's library (rich): a diagnosis of a small project costs about as much as its
cached build, and every import is on that path."""

from __future__ import annotations

import json
from typing import Any


def to_json(diagnosis: Any) -> str:
    """`diagnosis` (a runner.diagnose.diagnosis.Diagnosis) as the JSON `runner diagnose --json` prints."""
    return json.dumps(diagnosis.to_json(), ensure_ascii=False, indent=2, default=str)
