"""The command check against real processes: exit codes, expected output, a missing tool,
its own timeout."""

from __future__ import annotations

import sys

from runner.checks.command import command
from runner.checks.kinds import CommandArgs
from runner.checks.result import CheckContext
from runner.diagnose.diagnosis import run_check
from runner.playbook.model import Check


def test_command_expectations(tmp_path):
    ctx = CheckContext(cwd=tmp_path)
    ok = command(CommandArgs(run=(sys.executable, "-c", "print('hello 42')"), expect_output=r"hello \d+"), ctx)
    assert ok.status == "pass" and ok.evidence["matched"] == "hello 42"
    wrong_exit = command(CommandArgs(run=(sys.executable, "-c", "raise SystemExit(3)")), ctx)
    assert wrong_exit.status == "fail" and wrong_exit.evidence["exit_code"] == 3
    no_match = command(CommandArgs(run=(sys.executable, "-c", "print('x')"), expect_output="y"), ctx)
    assert no_match.status == "fail"
    missing = command(CommandArgs(run=("/nonexistent/tool",)), ctx)
    assert missing.status == "error" and "command not found" in missing.summary


def test_command_timeout_is_reported(tmp_path):
    check = Check(id="slow", kind="command", timeout=0.5,
                  args={"run": [sys.executable, "-c", "import time; time.sleep(10)"]})
    result = run_check(check, CheckContext(cwd=tmp_path))
    assert result.status == "error" and "timed out after 0.5 s" in result.summary
