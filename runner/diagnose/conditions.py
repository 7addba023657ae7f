"""Evaluate a cause's condition over check results, in three-valued logic.

A condition about a check that could not run is unknown (None), not false: `not` of an
unknown stays unknown, so a failed check can never make a cause hold by accident. A field
condition is the playbook's comparison language (runner/playbook/comparisons.py) on a path
into the check's evidence; its other paths (`same_as: image.id`) start with a check id, and a
bare check id is that check's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.checks.result import CheckResult
from runner.playbook.comparisons import compare
from runner.playbook.model import (
    AllCondition,
    AnyCondition,
    Condition,
    NotCondition,
    StatusCondition,
)
from runner.playbook.placeholders import Missing, Resolver, Unknown, get, walk

UNKNOWN_STATUSES = ("error", "skip")


def resolver(results: Mapping[str, CheckResult]) -> Resolver:
    """Paths that start with a check id: its status alone, or a value of its evidence. A check
    that could not run has no values."""

    def resolve(path: str) -> Any:
        check_id, *keys = path.split(".")
        result = results.get(check_id)
        if result is None:
            raise Unknown(f"there is no check {check_id!r}")
        if result.status in UNKNOWN_STATUSES:
            raise Missing(f"the {check_id} check could not run ({result.status})")
        return walk(result.evidence, keys, check_id) if keys else result.status

    return resolve


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
    return compare(condition, get(result.evidence, condition.field), resolver(results)).holds
