"""An experiment's assertions checked against what its steps observed: a build's steps cached
or run, or a saved value tested in the playbook's comparison language (the tests of a cause's
conditions: runner/playbook/comparisons.py)."""

from __future__ import annotations

from typing import Any

from runner.lab import StepFailed
from runner.playbook.comparisons import compare, short
from runner.playbook.model import LabAssertion
from runner.playbook.placeholders import MISSING, Missing, fill_text, resolve


def check_assertion(check: LabAssertion, scope: dict[str, Any]) -> tuple[bool, str]:
    """(holds, what was compared); raises StepFailed when the observation does not exist or
    the test cannot be decided on it."""
    try:
        if check.of is not None:
            return _build_assertion(check, resolve(scope, check.of), scope)
        try:
            actual = resolve(scope, check.value or "")
        except Missing:
            if check.exists is None:
                raise
            actual = MISSING
    except Missing as exc:
        raise StepFailed(f"no such observation: {exc}") from None
    decision = compare(check, actual, lambda path: resolve(scope, path))
    if decision.holds is None:
        raise StepFailed(f"cannot compare {check.value}: {decision.undecided}")
    shown = "(none)" if actual is MISSING else short(actual, 50)
    return decision.holds, f"{check.value} = {shown} " + ", ".join(decision.shown)


def _build_assertion(check: LabAssertion, build: dict[str, Any], scope: dict[str, Any]) -> tuple[bool, str]:
    if check.all_cached is not None:
        ran = build.get("executed") or []
        holds = build["all_cached"] is check.all_cached
        shown = "all CACHED" if build["all_cached"] else f"ran: {'; '.join(ran) or 'nothing'}"
        return holds, f"{check.of}: {shown} (expected {'all' if check.all_cached else 'not all'} CACHED)"
    wanted = fill_text(check.step or "", scope)
    matching = [s for s in build["steps"] if wanted in s["instruction"] or wanted == s["name"]]
    if not matching:
        known = "; ".join(s["instruction"] for s in build["steps"]) or "none (did the build run?)"
        raise StepFailed(f"{check.of} has no step {wanted!r}; its steps: {known}")
    states = ["CACHED" if s["cached"] else "ran" for s in matching]
    holds = all(s["cached"] is check.cached for s in matching)
    return holds, f"{check.of}: {wanted} {'/'.join(states)} (expected {'CACHED' if check.cached else 'ran'})"
