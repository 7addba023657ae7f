"""The CLI core (runner/cli.py): every command listed and with help, `python -m runner` and the
console script, usage errors, and `runner --help` and the catalogue commands importing nothing
heavy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from clikit import ROOT, TESTS, invoke, run

from runner import __version__, exitcodes
from runner.cli import COMMANDS, cli

VALID = "examples/valid"
VALID_IDS = sorted(p.stem for p in (TESTS / VALID).glob("*.yaml"))


def test_every_importable_command_has_help():
    listed = cli.list_commands(click.Context(cli))
    assert {"list", "show", "validate", "schema"} <= set(listed)
    assert listed == list(COMMANDS)
    for name, (target, one_line) in COMMANDS.items():
        assert one_line.strip(), f"{name}: no one-line help"
        command = cli.get_command(click.Context(cli), name)
        assert command is not None, f"{name}: {target} does not import"
        assert (command.help or "").strip(), f"{name}: no help text"
        result = invoke(name, "--help")
        assert result.exit_code == 0, result.output
        usage, *_ = result.stdout.splitlines()
        assert usage.startswith("Usage: ") and f" {name} " in f"{usage} "
        first_paragraph = command.help.strip().split("\n\n")[0]
        assert " ".join(first_paragraph.split()) in " ".join(result.stdout.split())


def test_top_level_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for name in cli.list_commands(click.Context(cli)):
        assert f"  {name} " in result.stdout
    assert "Exit codes:" in result.stdout


def test_python_dash_m_runner_help_and_version():
    done = run("--help")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("Usage: ") and "validate" in done.stdout
    done = run("--version")
    assert done.returncode == 0 and done.stdout == f"runner, version {__version__}\n"


def test_console_script():
    script = Path(sys.executable).with_name("runner")
    if not script.exists():
        pytest.skip("the runner console script is not installed next to this Python")
    done = subprocess.run([str(script), "--playbooks", VALID, "validate"], cwd=TESTS, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == exitcodes.OK, done.stderr
    assert done.stdout == f"{len(VALID_IDS)} valid, 0 problem(s)\n"


def test_usage_errors_exit_2():
    done = run("bogus")
    assert done.returncode == exitcodes.CANNOT
    assert "No such command 'bogus'" in done.stderr
    done = run("list", "--bogus")
    assert done.returncode == exitcodes.CANNOT
    assert "No such option: --bogus" in done.stderr or "No such option '--bogus'" in done.stderr


def _modules_after(argv: list[str]) -> list[str]:
    code = ("import sys\nfrom runner.cli import cli\n"
            f"try:\n    cli.main({argv!r}, prog_name='runner')\nexcept SystemExit as exc:\n"
            "    assert exc.code in (0, None), exc.code\n"
            "heavy = ('docker', 'mkdocs', 'pydantic', 'yaml', 'rich', 'requests')\n"
            "print(','.join(sorted(name for name in heavy if name in sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=TESTS, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return [name for name in done.stdout.splitlines()[-1].split(",") if name]


def test_help_imports_nothing_heavy():
    assert _modules_after(["--help"]) == []


def test_catalogue_commands_do_not_import_docker_or_mkdocs():
    for argv in (["--playbooks", VALID, "list"], ["--playbooks", VALID, "validate"],
                 ["--playbooks", VALID, "show", "minimal", "--lang", "en"]):
        loaded = _modules_after(argv)
        assert "docker" not in loaded and "mkdocs" not in loaded, (argv, loaded)
