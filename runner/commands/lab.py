"""`runner lab`: replay playbooks' reproductions on a real engine and check their claims."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from runner import exitcodes
from runner.commands.options import json_option
from runner.playbook.catalogue import playbook_dir

EXIT_FOR_STATUS = {"pass": exitcodes.OK, "differs": exitcodes.LAB_DIFFERS, "error": exitcodes.CANNOT}
SEVERITY = ("pass", "error", "differs")  # the worst status of several labs decides the exit code
MARK = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]![/]"}  # agrees with the playbook?
VERDICT_STYLE = {"confirmed": "green", "refuted": "bold red", "mixed": "yellow", "error": "yellow"}


def _path_of(folder: Path, playbook_id: str) -> Path:
    from runner.playbook.loader import SUFFIXES

    for suffix in SUFFIXES:
        if (folder / f"{playbook_id}{suffix}").is_file():
            return folder / f"{playbook_id}{suffix}"
    from runner.playbook.catalogue import load_playbook

    load_playbook(playbook_id, folder)  # raises UnknownPlaybook with a did-you-mean
    raise AssertionError("unreachable")


@click.command("lab")
@click.argument("playbook_ids", nargs=-1, metavar="[ID]...")
@click.option("--all", "all_", is_flag=True, help="Every playbook that has a lab.")
@click.option("--experiment", "-e", "only", multiple=True, metavar="ID",
              help="Only this experiment (repeatable); its claims are decided by it alone.")
@click.option("--record", is_flag=True,
              help="Write each decided claim's verdict into the playbook: status, and a verified entry "
                   "with the date, engine and client.")
@click.option("--docker-host", "-H", metavar="URL", envvar="RUNNER_DOCKER_HOST",
              help="Engine to run on [default: DOCKER_HOST, else the current docker context, else the local socket].")
@click.option("--keep-folder", is_flag=True, hidden=True, help="Keep the temporary project folders (debugging).")
@click.option("--clean-up", "clean_up", is_flag=True,
              help="Run no lab: remove what lab runs that were killed (or whose machine stopped) left on the engine.")
@click.option("--older-than", metavar="DURATION", default="1h", show_default=True, callback=lambda _c, _p, v: _seconds(v),
              help="With --clean-up: how old a run from another machine (no ledger here) must be to count as ended "
                   "(90s, 30m, 2h).")
@json_option
@click.pass_obj
def lab_command(obj: dict, playbook_ids: tuple[str, ...], all_: bool, only: tuple[str, ...], record: bool,
                docker_host: str | None, keep_folder: bool, clean_up: bool, older_than: float,
                as_json: bool) -> None:
    """Replay a playbook's reproduction on a real engine and decide its claims.

    \b
    Examples:
      runner lab buildkit-stale
      runner lab --all --json
      runner lab buildkit-stale -e prune-drops-cache-mount --record
      runner lab --clean-up                # after a lab was killed (kill -9, a machine restart)

    Each experiment builds a small project in a temporary folder, with unique names and the
    label runner.lab=<run>, and asserts on what it observes (build steps CACHED or not, image
    IDs, files inside images, a container's image, what `runner diagnose` names). A claim is
    confirmed or refuted by its experiments; the report gives the engine and client versions.
    The lab removes everything it created, build-cache records included (only its own, by
    ID), also after a failure or Ctrl-C.

    A lab killed with SIGKILL cannot clean up: `--clean-up` removes what such runs left (what
    they labelled, and the build-cache records their ledger in $TMPDIR/runner-lab names), never
    anything of a run still going, nor anything without the label.

    \b
    Exit codes: 0 every claim agrees with the playbook, 6 a verdict differs from the
    recorded status (or a wrong attempt, fix or cause did not behave as recorded),
    2 an experiment could not run (--clean-up: something could not be removed),
    130 interrupted.
    JSON (--json): {"status", "labs": [{"playbook", "status", "engine", "client", "claims":
      [{"id", "verdict", "recorded", "agrees", "experiments", "engine", "client"}],
      "experiments": [{"id", "outcome", "verdict", "seconds", "steps", "assertions", ...}],
      "ties", "cleanup", "seconds"}], "recorded": {playbook: [claim ids]}};
      with --clean-up: {"runs": [{"run", "why", "removed", "left"}], "left"}
    """
    from runner.lab import LabError
    from runner.lab.record import record_verdicts
    from runner.lab.run import run_lab
    from runner.playbook.catalogue import load_catalogue
    from runner.playbook.loader import load_file
    from runner.present.terminal import SafeConsole

    if clean_up:
        if playbook_ids or all_ or only or record:
            raise click.UsageError("--clean-up runs no lab: give it no playbook IDs, --all, -e or --record")
        _clean_up(docker_host, older_than, as_json)
        return
    folder = playbook_dir(obj["playbooks_dir"])
    if all_ == bool(playbook_ids):
        raise click.UsageError("give playbook IDs or --all (not both)")
    if all_:
        targets = [(p, _path_of(folder, p.id)) for p in load_catalogue(folder) if p.lab is not None]
        if not targets:
            raise LabError(f"no playbook in {folder} has a lab section")
    else:
        targets = []
        for playbook_id in playbook_ids:
            path = _path_of(folder, playbook_id)
            targets.append((load_file(path), path))
    err = SafeConsole(stderr=True, highlight=False)
    out = SafeConsole(highlight=False)
    reports = []
    recorded: dict[str, list[str]] = {}
    for playbook, path in targets:
        if playbook.lab is None:
            raise LabError(f"{playbook.id} has no lab section")
        with _Display(err, enabled=True) as display:
            report = run_lab(playbook, path, docker_host=docker_host, only=only, progress=display.event,
                             keep_folder=keep_folder)
        reports.append(report)
        if record:
            recorded[playbook.id] = record_verdicts(path, report)
        if not as_json:
            _print_report(out, report, recorded.get(playbook.id))
    statuses = [_status_after_record(r, recorded.get(r.playbook)) for r in reports]
    status = max(statuses, key=SEVERITY.index)
    if as_json:
        click.echo(json.dumps({"status": status, "labs": [r.to_json() for r in reports],
                               "recorded": recorded}, ensure_ascii=False, indent=2, default=str))
    sys.exit(EXIT_FOR_STATUS[status])


DURATION = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(text: str) -> float:
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not match:
        raise click.BadParameter(f"{text!r} is not a duration: a number with s, m, h or d (90s, 30m, 2h)")
    return float(match.group(1)) * DURATION[match.group(2) or "s"]


def _clean_up(docker_host: str | None, older_than: float, as_json: bool) -> None:
    from runner.lab.leftovers import clean_up
    from runner.present.terminal import SafeConsole

    err = SafeConsole(stderr=True, highlight=False)
    found = clean_up(docker_host, older_than,
                     waiting=lambda holder: err.print(f"another lab runs on this engine ({holder}): waiting"))
    left = [f"{item} (run {run.run_id})" for run in found for item in run.cleanup.left]
    if as_json:
        click.echo(json.dumps({"runs": [run.to_json() for run in found], "left": left}, ensure_ascii=False, indent=2))
    elif not found:
        click.echo("nothing to clean up: no ended lab run left anything on this engine")
    else:
        for run in found:
            removed = ", ".join(f"{count} {kind.replace('_', '-')}" for kind, count in run.cleanup.removed.items()
                                if count) or "nothing was left on the engine"
            click.echo(f"run {run.run_id} ({run.why}): removed {removed}")
        for item in left:
            click.echo(f"could not remove {item}", err=True)
    sys.exit(exitcodes.CANNOT if left else exitcodes.OK)


def _status_after_record(report, recorded: list[str] | None) -> str:  # noqa: ANN001
    """A verdict just written into the playbook no longer differs from it."""
    if recorded is None or report.status != "differs":
        return report.status
    differs = any(c.agrees is False and c.id not in recorded for c in report.claims) \
        or any(t.behaves is False for t in report.ties)
    if differs:
        return "differs"
    errored = bool(report.problems) or any(e.outcome == "error" for e in report.experiments)
    return "error" if errored else "pass"


class _Display:
    """Progress on stderr: a live bar on a terminal, one line per experiment otherwise (CI logs)."""

    def __init__(self, console, enabled: bool) -> None:  # noqa: ANN001
        self.console = console
        self.live = enabled and console.is_terminal
        self.enabled = enabled
        self.progress = None
        self.task = None

    def __enter__(self) -> _Display:
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), console=self.console,
                                     transient=True)
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        if self.progress is not None:
            self.progress.stop()

    def event(self, event) -> None:  # noqa: ANN001
        if not self.enabled:
            return
        if event.kind == "start":
            line = f"lab {event.playbook}: {event.total} experiment(s) on {event.detail}"
            if self.progress is not None:
                self.task = self.progress.add_task(line, total=event.total)
                self.progress.console.print(line, markup=False)
            else:
                self.console.print(line, markup=False)
        elif event.kind == "waiting":
            (self.progress.console if self.progress is not None else self.console).print(event.detail, markup=False)
        elif event.kind == "experiment" and self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=f"{event.experiment}")
        elif event.kind == "step" and self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=f"{event.experiment}: {event.detail}"[:90])
        elif event.kind == "experiment-done":
            result = event.result
            line = f"{_mark(result)} [{event.index}/{event.total}] {result.id} ({result.seconds:.1f} s)" \
                + _outcome_words(result)
            if self.progress is not None and self.task is not None:
                self.progress.advance(self.task)
                self.progress.console.print(line)
            else:
                self.console.print(line)
        elif event.kind == "cleanup" and self.progress is not None and self.task is not None:
            self.progress.update(self.task, description="cleaning up what the lab created")


def _mark(result) -> str:  # noqa: ANN001
    return "[dim]–[/]" if result.outcome == "skipped" else MARK[result.agrees]


def _outcome_words(result) -> str:  # noqa: ANN001
    """`: refutes a, b` for an experiment that decides claims; '' otherwise."""
    if result.outcome == "error":
        return ": could not run"
    if result.outcome == "skipped":
        return ": not for this engine"
    if not result.claims:
        return "" if result.outcome == "held" else ": did not behave as recorded"
    verdict = result.verdict()
    return f": {'confirms' if verdict == 'confirmed' else 'refutes'} {', '.join(result.claims)}"


def _print_report(out, report, recorded: list[str] | None) -> None:  # noqa: ANN001
    from rich.markup import escape
    from rich.table import Table

    versions = report.versions
    compose = f", {versions.compose}" if versions.compose else ""
    out.print(f"[bold]{report.playbook}[/]: {escape(versions.engine)} ({escape(versions.store)} image store), "
              f"{escape(versions.client)} ({escape(versions.client_path)}){escape(compose)}; run {report.run_id}, "
              f"{report.seconds:.1f} s")
    for experiment in report.experiments:
        out.print(f"  {_mark(experiment)} {experiment.id} [dim]({experiment.seconds:.1f} s)[/]"
                  f"{_outcome_words(experiment)}")
        if experiment.error:
            out.print(f"      [yellow]{escape(experiment.error.splitlines()[0])}[/]")
            for line in experiment.error.splitlines()[1:8]:
                out.print(f"      [dim]{escape(line)}[/]")
        for check in experiment.assertions:
            if not check.passed or experiment.outcome != "held":
                mark = "[green]✓[/]" if check.passed else "[red]✗[/]"
                out.print(f"      {mark} {escape(check.describe)}")
    table = Table(show_edge=False, pad_edge=False, box=None)
    for column in ("claim", "verdict", "recorded", ""):
        table.add_column(column)
    for claim in report.claims:
        if claim.verdict is None:
            table.add_row(claim.id, "[dim]not tested[/]", claim.recorded, "")
            continue
        style = VERDICT_STYLE.get(claim.verdict, "")
        agrees = "[green]agrees[/]" if claim.agrees else "" if claim.agrees is None else (
            "[cyan]recorded now[/]" if recorded and claim.id in recorded else "[bold red]differs[/]")
        table.add_row(claim.id, f"[{style}]{claim.verdict}[/]", claim.recorded, agrees)
    out.print(table)
    for tie in report.ties:
        mark = "[green]✓[/]" if tie.behaves else "[red]✗[/]" if tie.behaves is False else "[yellow]![/]"
        out.print(f"  {mark} {tie.kind.replace('_', ' ')} {tie.id}: {tie.meaning} ({tie.experiment})")
    if report.cleanup is not None:
        removed = ", ".join(f"{n} {kind.replace('_', '-')}" for kind, n in report.cleanup.removed.items() if n)
        out.print(f"  [dim]cleaned up: {removed or 'nothing left to remove'}; owned build-cache records: "
                  f"{len(report.owned_build_cache)}[/]")
    for problem in report.problems:
        out.print(f"  [yellow]{escape(problem)}[/]")
    if recorded:
        out.print(f"  recorded {len(recorded)} claim(s) in the playbook: {', '.join(recorded)}")
    words = {"pass": "[green]every verdict agrees with the playbook[/]",
             "differs": "[bold red]a verdict differs from the playbook[/] (runner lab --record writes them)",
             "error": "[yellow]an experiment could not run[/]"}
    out.print(f"  {words[report.status]}")
