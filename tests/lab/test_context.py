"""The paths a lab step may name (runner/lab/context.py): `inside` keeps every path in the
experiment's folder, `step_path` reads a relative path from the project and an absolute one as
it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.lab import StepFailed
from runner.lab.context import Context, inside, step_path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An experiment's folder, as one_experiment lays it out: the project inside it."""
    made = tmp_path / "runner-lab-r1-e1"
    (made / "project").mkdir(parents=True)
    return made


def context(folder: Path) -> Context:
    return Context(engine=None, janitor=None, playbook=None, playbook_path=None,  # type: ignore[arg-type]
                   folder=folder, project=folder / "project", scope={}, experiment_label="e1", progress=None,
                   index=1, total=1)


@pytest.mark.parametrize(("relpath", "resolved"), [
    ("a.txt", "a.txt"),
    ("src/a.txt", "src/a.txt"),
    ("src/../a.txt", "a.txt"),
    ("./src//a.txt", "src/a.txt"),
    (".", "."),
    ("", "."),
])
def test_inside_resolves_a_path_that_stays_in_the_folder(folder, relpath, resolved):
    assert inside(folder, relpath) == (folder / resolved).resolve()


@pytest.mark.parametrize("relpath", ["..", "../x", "src/../../x", "/etc/passwd", "../runner-lab-r1-e1-other/x"])
def test_inside_refuses_a_path_that_leaves_the_folder(folder, relpath):
    with pytest.raises(StepFailed) as refused:
        inside(folder, relpath)
    assert str(refused.value) == f"{relpath} leaves the experiment's folder"


def test_inside_refuses_a_link_that_points_out(folder, tmp_path):
    (tmp_path / "outside").mkdir()
    (folder / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(StepFailed, match="leaves the experiment's folder"):
        inside(folder, "link/x")


def test_inside_takes_an_absolute_path_in_the_folder(folder):
    assert inside(folder, str(folder / "project" / "a")) == (folder / "project" / "a").resolve()


def test_a_relative_step_path_is_read_from_the_project(folder):
    ctx = context(folder)
    assert step_path(ctx, "src/a.txt") == (folder / "project/src/a.txt").resolve()
    assert step_path(ctx, ".") == (folder / "project").resolve()


def test_a_relative_step_path_may_leave_the_project_but_not_the_folder(folder):
    ctx = context(folder)
    assert step_path(ctx, "../base/marker") == (folder / "base/marker").resolve()
    with pytest.raises(StepFailed, match="leaves the experiment's folder"):
        step_path(ctx, "../../elsewhere")


def test_an_absolute_step_path_is_taken_as_it_is_inside_the_folder(folder):
    ctx = context(folder)
    assert step_path(ctx, str(folder / "base/Dockerfile")) == (folder / "base/Dockerfile").resolve()
    with pytest.raises(StepFailed, match="leaves the experiment's folder"):
        step_path(ctx, "/etc/hostname")
