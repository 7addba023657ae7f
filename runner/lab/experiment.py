"""One experiment: its base image and project files, its steps run in order (each step kind's
build-cache records owned), its assertions checked, and what it created removed."""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path
from typing import Any

from runner.errors import RunnerError
from runner.lab import NAME_PREFIX, StepFailed
from runner.lab.assertions import check_assertion
from runner.lab.context import Context, inside
from runner.lab.engine import Engine, build_base_image
from runner.interrupts import deferred_interrupts
from runner.lab.janitor import Janitor
from runner.lab.results import (
    AssertionResult,
    ExperimentResult,
    LabEvent,
    Progress,
    StepResult,
)
from runner.lab.steps import ENGINE_ACTIONS, run_step
from runner.playbook.model import Experiment, LabStep, Playbook, localize
from runner.playbook.placeholders import Missing, fill_text


def write_project(ctx: Context, lab_files: dict[str, str], folder_files: Path | None) -> None:
    ctx.project.mkdir(parents=True, exist_ok=True)
    if folder_files is not None:
        for source in sorted(folder_files.rglob("*")):
            relative = source.relative_to(folder_files)
            target = ctx.project / relative
            if source.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    target.write_text(fill_text(source.read_text(), ctx.scope))
                except UnicodeDecodeError:
                    shutil.copy2(source, target)
                target.chmod(source.stat().st_mode & 0o777)
    for relpath, content in lab_files.items():
        target = inside(ctx.project, relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fill_text(content, ctx.scope))


def run_experiment(ctx: Context, experiment: Experiment, lab_setup: tuple[LabStep, ...]) -> ExperimentResult:
    started = time.monotonic()
    results: list[StepResult] = []
    assertions: list[AssertionResult] = []
    error: str | None = None
    plan = [("setup", i, s) for i, s in enumerate((*lab_setup, *experiment.setup))] + \
        [("steps", i, s) for i, s in enumerate(experiment.steps)]
    try:
        for phase, index, step in plan:
            describe = localize(step.title, "en") if step.title else step.action
            if ctx.progress:
                ctx.progress(LabEvent("step", ctx.playbook.id, ctx.index, ctx.total, experiment.id,
                                      f"{phase} {index + 1}: {describe}"))
            step_started = time.monotonic()
            try:
                with ctx.janitor.window() if step.action in ENGINE_ACTIONS else contextlib.nullcontext():
                    describe, observed = run_step(ctx, step)
            except StepFailed as exc:
                results.append(StepResult(phase, index, step.action, describe,
                                          round(time.monotonic() - step_started, 3), False, step.as_, str(exc)))
                raise
            except Missing as exc:
                raise StepFailed(f"{phase} {index + 1}: {exc}") from None
            if step.as_ is not None and observed is not None:
                ctx.saved[step.as_] = observed
            results.append(StepResult(phase, index, step.action, describe,
                                      round(time.monotonic() - step_started, 3), True, step.as_))
        for index, check in enumerate(experiment.assert_):
            holds, describe = check_assertion(check, {**ctx.scope, **ctx.saved})
            assertions.append(AssertionResult(index, describe, holds,
                                              localize(check.title, "en") if check.title else None, check.shows))
    except StepFailed as exc:
        error = str(exc)
    except RunnerError as exc:  # e.g. a param diagnose refuses
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - an engine error (docker SDK) ends this experiment, not the lab
        from docker.errors import DockerException

        if not isinstance(exc, DockerException):
            raise
        error = f"the engine refused: {exc}"
    if error is not None:
        outcome = "error"
    else:
        outcome = "held" if all(a.passed for a in assertions) else "failed"
    return ExperimentResult(
        experiment.id, localize(experiment.title, "en"), outcome, round(time.monotonic() - started, 3),
        experiment.claims, experiment.expect, experiment.wrong_attempt, experiment.fix, experiment.cause,
        tuple(results), tuple(assertions), _observations(ctx.saved), error)


def _observations(saved: dict[str, Any]) -> dict[str, Any]:
    """What the steps saw, small enough for a report: outputs cut to their end."""
    kept: dict[str, Any] = {}
    for name, value in saved.items():
        if isinstance(value, dict):
            value = {k: (v[-2000:] if isinstance(v, str) and k in ("output", "stdout", "stderr") else v)
                     for k, v in value.items() if k != "report"}
        kept[name] = value
    return kept


def one_experiment(engine: Engine, janitor: Janitor, playbook: Playbook, path: Path | None,
                   experiment: Experiment, number: int, total: int, temp: Path, run_base: str,
                   files_folder: Path | None, progress: Progress | None) -> ExperimentResult:
    lab = playbook.lab
    assert lab is not None
    tag = f"{number:02d}"
    folder = temp / f"{tag}-{experiment.id}"
    label = f"{engine.run_id}-{tag}"
    names = {name: f"{NAME_PREFIX}-{engine.run_id}-{tag}-{name.replace('_', '-')}" for name in lab.names}
    base = f"{NAME_PREFIX}-{engine.run_id}-{tag}-base"
    scope = {**names, "base": base, "run": engine.run_id, "context": str(folder / "project"), "tmp": str(folder)}
    ctx = Context(engine, janitor, playbook, path, folder, folder / "project", scope, label, progress, number, total)
    started = time.monotonic()
    unmet = engine.unmet(experiment.requires)
    if unmet is not None:
        return ExperimentResult(experiment.id, localize(experiment.title, "en"), "skipped", 0.0, experiment.claims,
                                experiment.expect, experiment.wrong_attempt, experiment.fix, experiment.cause, (), (),
                                {}, f"not for this engine: {unmet}")
    janitor.experiment = tag
    try:
        with janitor.window(roots=True) as appeared:
            build_base_image(engine, folder / "base", base, parent=run_base,
                             marker=f"runner lab {engine.run_id} {experiment.id}", experiment_label=label)
        # The base's context records would only blur what an experiment observes of its own.
        janitor.prune({"type": "source.local"}, only=appeared)
        write_project(ctx, {**lab.files, **experiment.files}, files_folder)
        return run_experiment(ctx, experiment, lab.setup)
    except StepFailed as exc:
        return ExperimentResult(experiment.id, localize(experiment.title, "en"), "error",
                                round(time.monotonic() - started, 3), experiment.claims, experiment.expect,
                                experiment.wrong_attempt, experiment.fix, experiment.cause, (), (), {}, str(exc))
    finally:
        # Each experiment starts from an engine without the previous one's objects.
        with deferred_interrupts():
            janitor.problems.extend(janitor.tidy(tag))
            janitor.experiment = None

