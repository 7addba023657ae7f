"""`runner fix` at the command line, without an engine (fixkit.py's marker playbook): the plan
shown, the consent prompts, no terminal, a dry run, nothing wrong, a manual fix, --help."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fixkit import invoke, markers_folder, reports, touch_all

from runner import exitcodes
from runner.cli import cli


@pytest.fixture
def work(tmp_path, monkeypatch):
    return markers_folder(tmp_path, monkeypatch)


def test_plan_output_and_yes_at_the_prompt_applies(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, input="y\n", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK, result.output
    out = result.output
    assert "cause: no-a" in out and "a: " in out
    assert "plan: make-a  Make a" in out
    assert "1. [write] Write a" in out and f"$ touch {work}/a" in out
    assert "Apply step 1 (write)? [y/N]" in out
    assert "✓ 1. Write a: touch exited 0" in out
    assert "verdict: resolved" in out and "before: no-a  after: ok" in out
    assert (work / "a").exists()
    report = reports(work)[0]
    assert report["verdict"] == "resolved" and report["rounds"][0]["consent"]["how"] == "asked"
    assert report["rounds"][0]["consent"]["answers"] == [
        {"question": "Apply step 1 (write)?", "answer": True}]
    assert report["rounds"][0]["verify"] == {"a": "pass"}


def test_no_at_the_prompt_runs_nothing(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, input="n\n", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.NOT_APPLIED, result.output
    assert "declined: nothing was run" in result.output
    assert not (work / "a").exists()


def test_no_answer_at_the_prompt_is_an_interruption_with_a_report(work, monkeypatch):
    """Ctrl-C or the end of input at the consent question (click turns both into Abort)."""
    touch_all(work, "b", "c", "d")
    result = invoke(work, input="", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.INTERRUPTED, result.output
    assert "nothing was run" in result.output
    assert not (work / "a").exists()
    (report,) = reports(work)
    assert report["outcome"] == "interrupted"
    assert report["state"] == "no answer at the consent question: nothing was run"


def test_destructive_step_is_asked_separately_naming_the_loss(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    (work / "scratch").mkdir()
    result = invoke(work, "--fix", "wipe", input="y\nn\n", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.NOT_APPLIED, result.output
    assert f"loses: everything in {work}/scratch" in result.output
    assert f"Step 2 is destructive: it loses everything in {work}/scratch. Run it? [y/N]" in result.output
    assert not (work / "a").exists() and (work / "scratch").is_dir(), "a declined step stops the whole fix"
    result = invoke(work, "--fix", "wipe", input="y\ny\n", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK, result.output
    assert (work / "a").exists() and not (work / "scratch").exists()


def test_without_a_terminal_nothing_writes_and_it_says_why(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.NOT_APPLIED
    assert "no terminal to ask for consent, and no --yes: nothing that writes was run" in result.output
    assert not (work / "a").exists()
    assert reports(work)[0]["outcome"] == "not-applied"


def test_dry_run_shows_the_plan_and_runs_nothing(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--dry-run", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM
    assert "1. [write] Write a" in result.output and "dry run: the plan was shown, nothing ran" in result.output
    assert not (work / "a").exists()


def test_nothing_wrong_exits_0_without_a_plan(work, monkeypatch):
    touch_all(work, "a", "b", "c", "d")
    result = invoke(work, "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK
    assert "nothing wrong found" in result.output and "plan:" not in result.output


def test_manual_fix_is_shown_and_changes_nothing(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--fix", "by-hand", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM
    assert "[read] Do it yourself  (for you to do)" in result.output and f"touch {work}/a" in result.output
    assert "the by-hand fix is yours to do" in result.output
    assert not (work / "a").exists()


def test_fix_help_teaches_with_examples():
    result = CliRunner().invoke(cli, ["fix", "--help"])
    assert result.exit_code == 0
    for text in ("--dry-run", "--yes", "--fix FIX_ID", "--param", "Examples:", "prune-all-and-rebuild",
                 "4 not applied", "$XDG_STATE_HOME/runner/runs/"):
        assert text in result.output, text


def test_recover_alone_says_what_is_pending_and_changes_nothing_without_a_journal(tmp_path, monkeypatch):
    """`fix --recover` needs no diagnosis (none of the playbook's other params); a dry run
    names a cut-off recreate without touching it (the recovery itself: tests/fix/test_recovery_engine.py)."""
    import json

    from runner.fix import journal

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.0.2.1:2375")  # never asked: nothing to recover
    runner = CliRunner()
    nothing = runner.invoke(cli, ["fix", "buildkit-stale", "--recover", "--json", "--param", "container=app"])
    assert nothing.exit_code == exitcodes.OK, nothing.output
    assert json.loads(nothing.stdout)["outcome"] == "nothing-wrong"

    started = journal.begin("tcp://192.0.2.1:2375", "app", "a" * 64, "app-runner-new-1", "app-runner-old-1", True)
    journal.advance(started, "stop", pid=2 ** 22 + 1)  # a run that was killed
    shown = runner.invoke(cli, ["fix", "buildkit-stale", "--recover", "--dry-run", "--json",
                                "--param", "container=app"])
    report = json.loads(shown.stdout)
    assert shown.exit_code == exitcodes.PROBLEM and report["outcome"] == "dry-run"
    assert "cut off while stopping the old container of app" in report["state"]
    assert journal.pending("tcp://192.0.2.1:2375", "app")  # still there: a dry run changes nothing
