"""`runner lab` as a command: its help, and the errors when there is no lab to run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from labkit import runner, write_playbook


@pytest.mark.engine
def test_lab_of_a_playbook_without_one_is_a_clear_error(engine, tmp_path):
    folder = tmp_path / "playbooks"
    write_playbook(folder, "id: nolab\ntitle: t\nsummary: s\nsymptoms: [{text: x}]\n", "nolab")
    done = runner("--playbooks", str(folder), "lab", "nolab")
    assert done.returncode == 2 and "nolab has no lab section" in done.stderr
    done = runner("--playbooks", str(folder), "lab", "--all")
    assert done.returncode == 2 and "no playbook" in done.stderr and "has a lab" in done.stderr


def test_runner_help_lists_lab_and_stays_light():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "runner", "--help"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0 and "lab" in done.stdout
    assert "docker" not in {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines()}
    done = subprocess.run([sys.executable, "-m", "runner", "lab", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "Exit codes" in done.stdout and "--record" in done.stdout
