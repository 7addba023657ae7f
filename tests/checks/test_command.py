"""The command check against real processes: exit codes, expected output, a missing tool,
its own timeout."""

from __future__ import annotations

import sys
import time

from runner.checks.command import command
from runner.checks.kinds import CommandArgs
from runner.checks.result import CheckContext
from runner.diagnose.diagnosis import GRACE, run_check
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
    """The command check stops its process at the check's own timeout (ctx.timeout, as diagnose
    sets it) and says which command: run_check's outer limit would come GRACE seconds later
    and name no command."""
    check = Check(id="slow", kind="command", timeout=0.3,
                  args={"run": [sys.executable, "-c", "import time; time.sleep(10)"]})
    started = time.monotonic()
    result = run_check(check, CheckContext(cwd=tmp_path, timeout=check.timeout))
    elapsed = time.monotonic() - started
    assert result.status == "error" and result.summary == f"{sys.executable} timed out after 0.3 s"
    assert result.evidence == {"argv": [sys.executable, "-c", "import time; time.sleep(10)"]}
    assert elapsed < GRACE, f"stopped by run_check's limit after {elapsed:.1f} s, not by the check"
