"""Evaluate a cause's condition over check results, in three-valued logic.

A condition about a check that could not run is unknown (None), not false: `not` of an
unknown stays unknown, so a failed check can never make a cause hold by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from runner.checks.result import CheckResult
from runner.playbook.model import AllCondition, AnyCondition, Condition, FieldCondition, NotCondition, StatusCondition

_MISSING = object()
UNKNOWN_STATUSES = ("error", "skip")


def lookup(value: Any, path: str) -> Any:
    """`a.b.0.c` into nested dicts and lists; _MISSING when any step is absent."""
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, (list, tuple)) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, (list, tuple, str, Mapping)) and part == "length":
            value = len(value)
        else:
            return _MISSING
    return value


def _reference(results: Mapping[str, CheckResult], ref: str) -> Any:
    check_id, _, path = ref.partition(".")
    result = results.get(check_id)
    if result is None or result.status in UNKNOWN_STATUSES:
        return _MISSING
    return lookup(result.evidence, path) if path else result.status


def evaluate(condition: Condition, results: Mapping[str, CheckResult]) -> bool | None:
    if isinstance(condition, AllCondition):
        values = [evaluate(c, results) for c in condition.all]
        return False if False in values else None if None in values else True
    if isinstance(condition, AnyCondition):
        values = [evaluate(c, results) for c in condition.any]
        return True if True in values else None if None in values else False
    if isinstance(condition, NotCondition):
        value = evaluate(condition.not_, results)
        return None if value is None else not value
    result = results.get(condition.check)
    if result is None:
        return None
    if isinstance(condition, StatusCondition):
        wanted = (condition.status,) if isinstance(condition.status, str) else condition.status
        if result.status in UNKNOWN_STATUSES and result.status not in wanted:
            return None
        return result.status in wanted
    if result.status in UNKNOWN_STATUSES:
        return None
    return _compare(condition, lookup(result.evidence, condition.field), results)


def _compare(condition: FieldCondition, value: Any, results: Mapping[str, CheckResult]) -> bool | None:
    tests: list[bool] = []
    if condition.exists is not None:
        tests.append((value is not _MISSING) == condition.exists)
    if value is _MISSING:
        return all(tests) if tests and condition.exists is False else None
    fields = condition.model_fields_set
    if "equals" in fields:
        tests.append(value == condition.equals)
    if "not_equals" in fields:
        tests.append(value != condition.not_equals)
    if condition.one_of is not None:
        tests.append(value in condition.one_of)
    if condition.matches is not None:
        tests.append(isinstance(value, str) and re.search(condition.matches, value) is not None)
    if condition.truthy is not None:
        tests.append(bool(value) == condition.truthy)
    for bound, holds in ((condition.gt, lambda v, b: v > b), (condition.lt, lambda v, b: v < b)):
        if bound is not None:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return None
            tests.append(holds(value, bound))
    for ref, wants_same in ((condition.same_as, True), (condition.differs_from, False)):
        if ref is not None:
            other = _reference(results, ref)
            if other is _MISSING:
                return None
            tests.append((value == other) == wants_same)
    return all(tests)
