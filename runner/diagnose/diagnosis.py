"""Run a playbook's checks, then name the first cause that holds. Data in, data out.

Causes are tried in the order the playbook lists them (its documented precedence); the
first whose condition is true is the cause. Nothing here prints or exits.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from runner.checks.kinds import CHECK_KINDS
from runner.checks.result import CheckContext, CheckResult
from runner.diagnose.conditions import evaluate
from runner.playbook.model import Check, Playbook, localize
from runner.playbook.params import substitute, unresolved, unset_reference


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


def run_check(check: Check, ctx: CheckContext, unset: frozenset[str] = frozenset()) -> CheckResult:
    """One check with its arguments substituted and validated, bounded by its timeout.
    An argument that is just an `unset` optional param is dropped, so it takes its default."""
    dropped = {key: name for key, value in check.args.items() if (name := unset_reference(value, unset))}
    raw_args = substitute({key: value for key, value in check.args.items() if key not in dropped}, ctx.params)
    missing = unresolved(raw_args) + [name for key, name in dropped.items() if key in _required(check.kind)]
    if missing:
        return CheckResult("skip", f"needs param {', '.join(missing)} (give --param {missing[0]}=...)")
    try:
        args = CHECK_KINDS[check.kind].args.model_validate(raw_args)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        return CheckResult("error", f"bad argument {'.'.join(map(str, first['loc']))}: {first['msg']}")
    function = implementation(check.kind)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"check-{check.id}")
    try:
        # Checks that start processes stop them at ctx.timeout; the grace lets them report it.
        return pool.submit(function, args, ctx).result(timeout=check.timeout + GRACE)
    except concurrent.futures.TimeoutError:
        return CheckResult("error", f"timed out after {check.timeout:g} s")
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others' evidence
        return CheckResult("error", f"the {check.kind} check failed unexpectedly (a bug): "
                                    f"{type(exc).__name__}: {exc}", {"bug": True})
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


GRACE = 5.0

Progress = Callable[[Check, "CheckOutcome | None"], None]


def diagnose(playbook: Playbook, params: dict[str, str], *, docker_host: str | None = None,
             cwd: Path | None = None, progress: Progress | None = None, lang: str = "en") -> Diagnosis:
    started = time.monotonic()
    results: dict[str, CheckResult] = {}
    outcomes: list[CheckOutcome] = []
    for check in playbook.checks:
        blocked = [r for r in check.requires if results.get(r) is None or results[r].status not in ("pass", "warn")]
        if progress:
            progress(check, None)
        check_started = time.monotonic()
        if blocked:
            result = CheckResult("skip", f"skipped: {', '.join(blocked)} did not pass")
        else:
            ctx = CheckContext(params=params, docker_host=docker_host, cwd=cwd or Path.cwd(),
                               results=dict(results), timeout=check.timeout)
            result = run_check(check, ctx, frozenset(playbook.params) - set(params))
        ms = round((time.monotonic() - check_started) * 1000)
        results[check.id] = result
        outcomes.append(CheckOutcome(check.id, check.kind, result.status, result.summary, result.evidence, ms))
        if progress:
            progress(check, outcomes[-1])

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
