"""The registry of check kinds (runner/checks/kinds.py): every kind names a real implementation
and takes strict arguments, while the registry itself stays light to import."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest
from pydantic import ValidationError

from runner.checks.kinds import CHECK_KINDS, CommandArgs


@pytest.mark.parametrize("name", sorted(CHECK_KINDS))
def test_every_kind_names_an_implementation_that_takes_args_and_a_context(name):
    kind = CHECK_KINDS[name]
    assert kind.name == name and kind.summary.strip()
    module_name, function = kind.impl.split(":")
    assert module_name.startswith("runner.checks.")
    implementation = getattr(importlib.import_module(module_name), function)
    assert list(inspect.signature(implementation).parameters) == ["args", "ctx"]


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
