"""`runner fix`."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from runner import exitcodes
from runner.commands.diagnose import docker_host_option
from runner.commands.options import json_option, lang_option, param_option, parse_params
from runner.playbook.catalogue import load_playbook, playbook_dir


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def exit_code(outcome: str, verdict: str | None) -> int:
    if outcome == "interrupted":
        return exitcodes.INTERRUPTED
    if outcome == "step-failed":
        return exitcodes.STEP_FAILED
    if verdict is not None:
        return exitcodes.OK if verdict == "resolved" else exitcodes.PROBLEM
    return {"nothing-wrong": exitcodes.OK, "could-not-diagnose": exitcodes.CANNOT, "not-applied": exitcodes.NOT_APPLIED,
            "dry-run": exitcodes.PROBLEM, "manual": exitcodes.PROBLEM,
            "recovered": exitcodes.OK}.get(outcome, exitcodes.PROBLEM)


@click.command("fix")
@click.argument("playbook_id", metavar="ID")
@param_option
@click.option("--fix", "fix_id", metavar="FIX_ID",
              help="Apply this fix or alternative instead of the one the cause names.")
@click.option("--yes", "-y", is_flag=True, help="Consent to every step, destructive ones included (for scripts).")
@click.option("--dry-run", "-n", is_flag=True, help="Diagnose and show the plan; run nothing.")
@click.option("--no-wait", is_flag=True,
              help="When another runner fix is working on the same container, fail at once (exit 2) "
                   "instead of waiting for it.")
@click.option("--recover", is_flag=True,
              help="Only finish or undo what an earlier fix that was killed (SIGKILL, a reboot) left half done: "
                   "of --param container=NAME, else of every container on the engine. Any fix does this first.")
@docker_host_option
@json_option
@lang_option
@click.pass_obj
def fix_command(obj: dict, playbook_id: str, params: tuple[str, ...], fix_id: str | None, yes: bool, dry_run: bool,
                no_wait: bool, recover: bool, docker_host: str | None, as_json: bool, lang: str) -> None:
    """Apply the fix for the diagnosed cause, with consent, then diagnose again.

    \b
    Examples:
      runner fix buildkit-stale --param image=app:staging \\
          --param context=. --param container=app            # asks before changing anything
      runner fix buildkit-stale ... --dry-run                # the plan only
      runner fix buildkit-stale ... --yes --json             # scripts: consent given, JSON report
      runner fix buildkit-stale ... --fix prune-all-and-rebuild   # an alternative, by name

    It diagnoses first; when nothing is wrong it says so and stops. Otherwise it shows the
    plan: the cause, then each step with its effect (read, write, destructive) and the exact
    command or action. `write` steps are confirmed once (y/N); each `destructive` step is
    confirmed on its own and names what it loses. Without a terminal, nothing that writes
    runs unless --yes is given. Steps run one by one with their timeouts, their output
    streamed; the first failing step stops the fix and the run says what state is left.
    Ctrl-C stops after the current step (twice: stops the step too); SIGTERM and SIGHUP (a
    closed terminal, a cancelled CI job) do the same, and the report is written. One fix runs
    at a time per container and engine: a second waits for the first (--no-wait: fails).
    A recreate journals each change before it makes it, in the state folder: when a run is
    killed outright (SIGKILL, a reboot), `diagnose` says so and the next fix (or --recover
    alone) finishes the recreate when the new container already serves, or restores the old.

    After the steps it diagnoses again. When that uncovers the next cause of the chain
    (a rebuilt image shows the container behind the tag), it plans that cause's fix too,
    up to 3 rounds. The verdict: resolved, partial (a later cause remains), unchanged or
    worse, with the evidence before and after.

    \b
    Every run writes a JSON report (params, plan, consent, step outputs, timings, verdict;
    token-like secrets masked) under $XDG_STATE_HOME/runner/runs/
    (default ~/.local/state/runner/runs/); --json prints it too.

    \b
    Exit codes: 0 resolved, nothing wrong, or recovered; 1 not resolved (unchanged, partial, worse),
    a dry run with a plan, or a fix with only manual steps; 2 could not run (engine, params,
    unknown fix); 4 not applied: no consent (no terminal and no --yes, or declined);
    5 a step failed or timed out, or --recover could not recover; 130 interrupted.
    """
    from runner.fix.run import run_fix
    from runner.fix.run_report import save_report
    from runner.playbook.params import resolve_params
    from runner.present.terminal import SafeConsole

    playbook = load_playbook(playbook_id, playbook_dir(obj["playbooks_dir"]))
    # --recover needs no diagnosis, so none of the playbook's other params.
    values = parse_params(params) if recover else resolve_params(playbook, parse_params(params), Path.cwd())
    # With --json, stdout is the report alone: the person's view goes to stderr.
    console = SafeConsole(stderr=as_json, highlight=False)
    err = SafeConsole(stderr=True, highlight=False)
    interactive = stdin_is_terminal()
    display = FixDisplay(console, err, playbook, lang, verbose_checks=not as_json)

    def confirm(question: str) -> bool:
        display.pause()
        try:
            return click.confirm(question, default=False, err=True)
        except click.Abort:  # Ctrl-C or the end of input: no answer, which the run reports
            raise KeyboardInterrupt from None

    try:
        with stop_signals_interrupt():
            run = run_fix(playbook, values, docker_host=docker_host, fix_id=fix_id, yes=yes, dry_run=dry_run,
                          interactive=interactive, confirm=confirm, observer=display, lang=lang,
                          wait=not no_wait, recover_only=recover)
    finally:
        display.pause()
    try:
        path: Path | None = save_report(run)
    except OSError as exc:
        # The verdict matters more than the file: say both, and keep the run's own exit code.
        err.print(f"could not write the run report ({exc.strerror or exc}): the verdict is below, and "
                  "--json prints the whole report", markup=False)
        path = None
    code = exit_code(run.outcome, run.verdict)
    display.finish(run, path)
    if as_json:
        import json

        report = run.to_json()
        report["report_path"] = str(path) if path else None
        report["exit_code"] = code
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    sys.exit(code)


@contextlib.contextmanager
def stop_signals_interrupt():  # noqa: ANN201 - a context manager
    """SIGTERM and SIGHUP end a fix the way Ctrl-C does (as KeyboardInterrupt), so the run
    always finishes or rolls back its step and writes its report; by default they kill it."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class FixDisplay:
    """The person's view of a fix run (rich): checks, the plan, each step as it runs.
    It speaks runner.fix.steps.Observer's protocol (imported lazily, like everything heavy)."""

    def __init__(self, console, err, playbook, lang: str, verbose_checks: bool = True) -> None:  # noqa: ANN001
        from runner.commands.diagnose import Spinner

        self.console, self.playbook, self.lang = console, playbook, lang
        self.spinner = Spinner(err)
        self.verbose_checks = verbose_checks
        self.round = 0

    # -- the Observer protocol (runner.fix.steps.Observer)
    def diagnosing(self, round_number: int) -> None:
        from rich.text import Text

        self.round = round_number
        if round_number:
            self.console.print(Text("diagnosing again ...", style="bold"))

    def check_progress(self, check, outcome) -> None:  # noqa: ANN001
        from runner.playbook.model import localize
        from runner.present.report import check_line

        if outcome is None:
            self.spinner.start(f"{check.id}: {localize(check.title, self.lang) if check.title else check.kind} ...")
            return
        self.spinner.stop()
        if self.round == 0 and self.verbose_checks:
            self.console.print(check_line(outcome))

    def diagnosed(self, diagnosis, round_number: int) -> None:  # noqa: ANN001
        from rich.text import Text

        from runner.present.report import _evidence_lines

        self.spinner.stop()
        if diagnosis.cause is None:
            if diagnosis.status == "ok":
                self.console.print(Text("nothing wrong found", style="green"), Text(f"({diagnosis.ms} ms)", style="dim"))
            else:
                self.console.print(Text("could not diagnose", style="bold red"))
                for error in diagnosis.errors:
                    self.console.print(Text(f"  {error}", style="red"))
            return
        cause = diagnosis.cause
        label = "cause" if round_number == 0 else "cause now"
        self.console.print(Text(f"{label}: {cause['id']}", style="bold red"), Text(f" {cause['title']}"),
                           Text(f"({diagnosis.ms} ms)", style="dim"))
        if round_number == 0:
            for check_id, evidence in cause["evidence"].items():
                self.console.print(Text(f"  {check_id}: {evidence.get('summary', '')}", style="dim"))
                for line in _evidence_lines(evidence):
                    self.console.print(Text(line, style="dim"))

    def planned(self, plan, round_number: int) -> None:  # noqa: ANN001
        from rich.text import Text

        from runner.playbook.model import Effect
        from runner.present.show import EFFECT_STYLE

        self.console.print()
        head = Text(f"plan{f' (round {round_number})' if round_number > 1 else ''}: ", style="bold")
        head.append(plan.fix, style="bold cyan")
        head.append(f"  {plan.fix_title}")
        if plan.alternative:
            head.append("  (an alternative)", style="yellow")
        self.console.print(head)
        if plan.cost:
            self.console.print(Text(f"  cost: {plan.cost}", style="yellow"))
        for step in plan.steps:
            line = Text(f"  {step.number}. ")
            line.append(f"[{step.effect}]", style=EFFECT_STYLE[Effect(step.effect)])
            line.append(f" {step.title}")
            if step.how == "manual":
                line.append("  (for you to do)", style="dim")
            self.console.print(line)
            prefix = "$ " if step.how == "run" else "action: " if step.how == "action" else ""
            self.console.print(Text(f"       {prefix}{step.description}", style="cyan" if step.runs else ""))
            if step.loses:
                self.console.print(Text(f"       loses: {step.loses}", style="bold red"))
        if plan.verify:
            self.console.print(Text(f"  then: diagnose again (must pass: {', '.join(plan.verify)})", style="dim"))

    def consented(self, consent) -> None:  # noqa: ANN001
        from rich.text import Text

        style = "green" if consent.granted else "yellow"
        self.console.print(Text(f"consent: {consent.reason}", style=style))

    def step_started(self, step) -> None:  # noqa: ANN001
        from rich.text import Text

        self.console.print(Text(f"▶ {step.number}. {step.title}", style="bold"))
        self.spinner.start(f"step {step.number}: {step.title} ...")

    def step_output(self, step, line: str) -> None:  # noqa: ANN001
        from rich.text import Text

        self.console.print(Text(f"  │ {line}", style="dim"), soft_wrap=True)

    def step_finished(self, step, result) -> None:  # noqa: ANN001
        from rich.text import Text

        self.spinner.stop()
        if result.status == "shown":
            return
        mark, style = {"ok": ("✓", "green"), "timeout": ("⏱", "bold red")}.get(result.status, ("✗", "bold red"))
        line = Text(f"{mark} {step.number}. {step.title}: ", style=style)
        line.append(result.summary, style="" if result.status == "ok" else "red")
        line.append(f"  {result.seconds:.1f} s", style="dim")
        self.console.print(line)

    def interrupt_requested(self) -> None:
        from rich.text import Text

        self.console.print(Text("stop requested (Ctrl-C or a signal): stopping after the current step "
                                "(again: stop it now)", style="bold yellow"))

    def recovered(self, recovery) -> None:  # noqa: ANN001
        from rich.text import Text

        self.spinner.stop()
        style = "red" if recovery.outcome == "failed" else "yellow"
        self.console.print(Text(f"{recovery.journal.describe()}: ", style=style), Text(recovery.summary))

    def waiting(self, message: str) -> None:
        from rich.text import Text

        self.spinner.stop()
        self.console.print(Text(message, style="yellow"))

    # -- the end
    def pause(self) -> None:
        self.spinner.stop()

    def finish(self, run, path) -> None:  # noqa: ANN001
        from rich.text import Text

        from runner.fix.run import OUTCOMES

        self.console.print()
        style = {"resolved": "bold green", "partial": "bold yellow"}.get(run.verdict or "", "bold red")
        if run.verdict:
            before = (run.before.cause or {}).get("id") if run.before else None
            after = run.after
            now = "ok" if after and after.status == "ok" else (after.cause or {}).get("id", after.status) if after \
                else "?"
            self.console.print(Text(f"verdict: {run.verdict}", style=style),
                               Text(f"  before: {before}  after: {now}  ({run.seconds:.1f} s)", style="dim"))
        else:
            outcome_style = "green" if run.outcome == "nothing-wrong" else "bold yellow"
            self.console.print(Text(OUTCOMES.get(run.outcome, run.outcome), style=outcome_style))
        if run.state and run.state != OUTCOMES.get(run.outcome):
            self.console.print(Text(f"  {run.state}"))
        self.console.print(Text(f"run report: {path}" if path else "run report: not written (see above)",
                                style="dim"))
