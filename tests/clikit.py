"""How tests run the CLI: in-process through click's CliRunner (fast), and as `python -m runner`
in the tests folder, as a user would run it (exit codes are mapped by runner.cli.main)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent  # the examples/ paths are relative to it
ROOT = TESTS.parent


def invoke(*args: str, env: dict[str, str] | None = None):  # noqa: ANN201 - click's Result
    from click.testing import CliRunner

    from runner.cli import cli

    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m runner ARGS` in the tests folder, as a user would run it."""
    environment = {k: v for k, v in os.environ.items() if k != "RUNNER_PLAYBOOKS"}
    environment.update({"PYTHONPATH": str(ROOT), "COLUMNS": "100"}, **(env or {}))
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=TESTS, env=environment,
                          capture_output=True, text=True, timeout=120)
