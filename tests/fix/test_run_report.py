"""The run report file (runner/fix/run_report.py), through `runner fix --json` on fixkit.py's
marker playbook: on disk, private to the user, no temporary file left, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixkit import invoke, markers_folder, touch_all

from runner import exitcodes


@pytest.fixture
def work(tmp_path, monkeypatch):
    return markers_folder(tmp_path, monkeypatch)


def test_json_report_on_stdout_and_on_disk_with_secrets_masked(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--fix", "leaky", "--yes", "--json", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK, result.output
    report = json.loads(result.stdout)
    assert report["exit_code"] == 0 and report["verdict"] == "resolved"
    assert report["params"] == {"dir": str(work)} and report["options"]["fix"] == "leaky"
    step = report["rounds"][0]["steps"][0]
    assert "Bearer ****" in step["output"] and "ghp_****" in step["output"]
    assert report["rounds"][0]["plan"]["steps"][0]["env"] == {"GITHUB_TOKEN": "****"}
    path = Path(report["report_path"])
    assert path.parent == work.parent / "state/runner/runs"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert "ghp_a" not in path.read_text() and "abcdefghijklmnop12" not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file is left"
    assert "ghp_a" not in result.stderr and "abcdefghijklmnop12" not in result.stderr
