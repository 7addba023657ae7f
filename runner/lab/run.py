"""A whole lab run: one lab at a time on an engine, the run's base image, each experiment in
turn, the cleanup (also after a failure or Ctrl-C), and the report."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from runner.lab import NAME_PREFIX, LabError, StepFailed
from runner.lab.engine import Engine, build_base_image
from runner.lab.experiment import one_experiment
from runner.interrupts import deferred_interrupts, terminate_as_interrupt
from runner.lab.janitor import Janitor
from runner.lab.lock import engine_lock
from runner.lab.results import Cleanup, ExperimentResult, LabEvent, LabReport, Progress
from runner.lab.verdicts import agrees, decide
from runner.playbook.model import Experiment, Playbook, localize


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]


def lab_folder(playbook: Playbook, path: Path | None) -> Path | None:
    """The lab's folder of project files, when it names one."""
    if playbook.lab is None or playbook.lab.dir is None:
        return None
    base = path.parent if path is not None else Path.cwd()
    folder = (base / playbook.lab.dir).resolve()
    if not folder.is_dir():
        raise LabError(f"{playbook.id}: lab.dir {playbook.lab.dir!r} is not a folder (looked in {folder})")
    return folder


def run_lab(playbook: Playbook, path: Path | None = None, *, docker_host: str | None = None,
            only: tuple[str, ...] = (), progress: Progress | None = None, run_id: str | None = None,
            keep_folder: bool = False) -> LabReport:
    """Run the playbook's experiments (all, or those named in `only`) and decide its claims.
    Everything created is removed before this returns or raises, Ctrl-C included."""
    if playbook.lab is None:
        raise LabError(f"{playbook.id} has no lab section")
    lab = playbook.lab
    experiments = [e for e in lab.experiments if not only or e.id in only]
    unknown = sorted(set(only) - {e.id for e in lab.experiments})
    if unknown:
        raise LabError(f"{playbook.id} has no experiment {unknown[0]!r} "
                       f"(has: {', '.join(e.id for e in lab.experiments)})")
    files_folder = lab_folder(playbook, path)
    run_id = run_id or new_run_id()
    engine = Engine(docker_host, run_id)

    def waiting(holder: str) -> None:
        if progress:
            progress(LabEvent("waiting", playbook.id, detail=f"another lab runs on this engine ({holder}): waiting"))

    with engine_lock(engine.host, run_id, waiting):
        return _run(playbook, path, engine, experiments, files_folder, progress, keep_folder)


def _run(playbook: Playbook, path: Path | None, engine: Engine, experiments: list[Experiment],
         files_folder: Path | None, progress: Progress | None, keep_folder: bool) -> LabReport:
    run_id = engine.run_id
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()
    janitor = Janitor(engine.client, run_id, engine.host)
    results: list[ExperimentResult] = []
    cleanup: Cleanup | None = None
    temp = Path(tempfile.mkdtemp(prefix=f"runner-lab-{run_id}-"))
    problems: list[str] = []
    if progress:
        progress(LabEvent("start", playbook.id, 0, len(experiments), detail=f"{engine.versions.engine}, "
                          f"{engine.versions.client}"))
    try:
        with terminate_as_interrupt():
            base = f"{NAME_PREFIX}-{run_id}-base"
            with janitor.window(roots=True) as appeared:
                build_base_image(engine, temp / "base", base, parent=None, marker=f"runner lab {run_id}")
            janitor.prune({"type": "source.local"}, only=appeared)
            for number, experiment in enumerate(experiments, start=1):
                if progress:
                    progress(LabEvent("experiment", playbook.id, number, len(experiments), experiment.id,
                                      localize(experiment.title, "en")))
                result = one_experiment(engine, janitor, playbook, path, experiment, number, len(experiments),
                                         temp, base, files_folder, progress)
                result = replace(result, agrees=agrees(playbook, result, engine.versions))
                results.append(result)
                if progress:
                    progress(LabEvent("experiment-done", playbook.id, number, len(experiments), experiment.id,
                                      result=result))
    except StepFailed as exc:
        problems.append(f"the lab could not start: {exc}")
    finally:
        if progress:
            progress(LabEvent("cleanup", playbook.id, detail="removing what the lab created"))
        with deferred_interrupts():
            cleanup = janitor.clean()
            if not keep_folder:
                shutil.rmtree(temp, ignore_errors=True)
    problems.extend(janitor.problems)
    if cleanup.left:
        problems.append("could not remove: " + ", ".join(cleanup.left))
    claims, ties = decide(playbook, results, engine.versions)
    differs = any(c.agrees is False for c in claims) or any(t.behaves is False for t in ties)
    errored = bool(problems) or any(r.outcome == "error" for r in results)
    status = "differs" if differs else "error" if errored else "pass"
    report = LabReport(playbook.id, run_id, status, engine.versions, started_at,
                       round(time.monotonic() - started, 3), tuple(results), claims, ties, cleanup,
                       tuple(sorted(janitor.owned)), tuple(problems))
    if progress:
        progress(LabEvent("done", playbook.id, result=report))
    return report

