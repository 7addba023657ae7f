"""An experiment's assertions checked against what its steps observed: a build's steps cached
or run, or a saved value compared (equals, same_as, matches, contains, gt, lt, ...)."""

from __future__ import annotations

import json
import re
from typing import Any

from runner.lab.errors import StepFailed
from runner.lab.placeholders import Missing, fill, fill_text, lookup, text
from runner.playbook.model import LabAssertion


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) and value else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_assertion(check: LabAssertion, scope: dict[str, Any]) -> tuple[bool, str]:
    """(holds, what was compared); raises StepFailed when the observation does not exist."""
    try:
        if check.of is not None:
            build = lookup(scope, check.of)
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
        actual = lookup(scope, check.value or "")
        parts: list[str] = []
        holds = True
        given = check.model_fields_set

        def test(ok: bool, text: str) -> None:
            nonlocal holds
            holds = holds and ok
            parts.append(text)

        if "equals" in given:
            wanted = fill(check.equals, scope)
            test(actual == wanted, f"= {_short(wanted)}")
        if "not_equals" in given:
            wanted = fill(check.not_equals, scope)
            test(actual != wanted, f"≠ {_short(wanted)}")
        if check.same_as is not None:
            other = lookup(scope, check.same_as)
            test(actual == other, f"same as {check.same_as} ({_short(other, 30)})")
        if check.differs_from is not None:
            other = lookup(scope, check.differs_from)
            test(actual != other, f"differs from {check.differs_from} ({_short(other, 30)})")
        if check.matches is not None:
            test(re.search(fill_text(check.matches, scope), text(actual)) is not None, f"matches /{check.matches}/")
        if check.not_matches is not None:
            test(re.search(fill_text(check.not_matches, scope), text(actual)) is None,
                 f"does not match /{check.not_matches}/")
        if check.contains is not None:
            wanted = fill_text(check.contains, scope)
            test(wanted in actual if isinstance(actual, (list, dict)) else wanted in text(actual),
                 f"contains {_short(wanted)}")
        if check.not_contains is not None:
            wanted = fill_text(check.not_contains, scope)
            test(wanted not in actual if isinstance(actual, (list, dict)) else wanted not in text(actual),
                 f"does not contain {_short(wanted)}")
        for name, sign in (("gt", ">"), ("lt", "<")):
            bound = getattr(check, name)
            if bound is None:
                continue
            limit = float(bound) if not isinstance(bound, str) else float(lookup(scope, bound)) * check.times
            shown = f"{bound} × {check.times:g} = {limit:.3g}" if isinstance(bound, str) else f"{limit:g}"
            number = float(actual)
            test(number > limit if name == "gt" else number < limit, f"{sign} {shown}")
        return holds, f"{check.value} = {_short(actual, 50)} " + ", ".join(parts)
    except Missing as exc:
        raise StepFailed(f"no such observation: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise StepFailed(f"cannot compare {check.value}: {exc}") from None
