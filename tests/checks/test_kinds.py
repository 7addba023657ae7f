"""The registry of check kinds (runner/checks/kinds.py): strict arguments, and a registry light
to import (tests/test_registry.py resolves every kind's implementation)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from runner.checks.kinds import CommandArgs


def test_arguments_are_strict_and_frozen():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        CommandArgs(run=("true",), shell="yes")
    with pytest.raises(ValidationError):
        CommandArgs(run=())  # an empty argument list runs nothing
    args = CommandArgs(run=("true",))
    with pytest.raises(ValidationError):
        args.expect_exit = 1  # type: ignore[misc]


def test_the_registry_imports_no_implementation():
    code = ("import sys\nimport runner.checks.kinds\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith('runner.checks.') or m == 'docker')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["runner.checks.kinds"]
