"""The playbook's one comparison language, decided: a cause's `when` conditions and a lab's
assertions both test a value with the fields of `Comparison` (equals, matches, gt, ...).

A test is decided in three values: it holds, it does not, or it cannot be decided (a path
names nothing, a number is compared with text). Conditions read an undecided test as
"unknown"; the lab reads it as an experiment that could not observe what it asserts.
Paths and `{{...}}` inside the wanted values are the placeholder language
(runner/playbook/placeholders.py), resolved in the caller's scope.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.playbook.linear_regex import compile_linear
from runner.playbook.model import COMPARISON_TESTS, Comparison
from runner.playbook.placeholders import MISSING, Missing, Resolver, as_text, fill


@dataclass
class Decision:
    """What the tests of one Comparison made of a value."""

    holds: bool | None = True  # None: some test could not be decided
    shown: list[str] = field(default_factory=list)  # each test as text, for reports
    undecided: str | None = None  # why, when holds is None

    def add(self, holds: bool, text: str) -> None:
        self.shown.append(text)
        if self.holds is not None:
            self.holds = self.holds and holds

    def cannot(self, why: str) -> None:
        if self.holds is not None:
            self.holds, self.undecided = None, why


def compare(test: Comparison, actual: Any, resolve: Resolver) -> Decision:
    """Decide every test given in `test` on `actual` (MISSING when its path names nothing).

    A missing value decides `exists: false` alone; anything else asked of it is undecided
    (a check may leave out what it could not find out). The tests are shown in a fixed order:
    lab reports and the evidence recorded in playbooks quote them."""
    given = test.model_fields_set
    decision = Decision()
    if actual is MISSING:
        if test.exists is False and not given & set(COMPARISON_TESTS) - {"exists"}:
            decision.add(True, "does not exist")
        else:
            decision.cannot("the value does not exist")
        return decision

    def wanted(value: Any) -> Any:
        return fill(value, resolve, partial=True)

    def other(path: str) -> Any:
        try:
            return resolve(path)
        except Missing as exc:
            decision.cannot(f"no such value: {exc}")
            return MISSING

    if "equals" in given:
        value = wanted(test.equals)
        decision.add(actual == value, f"= {short(value)}")
    if "not_equals" in given:
        value = wanted(test.not_equals)
        decision.add(actual != value, f"≠ {short(value)}")
    for path, same, words in ((test.same_as, True, "same as"), (test.differs_from, False, "differs from")):
        if path is not None:
            value = other(path)
            if value is not MISSING:
                decision.add((actual == value) is same, f"{words} {path} ({short(value, 30)})")
    for pattern, found_wanted, words in ((test.matches, True, "matches"), (test.not_matches, False, "does not match")):
        if pattern is not None:
            found = compile_linear(wanted(pattern)).search(as_text(actual)) is not None
            decision.add(found is found_wanted, f"{words} /{pattern}/")
    for part, found_wanted, words in ((test.contains, True, "contains"), (test.not_contains, False, "does not contain")):
        if part is not None:
            value = wanted(part)
            found = value in actual if isinstance(actual, (list, tuple, Mapping)) else value in as_text(actual)
            decision.add(found is found_wanted, f"{words} {short(value)}")
    for bound, sign, holds in ((test.gt, ">", lambda a, b: a > b), (test.lt, "<", lambda a, b: a < b)):
        if bound is None:
            continue
        if isinstance(bound, str):
            base = other(bound)
            if base is MISSING:
                continue
            if number(base) is None:
                decision.cannot(f"{bound} is not a number: {short(base, 30)}")
                continue
            limit = number(base) * test.times
            shown = f"{bound} × {test.times:g} = {limit:.3g}"
        else:
            limit, shown = float(bound), f"{float(bound):g}"
        value = number(actual)
        if value is None:
            decision.cannot(f"not a number: {short(actual, 30)}")
            continue
        decision.add(holds(value, limit), f"{sign} {shown}")
    if test.one_of is not None:
        values = wanted(list(test.one_of))
        decision.add(actual in values, f"one of {short(values)}")
    if test.truthy is not None:
        decision.add(bool(actual) == test.truthy, "truthy" if test.truthy else "falsy")
    if test.exists is not None:
        decision.add(test.exists, "exists" if test.exists else "does not exist")
    return decision


def number(value: Any) -> float | None:
    """A number to compare: an int or a float (never a bool), or text that reads as one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def short(value: Any, limit: int = 80) -> str:
    """A value in one line for a report, cut at `limit` characters."""
    text = value if isinstance(value, str) and value else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"

