"""`runner diagnose`."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click

from runner import exitcodes
from runner.commands.options import json_option, lang_option, param_option, parse_params
from runner.playbook.folders import playbook_dir

docker_host_option = click.option(
    "--docker-host", "-H", metavar="URL", envvar="RUNNER_DOCKER_HOST",
    help="Engine to talk to: unix://, tcp://host:2376, ssh://user@host "
         "[default: DOCKER_HOST, else the current docker context, else the local socket].")

EXIT_FOR_STATUS = {"ok": exitcodes.OK, "problem": exitcodes.PROBLEM, "error": exitcodes.CANNOT}


class Spinner:
    """A spinner on stderr for a check that runs longer than half a second, on a terminal only
    (console None: never)."""

    def __init__(self, console) -> None:  # noqa: ANN001
        self.console = console
        self.timer: threading.Timer | None = None
        self.status = None

    def start(self, label: str) -> None:
        if self.console is None or not self.console.is_terminal:
            return
        self.timer = threading.Timer(0.5, self._show, args=(label,))
        self.timer.daemon = True
        self.timer.start()

    def _show(self, label: str) -> None:
        self.status = self.console.status(label)
        self.status.start()

    def stop(self) -> None:
        if self.timer:
            self.timer.cancel()
        if self.status:
            self.status.stop()
            self.status = None


def _console(stderr: bool = False):  # noqa: ANN202 - a SafeConsole, imported late
    from runner.present.terminal import SafeConsole

    return SafeConsole(stderr=stderr, highlight=False)


@click.command("diagnose")
@click.argument("playbook_id", metavar="ID")
@param_option
@docker_host_option
@json_option
@lang_option
@click.option("--profile", "profile", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Run the checks one after another in one thread under cProfile and write its stats to "
                   "FILE (read them with `python -m pstats FILE`); the build still runs ahead.")
@click.pass_obj
def diagnose_command(obj: dict, playbook_id: str, params: tuple[str, ...], docker_host: str | None,
                     as_json: bool, lang: str, profile: str | None) -> None:
    """Run a playbook's read-only checks against the live system and name the cause.

    \b
    Example:
      runner diagnose buildkit-stale --param image=app:staging \\
          --param context=. --param container=app

    Checks only read: they inspect the engine, images, containers, the git checkout and the
    build context. Where a cause can only be decided by building (what would this context
    build now?), the build uses the cache, tags nothing, removes the image it made, and says
    so in its output.

    \b
    Exit codes: 0 nothing wrong, 1 problem found (the cause is named, or a check failed
    that no cause of this playbook explains: "unexplained"), 2 could not diagnose (engine
    unreachable, missing image or container, bad param).
    JSON (--json): {"playbook", "status": "ok"|"problem"|"error",
      "cause": {"id", "title", "explanation", "evidence"} | null,
      "checks": [{"id", "status", "summary", "evidence", "ms"}], "fix": id | null, "ms",
      "errors": [...], "unexplained": ["check: summary", ...],
      "interrupted_fixes": [...]}: a fix of the container killed half way
      (SIGKILL, a reboot) makes the status "problem" until `runner fix --recover`.

    \b
    Speed: a call runs in its own process and then leaves a resident runner that
    keeps the runner imported (10 idle minutes at most); the next calls are forks
    of it, with your environment, folder and terminal. RUNNER_RESIDENT=0 turns it off.
    """
    from runner.diagnose import early
    from runner.engine.building import Builds
    from runner.interrupts import terminate_as_interrupt

    folder, given, cwd = playbook_dir(obj["playbooks_dir"]), parse_params(params), Path.cwd()
    # SIGTERM unwinds like Ctrl-C from here: a build started early is stopped, what it made removed.
    with terminate_as_interrupt(), Builds() as builds:
        # Before the heavy imports and the playbook's validation: the daemon builds meanwhile.
        early.start_remembered(folder, playbook_id, given, docker_host, cwd, builds)
        diagnosis, playbook = _diagnose(playbook_id, folder, given, docker_host, as_json, lang, profile, builds)
    early.remember(folder, playbook_id, given, docker_host, cwd, builds.asked())
    if as_json:
        from runner.present.machine import to_json

        click.echo(to_json(diagnosis))
    else:
        from runner.present.report import print_verdict
        from runner.present.terminal import SafeConsole

        print_verdict(SafeConsole(highlight=False), playbook, diagnosis, lang, docker_host)
    sys.exit(EXIT_FOR_STATUS[diagnosis.status])


def _diagnose(playbook_id: str, folder: Path, given: dict[str, str], docker_host: str | None, as_json: bool,
              lang: str, profile: str | None, builds):  # noqa: ANN001, ANN202 - (Diagnosis, Playbook), imported late
    from runner.diagnose.diagnosis import diagnose
    from runner.playbook.catalogue import load_playbook
    from runner.playbook.model import localize
    from runner.playbook.params import resolve_params

    playbook = load_playbook(playbook_id, folder)
    values = resolve_params(playbook, given, Path.cwd())
    # The terminal's library only where something is shown: JSON for a script needs neither.
    out = None if as_json else _console()
    spinner = Spinner(_console(stderr=True) if sys.stderr.isatty() else None)

    def progress(check, outcome) -> None:  # noqa: ANN001
        if outcome is None:
            spinner.start(f"{check.id}: {localize(check.title, lang) if check.title else check.kind} ...")
            return
        spinner.stop()
        if out is not None:
            from runner.present.report import check_line

            out.print(check_line(outcome))

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        # Checks run side by side in threads, where a profile sees only the main thread's
        # waiting: profiled, they run one after another in this thread.
        diagnosis = diagnose(playbook, values, docker_host=docker_host, progress=progress, lang=lang,
                             serial=profiler is not None, builds=builds)
    finally:
        spinner.stop()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
            click.echo(f"profile written to {profile}: python -m pstats {profile}", err=True)
    return diagnosis, playbook

