"""The exit codes (runner/exitcodes.py): distinct, and each one documented where people look,
in `runner --help` and in the README's "Exit codes" table, with nothing documented that is not
a code."""

from __future__ import annotations

import re

import pytest
from clikit import ROOT, invoke

from runner import exitcodes

CODES = {name: value for name, value in vars(exitcodes).items() if name.isupper()}


def help_codes() -> list[int]:
    """The codes `runner --help` lists after "Exit codes:"."""
    text = " ".join(invoke("--help").stdout.split())
    listed = text.split("Exit codes:", 1)[1]
    return [int(code) for code in re.findall(r"(?:^|,) (\d+) \w", listed)]


def readme_codes() -> list[int]:
    """The codes of the README's "Exit codes" table, in its order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    return [int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M)]


def test_the_codes_are_distinct_integers():
    assert CODES, "runner/exitcodes.py names no code"
    assert all(isinstance(value, int) for value in CODES.values())
    assert len(set(CODES.values())) == len(CODES), CODES


def test_runner_help_lists_every_code_once():
    listed = help_codes()
    assert sorted(listed) == sorted(CODES.values()), listed


def test_the_readme_table_lists_every_code_once():
    listed = readme_codes()
    assert sorted(listed) == sorted(CODES.values()), listed


def test_both_list_the_codes_in_ascending_order():
    assert help_codes() == readme_codes() == sorted(CODES.values())


def test_ctrl_c_while_the_runner_imports_is_exit_130_without_a_traceback(monkeypatch, capsys):
    """Before a command's own handling exists (its imports), Ctrl-C still ends it as documented."""
    from runner import exitcodes, launch

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(launch, "_run", interrupted)
    with pytest.raises(SystemExit) as ended:
        launch.run()
    assert ended.value.code == exitcodes.INTERRUPTED
    assert capsys.readouterr().err == "interrupted\n"
