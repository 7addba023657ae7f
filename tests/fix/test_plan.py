"""Planning a fix (runner/fix/plan.py): an unknown fix cannot be planned, and `runner fix` says
which one was meant (exit 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fixkit import markers_folder

from runner import exitcodes


@pytest.fixture
def work(tmp_path, monkeypatch):
    return markers_folder(tmp_path, monkeypatch)


def test_unknown_fix_is_exit_2_with_did_you_mean(work):
    done = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(work.parent / "playbooks"), "fix",
                           "markers", "--param", f"dir={work}", "--fix", "make-aa"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == exitcodes.CANNOT
    assert "no fix 'make-aa' in markers (did you mean 'make-a'?)" in done.stderr
