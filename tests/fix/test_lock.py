"""One fix at a time per container and engine (runner/fix/lock.py); the real two-process cases
are in tests/fix/test_run_engine.py."""

from __future__ import annotations

import pytest

from runner.fix.lock import FixBusy, exclusive_fix, fix_target


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_the_target_is_the_container_when_there_is_one():
    assert fix_target({"container": "app", "image": "app:1"}, "buildkit-stale") == "container app"
    assert fix_target({"image": "app:1", "context": "."}, "dockerignore-excludes") == \
        "dockerignore-excludes context=. image=app:1"


def test_a_held_target_refuses_a_second_holder_that_will_not_wait():
    with exclusive_fix("unix:///a.sock", "container app"):
        with pytest.raises(FixBusy, match="another runner fix is working on container app"):
            with exclusive_fix("unix:///a.sock", "container app", wait=False):
                pass
        # another engine, another container: no conflict
        with exclusive_fix("unix:///b.sock", "container app", wait=False), \
                exclusive_fix("unix:///a.sock", "container web", wait=False):
            pass
    with exclusive_fix("unix:///a.sock", "container app", wait=False):
        pass  # released


def test_an_unusable_state_folder_still_locks(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    with exclusive_fix("unix:///a.sock", "container app"):
        with pytest.raises(FixBusy):
            with exclusive_fix("unix:///a.sock", "container app", wait=False):
                pass
