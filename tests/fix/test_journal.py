"""The recreate journal's bookkeeping (runner/fix/journal.py); its recovery runs on the real
engine in test_recovery_engine.py."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from runner.fix import journal
from runner.fix.journal import JournalError, RecreateJournal


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def cut_off(engine: str = "unix:///var/run/docker.sock", name: str = "app", **changes) -> RecreateJournal:
    """A journal as a run that was killed leaves it."""
    started = journal.begin(engine, name, "a" * 64, f"{name}-runner-new-1", f"{name}-runner-old-1", True)
    moved = journal.advance(started, "stop", new_id="b" * 64)
    return journal.advance(moved, "stop", **{"pid": dead_pid(), **changes})


def test_each_step_replaces_the_file_whole_and_the_end_removes_it(state_home):
    started = journal.begin("unix:///x.sock", "app", "a" * 64, "app-runner-new-1", "app-runner-old-1", True)
    files = list((state_home / "runner" / "journal").iterdir())
    assert [f.suffix for f in files] == [".json"]  # no temporary file left beside it
    assert json.loads(files[0].read_text())["step"] == "create"
    moved = journal.advance(started, "rename-old", new_id="b" * 64)
    assert journal.read(files[0]) == moved and moved.pid == os.getpid()
    journal.clear(moved)
    assert list((state_home / "runner" / "journal").iterdir()) == []


def test_a_live_run_is_not_pending_and_a_dead_one_is():
    live = journal.begin("unix:///x.sock", "app", "a" * 64, "n", "o", True)
    assert journal.pending("unix:///x.sock") == []  # this process holds it: still working
    dead = journal.advance(live, "stop", pid=dead_pid())
    assert journal.pending("unix:///x.sock") == [dead]


def test_a_run_from_before_a_reboot_is_pending_even_if_its_pid_is_taken_again():
    killed = cut_off(pid=1, boot_id="another-boot")
    assert journal.pending(killed.engine) == [killed]


def test_pending_is_per_engine_and_container_by_name_or_id():
    here, there = cut_off(name="app"), cut_off("tcp://10.0.0.2:2376", name="app")
    other = cut_off(name="db")
    assert journal.pending(here.engine, "app") == [here]
    assert journal.pending(there.engine, "app") == [there]
    assert journal.pending(here.engine, "/app") == [here]
    assert set(journal.pending(here.engine, "a" * 12)) == {here, other}  # the old container's ID
    assert set(journal.pending(here.engine, "b" * 12)) == {here, other}  # the new one's
    assert journal.pending(here.engine, "aaaa") == []  # too short to be an ID
    assert journal.pending(here.engine, "app-runner-old-1") == [here]
    assert set(journal.pending(here.engine)) == {here, other}


def test_an_unreadable_journal_is_named_never_guessed(state_home):
    cut_off()
    path = next((state_home / "runner" / "journal").iterdir())
    path.write_text("{not json")
    with pytest.raises(JournalError, match=str(path)):
        journal.pending("unix:///var/run/docker.sock")


def test_the_description_says_which_step_was_cut_off():
    killed = cut_off()
    assert "stopping the old container of app" in killed.describe() and str(killed.pid) in killed.describe()
    assert dataclasses.replace(killed, step="start").describe().endswith("starting the new container of app")


def test_an_unusable_state_folder_journals_in_the_fallback_and_is_still_found(tmp_path, monkeypatch):
    """A file where the state folder should be (the report-write test's case) must not stop a
    recreate: the journal goes to the per-user fallback, where pending() looks too."""
    from runner.state import fallback_dir

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    killed = cut_off()
    assert list(fallback_dir("journal").glob("*.json"))
    assert journal.pending(killed.engine) == [killed]
    journal.clear(killed)
    assert journal.pending(killed.engine) == []
