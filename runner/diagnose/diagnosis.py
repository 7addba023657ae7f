"""Run a playbook's checks, then name the first cause that holds. Data in, data out.

Causes are tried in the order the playbook lists them (its documented precedence); the
first whose condition is true is the cause. Nothing here prints or exits.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from runner.checks.kinds import CHECK_KINDS
from runner.checks.result import CheckContext, CheckResult
from runner.diagnose.conditions import evaluate
from runner.engine.building import Builds
from runner.interrupts import terminate_as_interrupt
from runner.playbook.model import Check, Playbook, localize
from runner.playbook.params import substitute, unresolved, unset_reference
from runner.registry import resolve


@dataclass(frozen=True)
class CheckOutcome:
    id: str
    kind: str
    status: str
    summary: str
    evidence: dict[str, Any]
    ms: int


@dataclass(frozen=True)
class Diagnosis:
    playbook: str
    status: str  # "ok" | "problem" | "error"
    cause: dict[str, Any] | None
    checks: tuple[CheckOutcome, ...]
    fix: str | None
    ms: int
    params: dict[str, str] = field(default_factory=dict)
    engine: str | None = None
    errors: tuple[str, ...] = ()
    # Checks that failed when no cause holds: something is wrong that this playbook does not
    # explain, which is never "ok".
    unexplained: tuple[str, ...] = ()
    # Recreates of the container that an earlier `runner fix` was killed in the middle of: the
    # container may be down or half swapped, which is never "ok" (`runner fix --recover`).
    interrupted_fixes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook, "status": self.status, "cause": self.cause,
            "checks": [{"id": c.id, "status": c.status, "summary": c.summary, "evidence": c.evidence, "ms": c.ms}
                       for c in self.checks],
            "fix": self.fix, "ms": self.ms, "params": self.params, "engine": self.engine,
            "errors": list(self.errors), "unexplained": list(self.unexplained),
            "interrupted_fixes": list(self.interrupted_fixes),
        }


def implementation(kind: str) -> Callable[..., CheckResult]:
    return CHECK_KINDS[kind].implementation()


def _required(kind: str) -> set[str]:
    return {name for name, field in CHECK_KINDS[kind].args.model_fields.items() if field.is_required()}


def prepared_args(check: Check, ctx: CheckContext, unset: frozenset[str] = frozenset()) -> Any:
    """The check's arguments substituted and validated, or the skip/error result that says why
    it cannot run. An argument that is just an `unset` optional param is dropped, so it takes
    its default."""
    dropped = {key: name for key, value in check.args.items() if (name := unset_reference(value, unset))}
    raw_args = substitute({key: value for key, value in check.args.items() if key not in dropped}, ctx.params)
    missing = unresolved(raw_args) + [name for key, name in dropped.items() if key in _required(check.kind)]
    if missing:
        return CheckResult("skip", f"needs param {', '.join(missing)} (give --param {missing[0]}=...)")
    try:
        return CHECK_KINDS[check.kind].args.model_validate(raw_args)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        return CheckResult("error", f"bad argument {'.'.join(map(str, first['loc']))}: {first['msg']}")


def run_check(check: Check, ctx: CheckContext, unset: frozenset[str] = frozenset(), *,
              inline: bool = False) -> CheckResult:
    """One check with its arguments substituted and validated, bounded by its timeout (inline:
    in this thread and unbounded, so that a profile shows it)."""
    args = prepared_args(check, ctx, unset)
    if isinstance(args, CheckResult):
        return args
    function = implementation(check.kind)
    if inline:
        try:
            return function(args, ctx)
        except Exception as exc:  # noqa: BLE001 - as below
            return _bug(check, exc)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"check-{check.id}")
    running = pool.submit(function, args, ctx)
    try:
        # Checks that start processes stop them at ctx.timeout; the grace lets them report it.
        return running.result(timeout=check.timeout + GRACE)
    except concurrent.futures.TimeoutError:
        return CheckResult("error", f"timed out after {check.timeout:g} s")
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others' evidence
        return _bug(check, exc)
    finally:
        # Joined when done (at once), so that no idle thread holds the process's exit back.
        pool.shutdown(wait=running.done(), cancel_futures=True)


def _bug(check: Check, exc: Exception) -> CheckResult:
    return CheckResult("error", f"the {check.kind} check failed unexpectedly (a bug): "
                                f"{type(exc).__name__}: {exc}", {"bug": True})


GRACE = 5.0

Progress = Callable[[Check, "CheckOutcome | None"], None]


def run_checks(checks: tuple[Check, ...], base: CheckContext, unset: frozenset[str] = frozenset(),
               progress: Progress | None = None, serial: bool = False) -> dict[str, CheckOutcome]:
    """Every check, each as soon as the checks it requires have passed or warned, side by side:
    they wait on the engine, git and the daemon's build, not on this process's CPU. Work a
    check kind starts `ahead` (the cached build) begins first, before any check. Progress hears
    of the checks in the playbook's order, from this thread. serial: one after another in this
    thread, so that a profile shows them (`runner diagnose --profile`)."""
    outcomes: dict[str, CheckOutcome] = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, 2 * len(checks)), thread_name_prefix="check")
    ahead: dict[str, concurrent.futures.Future] = {}
    reported = Reporter(checks, outcomes, progress)
    waiting: list[Check] = list(checks)
    running: dict[concurrent.futures.Future, Check] = {}
    builds = base.builds if base.builds is not None else Builds()
    base = replace(base, builds=builds)
    # SIGTERM unwinds like Ctrl-C, through the `finally` that stops the builds still running.
    with terminate_as_interrupt():
        try:
            ahead.update(_start_ahead(checks, base, unset, pool, serial))
            if serial:
                for check in checks:
                    reported.flush()
                    outcomes[check.id] = _run_when_ready(check, base, outcomes, unset, ahead, inline=True)
                reported.flush()
                return outcomes
            while waiting or running:
                pending = {c.id for c in waiting} | {c.id for c in running.values()}
                for check in [c for c in waiting if not pending.intersection(c.requires)]:
                    waiting.remove(check)
                    running[pool.submit(_run_when_ready, check, base, outcomes, unset, ahead)] = check
                if not running:  # the rest require each other: none of them can run
                    for check in waiting:
                        outcomes[check.id] = CheckOutcome(check.id, check.kind, "skip",
                                                          f"skipped: requires {', '.join(check.requires)}, which "
                                                          "require it in turn", {}, 0)
                    waiting = []
                reported.flush()
                if running:
                    finished, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                    for future in finished:
                        outcomes[running.pop(future).id] = future.result()
            reported.flush()
            return outcomes
        finally:
            builds.close()  # also a caller's (the early builds'): the checks that could adopt them are done
            for future in ahead.values():  # what other kinds started ahead, and nobody read
                try:
                    started = future.result()
                except Exception:  # noqa: BLE001 - never started; its check says why
                    continue
                if started is not None:
                    started.discard()  # a no-op when its check read it
            pool.shutdown(wait=all(f.done() for f in [*ahead.values(), *running]), cancel_futures=True)


def _start_ahead(checks: tuple[Check, ...], base: CheckContext, unset: frozenset[str],
                 pool: concurrent.futures.Executor, serial: bool) -> dict[str, concurrent.futures.Future]:
    started = {}
    for check in checks:
        hook = CHECK_KINDS[check.kind].ahead if check.kind in CHECK_KINDS else None
        args = prepared_args(check, base, unset) if hook else None
        if hook and not isinstance(args, CheckResult):
            ctx = replace(base, timeout=check.timeout, serial=serial)
            if serial:
                future: concurrent.futures.Future = concurrent.futures.Future()
                try:
                    future.set_result(resolve(hook)(args, ctx))
                except Exception as exc:  # noqa: BLE001 - the check starts it again and says why
                    future.set_exception(exc)
            else:
                future = pool.submit(resolve(hook), args, ctx)
            started[check.id] = future
    return started


def _run_when_ready(check: Check, base: CheckContext, outcomes: dict[str, CheckOutcome], unset: frozenset[str],
                    ahead: dict[str, concurrent.futures.Future], inline: bool = False) -> CheckOutcome:
    started = time.monotonic()
    blocked = [r for r in check.requires if outcomes.get(r) is None or outcomes[r].status not in ("pass", "warn")]
    if blocked:
        result = CheckResult("skip", f"skipped: {', '.join(blocked)} did not pass")
    else:
        results = {id_: CheckResult(o.status, o.summary, o.evidence) for id_, o in list(outcomes.items())}
        ctx = replace(base, results=results, timeout=check.timeout, ahead=ahead.get(check.id))
        result = run_check(check, ctx, unset, inline=inline)
    ms = round((time.monotonic() - started) * 1000)
    return CheckOutcome(check.id, check.kind, result.status, result.summary, result.evidence, ms)


class Reporter:
    """Tells progress of the checks in the playbook's order, whatever order they finish in:
    the one the run waits for next is announced, and each is reported once its turn comes."""

    def __init__(self, checks: tuple[Check, ...], outcomes: dict[str, CheckOutcome], progress: Progress | None):
        self.checks, self.outcomes, self.progress = checks, outcomes, progress
        self.next = 0
        self.announced = False

    def flush(self) -> None:
        if self.progress is None:
            return
        while self.next < len(self.checks):
            check = self.checks[self.next]
            if not self.announced:
                self.progress(check, None)
                self.announced = True
            if check.id not in self.outcomes:
                return
            self.progress(check, self.outcomes[check.id])
            self.next += 1
            self.announced = False


def diagnose(playbook: Playbook, params: dict[str, str], *, docker_host: str | None = None,
             cwd: Path | None = None, progress: Progress | None = None, lang: str = "en",
             serial: bool = False, builds: Builds | None = None) -> Diagnosis:
    """builds: the builds started early for this diagnosis, for its checks to adopt."""
    started = time.monotonic()
    base = CheckContext(params=params, docker_host=docker_host, cwd=cwd or Path.cwd(), builds=builds)
    ran = run_checks(playbook.checks, base, frozenset(playbook.params) - set(params), progress, serial)
    outcomes = [ran[check.id] for check in playbook.checks]
    results = {o.id: CheckResult(o.status, o.summary, o.evidence) for o in outcomes}

    interrupted = _interrupted_fixes(docker_host, params.get("container"))
    cause = next((c for c in playbook.causes if evaluate(c.when, results) is True), None)
    errors = tuple(f"{o.id}: {o.summary}" for o in outcomes if o.status == "error")
    engine = next((o.evidence.get("host") for o in outcomes if o.kind == "engine"), docker_host)
    elapsed = round((time.monotonic() - started) * 1000)
    if cause is not None:
        evidence_ids = cause.evidence or tuple(_checks_named(cause.when))
        return Diagnosis(
            playbook.id, "problem",
            {"id": cause.id, "title": localize(cause.title, lang),
             "explanation": localize(cause.explanation, lang),
             "evidence": {i: {"summary": results[i].summary, **results[i].evidence}
                          for i in evidence_ids if i in results}},
            tuple(outcomes), cause.fix, elapsed, params, engine, errors, interrupted_fixes=interrupted)
    unexplained = tuple(f"{o.id}: {o.summary}" for o in outcomes if o.status == "fail")
    status = "error" if errors else "problem" if unexplained or interrupted else "ok"
    return Diagnosis(playbook.id, status, None, tuple(outcomes), None, elapsed, params, engine, errors, unexplained,
                     interrupted)


def _interrupted_fixes(docker_host: str | None, container: str | None) -> tuple[str, ...]:
    from runner.engine.endpoints import resolve_endpoint
    from runner.fix.journal import JournalError, pending

    if not container:
        return ()
    try:
        found = pending(resolve_endpoint(docker_host).host, container)
    except JournalError as exc:
        return (str(exc),)
    return tuple(f"{j.describe()}: `runner fix --recover --param container={j.name}` finishes or undoes it"
                 for j in found)


def _checks_named(condition: Any) -> list[str]:
    from runner.playbook.references import condition_checks

    return list(dict.fromkeys(name for _loc, name in condition_checks(condition, ())))
