"""The generic check: run an argument list (never a shell string) with a timeout."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from runner.checks.kinds import CommandArgs
from runner.checks.result import CheckContext, CheckResult

OUTPUT_KEPT = 4000


def command(args: CommandArgs, ctx: CheckContext) -> CheckResult:
    timeout = ctx.timeout
    cwd = Path(args.cwd) if args.cwd else ctx.cwd
    started = time.monotonic()
    try:
        done = subprocess.run(list(args.run), cwd=cwd, capture_output=True, text=True, errors="replace",
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return CheckResult("error", f"{args.run[0]}: command not found", {"argv": list(args.run)})
    except NotADirectoryError:
        return CheckResult("error", f"working directory {cwd} is not a directory", {"argv": list(args.run)})
    except subprocess.TimeoutExpired:
        return CheckResult("error", f"{args.run[0]} timed out after {timeout:g} s", {"argv": list(args.run)})
    output = done.stdout + done.stderr
    evidence = {"argv": list(args.run), "exit_code": done.returncode, "stdout": done.stdout[-OUTPUT_KEPT:],
                "stderr": done.stderr[-OUTPUT_KEPT:], "seconds": round(time.monotonic() - started, 3)}
    if done.returncode != args.expect_exit:
        return CheckResult("fail", f"{args.run[0]} exited {done.returncode}, expected {args.expect_exit}", evidence)
    if args.expect_output is not None:
        found = re.search(args.expect_output, output, re.M)
        evidence["matched"] = found.group(0) if found else None
        if not found:
            return CheckResult("fail", f"{args.run[0]} output has no match for /{args.expect_output}/", evidence)
    return CheckResult("pass", f"{args.run[0]} exited {done.returncode}", evidence)
