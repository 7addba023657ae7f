"""`runner diagnose` (runner/commands/diagnose.py) at the command line, without an engine: the
exit code of each verdict with fixkit.py's marker playbook (its checks are commands), the
one-line errors (unknown playbook, bad --param, an engine that does not answer), --help, and
the spinner. The causes of the shipped playbooks, on a real engine, are in
tests/diagnose/test_diagnosis_engine.py and tests/playbooks/."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from clikit import invoke, run
from fixkit import markers_folder, touch_all

from runner import exitcodes
from runner.commands.diagnose import Spinner

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = str(ROOT / "playbooks")
NO_ENGINE = "unix:///nonexistent.sock"
WIDE = {"COLUMNS": "200"}


@pytest.fixture
def work(tmp_path, monkeypatch):
    return markers_folder(tmp_path, monkeypatch)


def diagnose_markers(work: Path, *args: str):
    return invoke("--playbooks", str(work.parent / "playbooks"), "diagnose", "markers", "--param", f"dir={work}",
                  "--lang", "en", *args)


# --- the verdict and its exit code ----------------------------------------------------------


def test_a_cause_found_exits_1_and_names_cause_evidence_and_fix(work):
    touch_all(work, "b", "c", "d")
    result = diagnose_markers(work)
    assert result.exit_code == exitcodes.PROBLEM, result.output
    out = result.stdout
    assert "✓ broken " in out and "✗ a " in out and "✓ b " in out
    assert "problem found" in out and "cause: no-a" in out and "a is missing" in out
    assert "evidence:" in out and f"runner fix markers --param dir={work}" in out


def test_nothing_wrong_exits_0(work):
    touch_all(work, "a", "b", "c", "d")
    result = diagnose_markers(work)
    assert result.exit_code == exitcodes.OK, result.output
    assert "nothing wrong found" in result.stdout and "cause:" not in result.stdout


def test_json_is_the_whole_stdout_with_the_same_exit_code(work):
    touch_all(work, "b", "c", "d")
    result = diagnose_markers(work, "--json")
    assert result.exit_code == exitcodes.PROBLEM
    report = json.loads(result.stdout)  # no check lines before it
    assert report["playbook"] == "markers" and report["status"] == "problem"
    assert report["cause"]["id"] == "no-a" and report["fix"] == "make-a"
    assert [c["id"] for c in report["checks"]] == ["broken", "a", "b", "c", "d"]
    assert set(report["checks"][0]) == {"id", "status", "summary", "evidence", "ms"}


# --- what stops it: one line, exit 2 --------------------------------------------------------


def test_an_unknown_playbook_is_one_line_with_a_did_you_mean():
    done = run("--playbooks", PLAYBOOKS, "diagnose", "buildkit-stal")
    assert done.returncode == exitcodes.CANNOT
    assert done.stdout == ""
    assert done.stderr == f"runner: no playbook 'buildkit-stal' in {PLAYBOOKS} (did you mean 'buildkit-stale'?)\n"


def test_an_unknown_playbook_with_json_prints_no_json():
    done = run("--playbooks", PLAYBOOKS, "diagnose", "buildkit-stal", "--json")
    assert done.returncode == exitcodes.CANNOT
    assert done.stdout == "" and done.stderr.count("\n") == 1 and "did you mean 'buildkit-stale'?" in done.stderr


def test_an_unknown_param_is_one_line_with_a_did_you_mean():
    done = run("--playbooks", PLAYBOOKS, "diagnose", "buildkit-stale", "--param", "imag=app:staging")
    assert done.returncode == exitcodes.CANNOT
    assert done.stderr == "runner: unknown param 'imag' for buildkit-stale (did you mean 'image'?)\n"


def test_a_missing_required_param_is_named(work):
    done = run("--playbooks", str(work.parent / "playbooks"), "diagnose", "markers")
    assert done.returncode == exitcodes.CANNOT
    assert done.stderr == "runner: param 'dir' is required (the folder)\n"


@pytest.mark.parametrize("given", ["image", "=app:staging"])
def test_a_param_that_is_not_name_equals_value_is_a_usage_error(given):
    done = run("--playbooks", PLAYBOOKS, "diagnose", "buildkit-stale", "--param", given)
    assert done.returncode == exitcodes.CANNOT
    assert f"Invalid value for --param: {given!r} is not NAME=VALUE" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_engine_is_exit_2_without_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
         "--docker-host", "unix:///nonexistent.sock", "--param", "image=app:staging",
         "--param", f"context={tmp_path}"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "no Docker Engine answers at unix:///nonexistent.sock" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("how", [["--docker-host", NO_ENGINE], ["-H", NO_ENGINE], []])
def test_an_engine_that_does_not_answer_is_said_in_one_line(tmp_path, how):
    env = {**WIDE, "RUNNER_DOCKER_HOST": NO_ENGINE} if not how else WIDE
    done = run("--playbooks", PLAYBOOKS, "diagnose", "buildkit-stale", *how, "--param", "image=app:staging",
               "--param", f"context={tmp_path}", "--lang", "en", env=env)
    assert done.returncode == exitcodes.CANNOT
    reason = (f"engine: no Docker Engine answers at {NO_ENGINE}: the socket does not exist (is dockerd "
              "running?)")
    assert reason in done.stdout.splitlines()[-1]
    assert "could not diagnose" in done.stdout
    assert done.stderr == "" and "Traceback" not in done.stdout


def test_an_engine_that_does_not_answer_with_json(tmp_path):
    done = run("--playbooks", PLAYBOOKS, "diagnose", "buildkit-stale", "--docker-host", NO_ENGINE, "--json",
               "--param", "image=app:staging", "--param", f"context={tmp_path}")
    assert done.returncode == exitcodes.CANNOT
    report = json.loads(done.stdout)
    assert report["status"] == "error" and report["cause"] is None and report["engine"] == NO_ENGINE
    assert report["errors"] == [f"engine: no Docker Engine answers at {NO_ENGINE}: the socket does not exist "
                                "(is dockerd running?)"]
    assert {c["id"]: c["status"] for c in report["checks"]}["engine"] == "error"
    assert done.stderr == ""


def test_context_not_a_directory_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        __import__("runner.cli", fromlist=["cli"]).cli,
        ["--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale", "--param", "image=x:y",
         "--param", f"context={tmp_path / 'nope'}"])
    assert isinstance(result.exception, Exception)
    assert "no such directory" in str(result.exception)


# --- --help teaches -------------------------------------------------------------------------


def test_help_gives_an_example_the_exit_codes_and_the_json_shape():
    result = invoke("diagnose", "--help")
    assert result.exit_code == exitcodes.OK
    text = " ".join(result.stdout.split())
    assert "Example: runner diagnose buildkit-stale --param image=app:staging \\ --param context=." in text
    assert ("Exit codes: 0 nothing wrong, 1 problem found (the cause is named, or a check failed that no "
            "cause of this playbook explains: \"unexplained\"), 2 could not diagnose (engine unreachable, "
            "missing image or container, bad param).") in text
    assert 'JSON (--json): {"playbook", "status": "ok"|"problem"|"error",' in text
    for option in ("--param", "--docker-host", "--json", "--lang"):
        assert option in text


# --- the spinner: only on a terminal, only for a check that takes longer than half a second ---


class Terminal:
    """A console that says it is a terminal and records the status it is asked to show."""

    def __init__(self, is_terminal: bool = True) -> None:
        self.is_terminal = is_terminal
        self.shown: list[str] = []
        self.stopped = 0

    def status(self, label: str) -> Terminal:
        self.shown.append(label)
        return self

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped += 1


def wait_for(condition, seconds: float = 5) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_slow_check_shows_a_spinner_until_it_ends():
    console = Terminal()
    spinner = Spinner(console)
    spinner.start("engine: Engine answers ...")
    assert wait_for(lambda: console.shown)
    assert console.shown == ["engine: Engine answers ..."]
    spinner.stop()
    assert console.stopped == 1


def test_a_quick_check_shows_no_spinner():
    console = Terminal()
    spinner = Spinner(console)
    spinner.start("git ...")
    spinner.stop()
    time.sleep(0.7)
    assert console.shown == []


def test_no_spinner_when_stderr_is_not_a_terminal():
    console = Terminal(is_terminal=False)
    spinner = Spinner(console)
    spinner.start("engine ...")
    time.sleep(0.7)
    spinner.stop()
    assert console.shown == [] and console.stopped == 0


def test_profile_writes_stats_of_the_checks_run_in_this_thread(work, tmp_path):
    touch_all(work, "b", "c", "d")
    stats = tmp_path / "diagnose.prof"
    result = diagnose_markers(work, "--json", "--profile", str(stats))
    assert result.exit_code == exitcodes.PROBLEM, result.output
    assert json.loads(result.stdout)["cause"]["id"] == "no-a"
    assert f"profile written to {stats}" in result.stderr
    import pstats

    functions = {name for _file, _line, name in pstats.Stats(str(stats)).stats}
    assert "command" in functions  # the command checks ran in the profiled thread
