"""The step kinds: the registry names exactly the model's step kinds, and a step runs through
it; the lab never runs a fix that would prune the whole engine."""

from __future__ import annotations

import time

import pytest
from labkit import ROOT

from runner.lab import StepFailed
from runner.lab.context import Context
from runner.lab.steps import ENGINE_ACTIONS, REGISTRY, engine_wide_prunes, run_step
from runner.playbook.loader import load_file
from runner.playbook.model import LAB_ACTIONS, LabStep


def test_fixes_that_prune_the_whole_engine_are_never_run_by_the_lab():
    playbook = load_file(ROOT / "playbooks/buildkit-stale.yaml")
    assert engine_wide_prunes(playbook, None) == []
    assert engine_wide_prunes(playbook, "prune-all-and-rebuild") == [
        "prune-all-and-rebuild: docker builder prune -f"]


def test_the_registry_has_a_function_for_each_step_kind_of_the_model():
    assert sorted(REGISTRY) == sorted(LAB_ACTIONS)
    assert all(callable(kind) for kind in REGISTRY.values())
    assert ENGINE_ACTIONS <= set(REGISTRY)


def test_file_steps_run_through_the_registry(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    ctx = Context(engine=None, janitor=None, playbook=None, playbook_path=None, folder=tmp_path, project=project,
                  scope={"name": "a.txt"}, experiment_label="x", progress=None, index=1, total=1)

    def step(**given: object) -> LabStep:
        return LabStep.model_validate(given)

    assert run_step(ctx, step(write={"path": "{{name}}", "content": "hello\n"})) == \
        ("write a.txt (6 bytes)", {"size": 6, "same_size": False})
    written = (project / "a.txt").stat().st_mtime_ns
    assert run_step(ctx, step(append={"path": "a.txt", "content": "more\n", "keep_mtime": True})) == \
        ("append a.txt (11 bytes, same mtime)", {"size": 11, "same_size": False})
    assert (project / "a.txt").stat().st_mtime_ns == written
    assert run_step(ctx, step(set_mtime={"path": "a.txt", "ago": 3600})) == ("set mtime of a.txt", None)
    assert time.time() - (project / "a.txt").stat().st_mtime > 3500
    assert run_step(ctx, step(touch="a.txt")) == ("touch a.txt", None)
    assert time.time() - (project / "a.txt").stat().st_mtime < 60
    assert run_step(ctx, step(remove="a.txt")) == ("remove a.txt", None)
    assert not (project / "a.txt").exists()
    with pytest.raises(StepFailed, match="leaves the experiment's folder"):
        run_step(ctx, step(write={"path": "../../elsewhere", "content": ""}))
