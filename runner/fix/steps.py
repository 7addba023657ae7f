"""Running a plan's steps one by one: commands in their own process group with their timeouts,
actions in a thread that is never killed half way, Ctrl-C between steps (a second one stops the
running step), and in words what a stopped run leaves behind. What happens is told to an
`Observer`; nothing here prints."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.diagnose.diagnosis import Diagnosis
from runner.fix.actions import ACTIONS, ActionContext, ActionResult
from runner.fix.consent import Consent
from runner.fix.masking import mask_deep, mask_secrets
from runner.fix.plan import Plan, PlanError, PlannedStep

OUTPUT_KEPT = 16_000  # characters of each step's output kept in the report (the end of it)
TERMINATE_GRACE = 5.0


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
    def waiting(self, message: str) -> None: ...
    def recovered(self, recovery: Any) -> None: ...


# Ctrl-C, and what a closed terminal, a cancelled CI job or systemd stopping a unit sends: each
# finishes (or rolls back) the step under way, so no service is left half recreated.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Interrupts:
    """A stop signal while steps run: the first stops after the current step, a second ends
    the command under way (an action, which restores what it changed, always finishes)."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self.count = 0
        self.process: subprocess.Popen | None = None
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            self.previous = {signum: signal.signal(signum, self._handle) for signum in STOP_SIGNALS}
        return self

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

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
    masked: Counter[str] = field(default_factory=Counter)  # secrets masked out of the output, by kind


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
                masked = mask_secrets(line, env.masked)
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
    function = kind.implementation()
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
                line = mask_secrets(lines.get_nowait(), env.masked)
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
    result.details = mask_deep(action_result.details, env.masked)
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
