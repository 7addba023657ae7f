"""A cause's condition (`when:`) in words, as a page shows it: `all(build is fail, image.id != "x")`."""

from __future__ import annotations

import json
from typing import Any

from runner.playbook.model import (
    AllCondition,
    AnyCondition,
    FieldCondition,
    NotCondition,
    StatusCondition,
)


def condition_text(cond: Any) -> str:
    if isinstance(cond, AllCondition):
        return "all(" + ", ".join(condition_text(c) for c in cond.all) + ")"
    if isinstance(cond, AnyCondition):
        return "any(" + ", ".join(condition_text(c) for c in cond.any) + ")"
    if isinstance(cond, NotCondition):
        return "not(" + condition_text(cond.not_) + ")"
    if isinstance(cond, StatusCondition):
        status = cond.status if isinstance(cond.status, str) else "|".join(cond.status)
        return f"{cond.check} is {status}"
    if isinstance(cond, FieldCondition):
        tests = []
        for name, op in (("equals", "=="), ("not_equals", "!="), ("one_of", "in"), ("matches", "~"),
                         ("exists", "exists:"), ("truthy", "truthy:"), ("gt", ">"), ("lt", "<"),
                         ("same_as", "=="), ("differs_from", "!=")):
            value = getattr(cond, name)
            if value is None or (name == "equals" and "equals" not in cond.model_fields_set):
                continue
            shown = value if name in ("same_as", "differs_from") else json.dumps(
                list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
            tests.append(f"{op} {shown}")
        return f"{cond.check}.{cond.field} " + " and ".join(tests or ["is set"])
    return str(cond)
