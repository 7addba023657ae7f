"""The exception family (runner/errors.py): how a Problem locates itself, what a PlaybookError
says, and the exit code runner.cli.main gives each error (an `exit_code` attribute, else 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

import runner.cli
from runner import exitcodes
from runner.errors import (
    EngineUnavailable,
    ParamError,
    PlaybookError,
    Problem,
    RunnerError,
    UnknownPlaybook,
)

FILE = Path("playbooks/app.yaml")


@pytest.mark.parametrize(("problem", "text"), [
    (Problem(FILE, "not valid YAML"), "playbooks/app.yaml: not valid YAML"),
    (Problem(FILE, "bad value", line=4), "playbooks/app.yaml:4:1: bad value"),
    (Problem(FILE, "bad value", line=4, column=7), "playbooks/app.yaml:4:7: bad value"),
    (Problem(FILE, "unknown key", line=4, column=7, key_path="checks.0.kind"),
     "playbooks/app.yaml:4:7: checks.0.kind: unknown key"),
    (Problem(FILE, "unknown key", key_path="checks.0.kind", hint="did you mean 'docker'?"),
     "playbooks/app.yaml: checks.0.kind: unknown key (did you mean 'docker'?)"),
])
def test_a_problem_reads_path_line_column_key_message_hint(problem, text):
    assert str(problem) == text


def test_a_column_without_a_line_is_not_shown():
    assert str(Problem(FILE, "m", column=9)) == "playbooks/app.yaml: m"


def test_a_playbook_error_says_each_problem_on_its_own_line():
    problems = [Problem(FILE, "first", line=1, column=2), Problem(Path("b.yaml"), "second", key_path="id")]
    error = PlaybookError(problems)
    assert error.problems == problems
    assert str(error) == "playbooks/app.yaml:1:2: first\nb.yaml: id: second"
    assert isinstance(error, RunnerError)


def exit_of(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            error: BaseException) -> tuple[int, str]:
    """The exit code and stderr of runner.cli.main when a command raises `error`."""

    def raising(*args, **kwargs):  # noqa: ANN002, ANN003 - stands in for click's Group.main
        raise error

    monkeypatch.setattr(runner.cli.cli, "main", raising)
    with pytest.raises(SystemExit) as exited:
        runner.cli.main()
    return exited.value.code, capsys.readouterr().err


@pytest.mark.parametrize("error", [UnknownPlaybook("no playbook 'x'"), EngineUnavailable("no engine"),
                                   ParamError("bad param"), RunnerError("cannot")])
def test_a_runner_error_without_an_exit_code_exits_2_with_one_line(monkeypatch, capsys, error):
    assert not hasattr(error, "exit_code")
    code, err = exit_of(monkeypatch, capsys, error)
    assert code == exitcodes.CANNOT
    assert err == f"runner: {error}\n"


def test_a_runner_error_exit_code_attribute_is_the_exit_code(monkeypatch, capsys):
    class Differs(RunnerError):
        exit_code = exitcodes.LAB_DIFFERS

    code, err = exit_of(monkeypatch, capsys, Differs("a verdict differs"))
    assert code == exitcodes.LAB_DIFFERS
    assert err == "runner: a verdict differs\n"


def test_a_playbook_error_exits_3_with_its_problems_unprefixed(monkeypatch, capsys):
    error = PlaybookError([Problem(FILE, "first", line=1), Problem(FILE, "second", line=2)])
    code, err = exit_of(monkeypatch, capsys, error)
    assert code == exitcodes.INVALID_PLAYBOOK
    assert err == "playbooks/app.yaml:1:1: first\nplaybooks/app.yaml:2:1: second\n"



def test_an_engine_that_goes_away_mid_command_is_one_line_and_exit_2(monkeypatch, capsys):
    # What docker-py raises when a daemon restarts under a running lab (its socket is gone).
    import requests

    lost = requests.exceptions.ConnectionError(("Connection aborted.", FileNotFoundError(2, "No such file")))
    code, err = exit_of(monkeypatch, capsys, lost)
    assert code == exitcodes.CANNOT
    assert err.startswith("runner: the Docker Engine stopped answering mid-command (")
    assert "Traceback" not in err and err.count("\n") == 1


def test_any_other_exception_is_a_bug_with_its_traceback(monkeypatch, capsys):
    code, err = exit_of(monkeypatch, capsys, ValueError("oops"))
    assert code == exitcodes.INTERNAL
    assert "Traceback" in err and "internal error (a bug)" in err
