"""Running a fix's steps (runner/fix/steps.py), through `runner fix` on fixkit.py's marker
playbook: a step that times out, a failing step and the state it leaves, Ctrl-C between steps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from fixkit import invoke, markers_folder, reports, touch_all

from runner import exitcodes


@pytest.fixture
def work(tmp_path, monkeypatch):
    return markers_folder(tmp_path, monkeypatch)


def test_a_step_that_times_out_is_reported_and_stops_the_fix(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    started = time.monotonic()
    result = invoke(work, "--fix", "slow", "--yes", monkeypatch=monkeypatch)
    assert time.monotonic() - started < 4.5, "the 5 s sleep must be stopped at its 0.3 s timeout"
    assert result.exit_code == exitcodes.STEP_FAILED, result.output
    assert "⏱ 1. Sleep: timed out after 0.3 s and was stopped" in result.output
    assert "not run: step 2" in result.output
    steps = reports(work)[0]["rounds"][0]["steps"]
    assert [s["status"] for s in steps] == ["timeout", "not-run"]
    assert not (work / "a").exists()


def test_a_failing_step_stops_and_says_what_state_is_left(work, monkeypatch):
    touch_all(work, "c", "d")
    result = invoke(work, "--fix", "failing", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.STEP_FAILED
    assert "│ cannot" in result.output
    report = reports(work)[0]
    assert report["outcome"] == "step-failed" and report["verdict"] is None
    assert report["state"].startswith("done: step 1 (Write a). step 2 (Fail) failed: sh exited 3")
    assert report["state"].endswith("not run: step 3")
    assert (work / "a").exists() and not (work / "b").exists()


def test_ctrl_c_stops_between_steps(work):
    env = {**os.environ, "XDG_STATE_HOME": str(work.parent / "state"), "COLUMNS": "200"}
    process = subprocess.Popen([sys.executable, "-m", "runner", "--playbooks", str(work.parent / "playbooks"), "fix",
                                "markers", "--param", f"dir={work}", "--fix", "two-steps", "--yes"], cwd=work,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (work / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == exitcodes.INTERRUPTED, out + err
    assert "stopping after the current step" in out
    assert "✓ 1. Start" in out, "the running step finishes"
    assert not (work / "a").exists(), "the next step does not start"
    report = reports(work)[0]
    assert report["outcome"] == "interrupted"
    assert [s["status"] for s in report["rounds"][0]["steps"]] == ["ok", "not-run"]
