"""Plan, consent, apply, verify: the fix for a diagnosed cause. Data in, data out.

`run_fix` diagnoses, plans the fix the cause names (or the one asked for), asks consent by
the policy below, runs the steps one by one with their timeouts, then diagnoses again. A
fix often uncovers the next link of the chain (a rebuilt image shows the container behind
the tag): a new cause later in the playbook's order gets its own fix, up to MAX_ROUNDS. The
result is a `FixRun`, which serializes to the JSON run report. Nothing here prints or exits;
what happens is told to an `Observer`.

Consent policy:
- `--dry-run`: the plan is shown and nothing runs.
- `read` and `manual` steps need no consent (manual steps are shown, never run).
- `write` steps: one yes/no question for all of them; `destructive` steps: one question
  each, naming what the step loses. Every answer must be yes, or nothing runs.
- No terminal to ask on and no `--yes`: nothing that writes runs, and the run says why.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from runner.fix.actions import ACTIONS, ActionContext, ActionResult, EvidenceMissing, substitute_evidence
from runner.diagnose.diagnosis import Diagnosis, diagnose
from runner.errors import RunnerError
from runner.playbook.model import Effect, FixStep, Playbook, localize
from runner.playbook.params import substitute, unresolved
from runner.present.show import command_line

MAX_ROUNDS = 3
OUTPUT_KEPT = 16_000  # characters of each step's output kept in the report (the end of it)
TERMINATE_GRACE = 5.0


class PlanError(RunnerError):
    """The fix cannot be planned: unknown fix, missing param, evidence the diagnosis lacks."""


# --- secrets ------------------------------------------------------------------------------

_SECRET_PATTERNS = [
    # (pattern, replacement): keep a recognisable prefix, drop the secret
    (re.compile(r"\b(gh[pousr]_)[A-Za-z0-9]{20,}"), r"\1****"),
    (re.compile(r"\b(github_pat_)[A-Za-z0-9_]{20,}"), r"\1****"),
    (re.compile(r"\b(glpat-)[A-Za-z0-9_\-]{16,}"), r"\1****"),
    (re.compile(r"\b(xox[abposr]-)[A-Za-z0-9-]{10,}"), r"\1****"),
    (re.compile(r"\b(sk-(?:proj-|ant-)?)[A-Za-z0-9_\-]{20,}"), r"\1****"),
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), r"\1****"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*"), r"\1****"),
    (re.compile(r"(?i)\b(basic\s+)[A-Za-z0-9+/]{8,}=*"), r"\1****"),
    (re.compile(r"(?i)((?:aws_secret_access_key|aws_session_token|password|passwd|pwd|secret|token|api_?key"
                r"|access_?key|client_secret|private_?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;]+"), r"\1****"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@"), r"\1****@"),
    (re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.S),
     r"-----BEGIN \1PRIVATE KEY----- **** -----END \1PRIVATE KEY-----"),
]
_SECRET_NAME = re.compile(r"(?i)(token|secret|passw|pwd|api_?key|access_?key|private_?key|credential|auth)")


def mask_secrets(text: str) -> str:
    """Text with token-like secrets replaced by `prefix****`."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask_env(env: dict[str, str]) -> dict[str, str]:
    """Environment values: all of it when the name says secret, else the token-like parts."""
    return {name: "****" if _SECRET_NAME.search(name) and value else mask_secrets(value)
            for name, value in env.items()}


def mask_deep(value: Any) -> Any:
    """Every string inside a value, masked (the report's evidence, outputs, summaries)."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {key: mask_deep(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_deep(item) for item in value]
    return value


# --- the plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedStep:
    number: int
    title: str
    effect: str  # read | write | destructive
    how: str  # run | action | manual
    timeout: float
    argv: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    action: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    manual: str | None = None
    loses: str | None = None
    description: str = ""  # the command line, what the action will do, or the manual text

    @property
    def runs(self) -> bool:
        return self.how != "manual"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"number": self.number, "title": self.title, "effect": self.effect, "how": self.how,
                                "timeout": self.timeout, "description": self.description}
        if self.how == "run":
            data.update(argv=list(self.argv), env=mask_env(self.env))
        elif self.how == "action":
            data.update(action=self.action, args=self.args)
        else:
            data["manual"] = self.manual
        if self.loses:
            data["loses"] = self.loses
        return data


@dataclass(frozen=True)
class Plan:
    playbook: str
    cause: str | None
    cause_title: str
    fix: str
    fix_title: str
    steps: tuple[PlannedStep, ...]
    verify: tuple[str, ...] = ()
    chosen: bool = False  # named with --fix rather than by the cause
    alternative: bool = False
    cost: str | None = None

    @property
    def running_steps(self) -> tuple[PlannedStep, ...]:
        return tuple(step for step in self.steps if step.runs)

    @property
    def writes(self) -> tuple[PlannedStep, ...]:
        return tuple(s for s in self.running_steps if s.effect == Effect.write.value)

    @property
    def destructive(self) -> tuple[PlannedStep, ...]:
        return tuple(s for s in self.running_steps if s.effect == Effect.destructive.value)

    def to_json(self) -> dict[str, Any]:
        return {"cause": self.cause, "cause_title": self.cause_title, "fix": self.fix, "fix_title": self.fix_title,
                "chosen": self.chosen, "alternative": self.alternative, "cost": self.cost,
                "verify": list(self.verify), "steps": [s.to_json() for s in self.steps]}


def all_evidence(diagnosis: Diagnosis) -> dict[str, dict[str, Any]]:
    return {outcome.id: outcome.evidence for outcome in diagnosis.checks}


def plan_fix(playbook: Playbook, diagnosis: Diagnosis, *, fix_id: str | None = None, lang: str = "en") -> Plan:
    """The steps of the fix, with params and evidence filled in; raises PlanError."""
    chosen = fix_id is not None
    fix_id = fix_id or diagnosis.fix
    known = [f.id for f in (*playbook.fixes, *playbook.alternatives)]
    if fix_id is None:
        raise PlanError(f"the cause {diagnosis.cause and diagnosis.cause['id']!r} names no fix in {playbook.id}")
    if fix_id not in known:
        import difflib

        close = difflib.get_close_matches(fix_id, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
        raise PlanError(f"no fix {fix_id!r} in {playbook.id} ({hint})")
    fix = playbook.fix(fix_id)
    evidence = all_evidence(diagnosis)
    steps = tuple(_plan_step(i, step, diagnosis.params, evidence, lang) for i, step in enumerate(fix.steps, 1))
    cause = diagnosis.cause or {}
    return Plan(playbook.id, cause.get("id"), cause.get("title", ""), fix.id, localize(fix.title, lang), steps,
                fix.verify, chosen, fix in playbook.alternatives, localize(fix.cost, lang) or None)


def _filled(value: Any, params: dict[str, str], evidence: dict[str, dict[str, Any]], where: str) -> Any:
    value = substitute(value, params)
    missing = unresolved(value)
    if missing:
        raise PlanError(f"{where} needs param {', '.join(missing)} (give --param {missing[0]}=...)")
    try:
        return substitute_evidence(value, evidence)
    except EvidenceMissing as exc:
        raise PlanError(f"{where}: {exc}") from None


def _plan_step(number: int, step: FixStep, params: dict[str, str], evidence: dict[str, dict[str, Any]],
               lang: str) -> PlannedStep:
    where = f"step {number}"
    title = _filled(localize(step.title, lang), params, evidence, where)
    loses = _filled(localize(step.loses, lang), params, evidence, where) if step.loses else None
    common = {"number": number, "title": title, "effect": step.effect.value, "timeout": step.timeout, "loses": loses}
    if step.run is not None:
        argv: list[str] = []
        for item in _filled(list(step.run), params, evidence, where):
            # a reference to a list of evidence values becomes that many arguments
            if isinstance(item, list):
                argv.extend(str(v) for v in item)
            else:
                argv.append(str(item))
        env = {k: str(v) for k, v in _filled(dict(step.env), params, evidence, where).items()}
        shown = " ".join(f"{k}={v}" for k, v in mask_env(env).items())
        return PlannedStep(how="run", argv=tuple(argv), env=env,
                           description=mask_secrets((shown + " " if shown else "") + command_line(argv)), **common)
    if step.action is not None:
        kind = ACTIONS.get(step.action.name)
        if kind is None:
            raise PlanError(f"{where}: unknown action {step.action.name!r} (known: {', '.join(sorted(ACTIONS))})")
        raw = _filled(dict(step.action.args), params, evidence, where)
        try:
            args = kind.args.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise PlanError(f"{where}: action {kind.name}: bad argument {'.'.join(map(str, first['loc']))}: "
                            f"{first['msg']}") from None
        dynamic_loss = getattr(args, "loses", None)
        if step.effect is Effect.destructive and callable(dynamic_loss):
            common["loses"] = f"{loses}: {dynamic_loss()}" if loses else dynamic_loss()
        return PlannedStep(how="action", action=kind.name, args=args.model_dump(mode="json", exclude_none=True),
                           description=args.describe(), **common)
    manual = _filled(localize(step.manual, lang), params, evidence, where)
    return PlannedStep(how="manual", manual=manual, description=manual, **common)


# --- consent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consent:
    granted: bool
    how: str  # not-needed | yes-flag | asked | dry-run | no-terminal | declined
    reason: str
    answers: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"granted": self.granted, "how": self.how, "reason": self.reason, "answers": list(self.answers)}


Confirm = Callable[[str], bool]


def decide_consent(plan: Plan, *, yes: bool = False, dry_run: bool = False, interactive: bool = False,
                   confirm: Confirm | None = None) -> Consent:
    if dry_run:
        return Consent(False, "dry-run", "--dry-run: the plan is shown and nothing runs")
    if not plan.writes and not plan.destructive:
        return Consent(True, "not-needed", "no step writes")
    if yes:
        return Consent(True, "yes-flag", "--yes: consent given for every step")
    if not interactive or confirm is None:
        return Consent(False, "no-terminal", "no terminal to ask for consent, and no --yes: nothing that writes "
                       "was run (add --yes to apply, or --dry-run to only see the plan)")
    answers = []
    if plan.writes:
        numbers = ", ".join(str(s.number) for s in plan.writes)
        question = f"Apply step{'s' if len(plan.writes) > 1 else ''} {numbers} (write)?"
        answer = confirm(question)
        answers.append({"question": question, "answer": answer})
        if not answer:
            return Consent(False, "declined", "declined: nothing was run", tuple(answers))
    for step in plan.destructive:
        question = f"Step {step.number} is destructive: it loses {step.loses}. Run it?"
        answer = confirm(question)
        answers.append({"question": question, "answer": answer})
        if not answer:
            return Consent(False, "declined", f"step {step.number} declined: nothing was run", tuple(answers))
    return Consent(True, "asked", "consent given", tuple(answers))


# --- running steps ------------------------------------------------------------------------


@dataclass
class StepResult:
    number: int
    title: str
    effect: str
    how: str
    status: str  # ok | failed | timeout | interrupted | not-run | shown
    seconds: float = 0.0
    exit_code: int | None = None
    summary: str = ""
    output: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    state: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "effect": self.effect, "how": self.how,
                "status": self.status, "seconds": round(self.seconds, 3), "exit_code": self.exit_code,
                "summary": self.summary, "output": self.output, "details": self.details, "state": self.state}


class Observer:
    """What a display wants to hear about; every method is optional (no-ops here)."""

    def diagnosing(self, round_number: int) -> None: ...
    def check_progress(self, check: Any, outcome: Any) -> None: ...
    def diagnosed(self, diagnosis: Diagnosis, round_number: int) -> None: ...
    def planned(self, plan: Plan, round_number: int) -> None: ...
    def consented(self, consent: Consent) -> None: ...
    def step_started(self, step: PlannedStep) -> None: ...
    def step_output(self, step: PlannedStep, line: str) -> None: ...
    def step_finished(self, step: PlannedStep, result: StepResult) -> None: ...
    def interrupt_requested(self) -> None: ...


class _Interrupts:
    """Ctrl-C while steps run: the first stops after the current step, a second ends it."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self.count = 0
        self.process: subprocess.Popen | None = None
        self.previous: Any = None

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _handle(self, signum: int, frame: Any) -> None:
        self.count += 1
        if self.count == 1:
            self.observer.interrupt_requested()
        elif self.process is not None and self.process.poll() is None:
            _terminate(self.process)

    @property
    def requested(self) -> bool:
        return self.count > 0


def _terminate(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(TERMINATE_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass(frozen=True)
class RunEnvironment:
    docker_host: str
    cwd: Path
    docker_path: str | None  # the BuildKit-capable client, for steps whose argv[0] is "docker"


def _command_argv(step: PlannedStep, env: RunEnvironment) -> tuple[list[str], dict[str, str]]:
    argv = list(step.argv)
    full_env = {**os.environ, **step.env}
    if argv and argv[0] == "docker":
        if env.docker_path is None:
            raise PlanError("no docker client here can do BuildKit builds")
        argv[0] = env.docker_path
        full_env["DOCKER_HOST"] = env.docker_host
    return argv, full_env


def _keep(chunks: list[str]) -> str:
    text = "".join(chunks)
    return text if len(text) <= OUTPUT_KEPT else "...\n" + text[-OUTPUT_KEPT:]


def run_command_step(step: PlannedStep, env: RunEnvironment, observer: Observer, interrupts: _Interrupts) -> StepResult:
    result = StepResult(step.number, step.title, step.effect, step.how, "failed")
    argv, full_env = _command_argv(step, env)
    started = time.monotonic()
    try:
        process = subprocess.Popen(argv, cwd=env.cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, text=True, errors="replace", bufsize=1,
                                   start_new_session=True)  # Ctrl-C reaches the runner, not the step
    except FileNotFoundError:
        result.summary = f"{argv[0]}: command not found"
        result.state = "the step did not start: nothing was changed by it"
        return result
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    interrupts.process = process
    kept: list[str] = []
    timed_out = False
    deadline = started + step.timeout
    done_reading = False
    try:
        while not done_reading:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                line = ""
            if line is None:
                done_reading = True
            elif line:
                masked = mask_secrets(line)
                kept.append(masked)
                observer.step_output(step, masked.rstrip("\n"))
            if not timed_out and time.monotonic() > deadline and process.poll() is None:
                timed_out = True
                _terminate(process)
        process.wait()
    finally:
        interrupts.process = None
    result.seconds = time.monotonic() - started
    result.exit_code = process.returncode
    result.output = _keep(kept)
    if timed_out:
        result.status = "timeout"
        result.summary = f"timed out after {step.timeout:g} s and was stopped"
        result.state = "the step was stopped part way: whatever it had done so far stays"
    elif interrupts.count > 1:
        result.status = "interrupted"
        result.summary = "stopped by a second Ctrl-C"
        result.state = "the step was stopped part way: whatever it had done so far stays"
    elif process.returncode != 0:
        result.summary = f"{Path(argv[0]).name} exited {process.returncode}"
        result.state = "the step failed: whatever it did before failing stays"
    else:
        result.status = "ok"
        result.summary = f"{Path(argv[0]).name} exited 0"
    return result


def run_action_step(step: PlannedStep, env: RunEnvironment, observer: Observer, interrupts: _Interrupts) -> StepResult:
    kind = ACTIONS[step.action or ""]
    module_name, function_name = kind.impl.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    args = kind.args.model_validate(step.args)
    lines: queue.Queue[str] = queue.Queue()
    ctx = ActionContext(docker_host=env.docker_host, cwd=env.cwd, output=lines.put,
                        deadline=time.monotonic() + step.timeout)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = function(args, ctx)
        except Exception as exc:  # noqa: BLE001 - reported as the step's failure, with its type
            outcome["error"] = exc

    result = StepResult(step.number, step.title, step.effect, step.how, "failed")
    started = time.monotonic()
    # A daemon thread: an action cannot be killed mid-way (that is how containers get lost),
    # so a timeout leaves it to finish while the run reports it.
    worker = threading.Thread(target=work, name=f"action-{kind.name}", daemon=True)
    worker.start()
    kept: list[str] = []

    def drain() -> None:
        while True:
            try:
                line = mask_secrets(lines.get_nowait())
            except queue.Empty:
                return
            kept.append(line + "\n")
            observer.step_output(step, line)

    while worker.is_alive() and time.monotonic() - started < step.timeout:
        worker.join(0.1)
        drain()
    drain()
    result.seconds = time.monotonic() - started
    result.output = _keep(kept)
    if worker.is_alive():
        ctx.cancelled.set()
        result.status = "timeout"
        result.summary = f"timed out after {step.timeout:g} s"
        result.state = f"the {kind.name} action had not finished; it may still complete in the background"
        return result
    if "error" in outcome:
        exc = outcome["error"]
        result.summary = f"the {kind.name} action failed: {type(exc).__name__}: {exc}"
        result.state = "unknown: the action stopped on an unexpected error (a bug?); look at the engine"
        return result
    action_result: ActionResult = outcome["result"]
    result.summary = action_result.summary
    result.details = mask_deep(action_result.details)
    result.state = action_result.state
    result.status = "ok" if action_result.ok else "failed"
    return result


def run_steps(plan: Plan, env: RunEnvironment, observer: Observer) -> tuple[list[StepResult], str | None]:
    """Run the plan's steps in order. Returns the results and why it stopped early, if it did:
    'failed', 'timeout' or 'interrupted'."""
    results: list[StepResult] = []
    with _Interrupts(observer) as interrupts:
        for step in plan.steps:
            if interrupts.requested:
                results.extend(_not_run(plan, step.number, "not run: interrupted"))
                return results, "interrupted"
            if not step.runs:
                shown = StepResult(step.number, step.title, step.effect, step.how, "shown", summary=step.description)
                results.append(shown)
                observer.step_finished(step, shown)
                continue
            observer.step_started(step)
            try:
                if step.how == "run":
                    result = run_command_step(step, env, observer, interrupts)
                else:
                    result = run_action_step(step, env, observer, interrupts)
            except PlanError as exc:
                result = StepResult(step.number, step.title, step.effect, step.how, "failed", summary=str(exc),
                                    state="the step did not start")
            results.append(result)
            observer.step_finished(step, result)
            if result.status != "ok":
                results.extend(_not_run(plan, step.number + 1, "not run: an earlier step did not succeed"))
                return results, "timeout" if result.status == "timeout" else \
                    "interrupted" if result.status == "interrupted" else "failed"
        if interrupts.requested:
            return results, "interrupted"
    return results, None


def _not_run(plan: Plan, first: int, why: str) -> list[StepResult]:
    return [StepResult(s.number, s.title, s.effect, s.how, "not-run", summary=why)
            for s in plan.steps if s.number >= first]


def left_state(plan: Plan, results: list[StepResult]) -> str:
    """What a stopped run leaves behind, in words."""
    done = [r for r in results if r.status == "ok"]
    stopped = next((r for r in results if r.status in ("failed", "timeout", "interrupted")), None)
    pending = [r for r in results if r.status == "not-run"]
    parts = []
    if done:
        parts.append("done: " + "; ".join(f"step {r.number} ({r.title})" for r in done))
    else:
        parts.append("no step had completed")
    if stopped:
        parts.append(f"step {stopped.number} ({stopped.title}) {stopped.status}: {stopped.summary}"
                     + (f"; {stopped.state}" if stopped.state else ""))
    if pending:
        parts.append("not run: " + ", ".join(f"step {r.number}" for r in pending))
    return ". ".join(parts)


# --- the whole run ------------------------------------------------------------------------


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

    @property
    def after(self) -> Diagnosis | None:
        return next((r.after for r in reversed(self.rounds) if r.after is not None), None)

    def to_json(self) -> dict[str, Any]:
        from runner import __version__

        return mask_deep({
            "run_id": self.run_id, "runner": __version__, "playbook": self.playbook, "engine": self.engine,
            "started_at": self.started_at, "seconds": round(self.seconds, 3), "params": self.params,
            "options": self.options, "outcome": self.outcome, "verdict": self.verdict, "state": self.state,
            "before": summarize(self.before), "rounds": [r.to_json() for r in self.rounds],
            "after": summarize(self.after),
        })


def summarize(diagnosis: Diagnosis | None) -> dict[str, Any] | None:
    if diagnosis is None:
        return None
    return {"status": diagnosis.status, "cause": diagnosis.cause, "fix": diagnosis.fix, "ms": diagnosis.ms,
            "checks": [{"id": c.id, "status": c.status, "summary": c.summary} for c in diagnosis.checks],
            "errors": list(diagnosis.errors)}


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
    if after.status == "error" and after.cause is None:
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
            max_rounds: int = MAX_ROUNDS) -> FixRun:
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

    try:
        current = run.before = diagnose_now(0)
        if current.cause is None:
            run.outcome = "nothing-wrong" if current.status == "ok" else "could-not-diagnose"
            run.state = OUTCOMES[run.outcome] if current.status == "ok" else "; ".join(current.errors)
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
                    environment = RunEnvironment(host, cwd, _buildkit_path())
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
                environment = RunEnvironment(host, cwd, _buildkit_path())
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


def _buildkit_path() -> str | None:
    from runner.engine.clients import buildkit_client
    from runner.errors import EngineUnavailable

    try:
        return buildkit_client().path
    except EngineUnavailable:
        return None


# --- the report file ----------------------------------------------------------------------


def runs_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "runner" / "runs"


def save_report(run: FixRun, folder: Path | None = None) -> Path:
    """Write the run report atomically (a temporary file renamed into place), private to the user."""
    folder = folder or runs_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = run.started_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    path = folder / f"{stamp}-{run.playbook}-{run.run_id}.json"
    data = json.dumps(run.to_json(), ensure_ascii=False, indent=2, default=str) + "\n"
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".run-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path

