"""The whole fix run: diagnose, plan, consent, steps, diagnose again, the verdict. Data in, data out.

`run_fix` diagnoses, plans the fix the cause names (or the one asked for), asks consent (see
consent.py), runs the steps one by one with their timeouts, then diagnoses again. A fix often
uncovers the next link of the chain (a rebuilt image shows the container behind the tag): a
new cause later in the playbook's order gets its own fix, up to MAX_ROUNDS. The result is a
`FixRun`, which serializes to the JSON run report. Nothing here prints or exits; what happens
is told to an `Observer`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.diagnose.diagnosis import Diagnosis, diagnose
from runner.fix.consent import Confirm, Consent, decide_consent
from runner.fix.journal import Recovery
from runner.fix.lock import exclusive_fix, fix_target
from runner.fix.masking import mask_deep
from runner.fix.plan import Plan, PlanError, plan_fix
from runner.fix.steps import Observer, RunEnvironment, StepResult, left_state, run_steps
from runner.playbook.model import Playbook

MAX_ROUNDS = 3


@dataclass
class Round:
    number: int
    plan: Plan
    consent: Consent | None = None
    steps: list[StepResult] = field(default_factory=list)
    stopped: str | None = None
    after: Diagnosis | None = None
    seconds: float = 0.0

    def verified(self) -> dict[str, str] | None:
        if self.after is None or not self.plan.verify:
            return None
        statuses = {o.id: o.status for o in self.after.checks}
        return {check: statuses.get(check, "missing") for check in self.plan.verify}

    def to_json(self) -> dict[str, Any]:
        return {"round": self.number, "plan": self.plan.to_json(),
                "consent": self.consent.to_json() if self.consent else None,
                "steps": [s.to_json() for s in self.steps], "stopped": self.stopped,
                "verify": self.verified(), "after": summarize(self.after), "seconds": round(self.seconds, 3)}


# outcome -> what happened, in a few words
OUTCOMES = {
    "nothing-wrong": "nothing wrong was found; nothing to fix",
    "could-not-diagnose": "the diagnosis could not run",
    "dry-run": "dry run: the plan was shown, nothing ran",
    "manual": "the fix has only steps for you to do",
    "not-applied": "not applied: no consent",
    "step-failed": "a step failed",
    "interrupted": "interrupted",
    "applied": "applied and diagnosed again",
    "recovered": "finished or undone what an earlier, cut-off fix left half done",
}


@dataclass
class FixRun:
    playbook: str
    params: dict[str, str]
    engine: str
    options: dict[str, Any]
    started_at: str
    before: Diagnosis | None = None
    rounds: list[Round] = field(default_factory=list)
    outcome: str = "could-not-diagnose"
    verdict: str | None = None  # resolved | partial | unchanged | worse, once something was applied
    state: str = ""
    seconds: float = 0.0
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    masked: Counter[str] = field(default_factory=Counter)  # secrets kept out of the steps' output, by kind
    recovered: list[Recovery] = field(default_factory=list)  # recreates an earlier, killed run left half done

    @property
    def after(self) -> Diagnosis | None:
        return next((r.after for r in reversed(self.rounds) if r.after is not None), None)

    def to_json(self) -> dict[str, Any]:
        from runner import __version__

        masked = Counter(self.masked)
        report = mask_deep({
            "run_id": self.run_id, "runner": __version__, "playbook": self.playbook, "engine": self.engine,
            "started_at": self.started_at, "seconds": round(self.seconds, 3), "params": self.params,
            "options": self.options, "outcome": self.outcome, "verdict": self.verdict, "state": self.state,
            "before": summarize(self.before), "rounds": [r.to_json() for r in self.rounds],
            "after": summarize(self.after), "recovered": [r.to_json() for r in self.recovered],
        }, masked)
        report["masked"] = dict(sorted(masked.items()))  # which kinds, how many: never a value
        return report


def summarize(diagnosis: Diagnosis | None) -> dict[str, Any] | None:
    if diagnosis is None:
        return None
    return {"status": diagnosis.status, "cause": diagnosis.cause, "fix": diagnosis.fix, "ms": diagnosis.ms,
            "checks": [{"id": c.id, "status": c.status, "summary": c.summary} for c in diagnosis.checks],
            "errors": list(diagnosis.errors), "unexplained": list(diagnosis.unexplained)}


def cause_rank(playbook: Playbook, diagnosis: Diagnosis) -> int | None:
    if diagnosis.cause is None:
        return None
    ids = [c.id for c in playbook.causes]
    return ids.index(diagnosis.cause["id"]) if diagnosis.cause["id"] in ids else None


def judge(playbook: Playbook, before: Diagnosis, after: Diagnosis) -> str:
    """resolved: nothing wrong now; partial: a later link of the chain is still broken;
    unchanged: the same cause; worse: an earlier cause, or the diagnosis cannot run now."""
    if after.status == "ok":
        return "resolved"
    if after.status in ("error", "problem") and after.cause is None:
        return "worse"
    first, last = cause_rank(playbook, before), cause_rank(playbook, after)
    if last == first:
        return "unchanged"
    if first is not None and last is not None and last > first:
        return "partial"
    return "worse"


def run_fix(playbook: Playbook, params: dict[str, str], *, docker_host: str | None = None, fix_id: str | None = None,
            yes: bool = False, dry_run: bool = False, interactive: bool = False, confirm: Confirm | None = None,
            observer: Observer | None = None, cwd: Path | None = None, lang: str = "en",
            max_rounds: int = MAX_ROUNDS, wait: bool = True, recover_only: bool = False) -> FixRun:
    from runner.engine.endpoints import resolve_endpoint

    observer = observer or Observer()
    host = resolve_endpoint(docker_host).host
    cwd = cwd or Path.cwd()
    run = FixRun(playbook.id, dict(params), host,
                 {"fix": fix_id, "yes": yes, "dry_run": dry_run, "interactive": interactive, "lang": lang},
                 dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    started = time.monotonic()

    def diagnose_now(round_number: int) -> Diagnosis:
        observer.diagnosing(round_number)
        found = diagnose(playbook, params, docker_host=host, cwd=cwd, progress=observer.check_progress, lang=lang)
        observer.diagnosed(found, round_number)
        return found

    # A dry run changes nothing: it never waits for, nor holds up, another fix.
    held = contextlib.nullcontext() if dry_run else exclusive_fix(
        host, fix_target(params, playbook.id), wait=wait, waiting=observer.waiting)
    with held:
        try:
            if not dry_run:
                # A run killed half way through a recreate is finished or undone before anything
                # is diagnosed: the diagnosis of a half-swapped container would mislead.
                run.recovered = recover_pending(host, params.get("container"), observer)
            if recover_only and dry_run:
                from runner.fix.journal import pending

                left = pending(host, params.get("container"))
                run.outcome = "dry-run" if left else "nothing-wrong"
                run.state = "; ".join(j.describe() for j in left) or "nothing was left half done"
                return run
            if recover_only:
                failed = [r for r in run.recovered if r.outcome == "failed"]
                run.outcome = "step-failed" if failed else "recovered" if run.recovered else "nothing-wrong"
                run.state = "; ".join(r.summary for r in run.recovered) or "nothing was left half done"
                return run
            current = run.before = diagnose_now(0)
            if current.cause is None:
                run.outcome = "nothing-wrong" if current.status == "ok" else "could-not-diagnose"
                run.state = OUTCOMES[run.outcome] if current.status == "ok" else \
                    "; ".join(current.errors or current.unexplained)
                return run
            environment = None
            for number in range(1, max_rounds + 1):
                try:
                    plan = plan_fix(playbook, current, fix_id=fix_id if number == 1 else None, lang=lang)
                except PlanError as exc:
                    if number == 1:
                        raise
                    run.outcome, run.state = "applied", f"the next fix cannot be planned: {exc}"
                    break
                this = Round(number, plan)
                run.rounds.append(this)
                observer.planned(plan, number)
                if dry_run:
                    this.consent = decide_consent(plan, dry_run=True)
                    run.outcome, run.state = "dry-run", this.consent.reason
                    break
                if not plan.writes and not plan.destructive:
                    # Nothing here changes anything: show (run the read steps) and stop, since a new
                    # diagnosis would only find the same cause.
                    if environment is None:
                        environment = RunEnvironment(host, cwd, _buildkit_path(), run.masked)
                    this.consent = decide_consent(plan)
                    this.steps, this.stopped = run_steps(plan, environment, observer)
                    run.outcome = "manual" if number == 1 else "applied"
                    run.state = (f"{plan.cause}: the {plan.fix} fix is yours to do (its steps say how); "
                                 "the runner changed nothing for it")
                    break
                try:
                    this.consent = decide_consent(plan, yes=yes, interactive=interactive, confirm=confirm)
                except KeyboardInterrupt:
                    run.outcome = "interrupted"
                    run.state = ("no answer at the consent question: nothing was run" if number == 1 else
                                 f"no answer at the consent question for {plan.fix}: it was not run "
                                 "(the earlier rounds' steps were)")
                    break
                observer.consented(this.consent)
                if not this.consent.granted:
                    run.outcome, run.state = "not-applied", this.consent.reason
                    break
                if environment is None:
                    environment = RunEnvironment(host, cwd, _buildkit_path(), run.masked)
                round_started = time.monotonic()
                this.steps, this.stopped = run_steps(plan, environment, observer)
                this.seconds = time.monotonic() - round_started
                if this.stopped is not None:
                    run.outcome = "interrupted" if this.stopped == "interrupted" else "step-failed"
                    run.state = left_state(plan, this.steps)
                    break
                run.outcome = "applied"
                this.after = diagnose_now(number)
                progressed = (this.after.cause is not None
                              and (cause_rank(playbook, this.after) or -1) > (cause_rank(playbook, current) or -1))
                if not progressed:
                    break
                current = this.after  # the fix uncovered the next link of the chain: fix that one next
        except KeyboardInterrupt:
            # Ctrl-C while diagnosing: no step was running, so nothing is half done.
            run.outcome = "interrupted"
            run.state = "interrupted while diagnosing" + ("" if run.after else ": the runner had changed nothing")
        finally:
            run.seconds = time.monotonic() - started
    if run.after is not None and run.before is not None:
        run.verdict = judge(playbook, run.before, run.after)
        if run.outcome == "applied" and not run.state:
            final = run.after
            run.state = ("nothing wrong is found now" if run.verdict == "resolved"
                         else f"still wrong: {final.cause['id']}" if final.cause
                         else "the diagnosis cannot run now: " + "; ".join(final.errors))
    return run


def recover_pending(host: str, container: str | None, observer: Observer) -> list[Recovery]:
    """Finish or undo the recreates on `host` (of `container`, when given) that a killed run left."""
    from runner.engine.endpoints import client_for
    from runner.fix.journal import pending, recover

    found = pending(host, container)
    if not found:
        return []
    client = client_for(host)
    recoveries = []
    for journal in found:
        recovery = recover(client, journal)
        observer.recovered(recovery)
        recoveries.append(recovery)
    return recoveries


def _buildkit_path() -> str | None:
    from runner.engine.clients import buildkit_client
    from runner.errors import EngineUnavailable

    try:
        return buildkit_client().path
    except EngineUnavailable:
        return None
