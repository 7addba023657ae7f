"""A cause's condition (`when:`) in words, as a page shows it: ‘the checkout’ fails and stale
files of ‘image versus build context’ is true."""

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


# A check's status, said of the check: "“Git checkout” fails"
_STATUS_WORDS = {
    "pass": ("통과", "passes"), "fail": ("실패", "fails"), "warn": ("경고", "warns"),
    "error": ("판단 불가 (오류)", "cannot decide (error)"), "skip": ("건너뜀", "is skipped"),
}


def condition_words(cond: Any, titles: dict[str, str], lang: str) -> str:
    """The condition as a reader says it, with each check by its title: “Git checkout” fails and
    “Image” → stale is true. `titles`: check id -> its title in `lang`."""
    ko = lang == "ko"

    def named(check: str) -> str:
        return f"‘{titles.get(check, check)}’"

    if isinstance(cond, AllCondition):
        return (" 그리고 " if ko else " and ").join(_grouped(c, titles, lang) for c in cond.all)
    if isinstance(cond, AnyCondition):
        return (" 또는 " if ko else " or ").join(_grouped(c, titles, lang) for c in cond.any)
    if isinstance(cond, NotCondition):
        inner = _grouped(cond.not_, titles, lang)
        return f"{inner}이(가) 아님" if ko else f"not {inner}"
    if isinstance(cond, StatusCondition):
        statuses = (cond.status,) if isinstance(cond.status, str) else tuple(cond.status)
        said = [(_STATUS_WORDS.get(s, (s, s))[0 if ko else 1]) for s in statuses]
        return f"{named(cond.check)} 검사 {' 또는 '.join(said)}" if ko else f"{named(cond.check)} {' or '.join(said)}"
    if isinstance(cond, FieldCondition):
        what = cond.field.replace("_", " ").replace(".", " → ")
        subject = f"{named(cond.check)}의 {what}" if ko else f"{what} of {named(cond.check)}"
        tests = []
        for name in ("equals", "not_equals", "one_of", "matches", "exists", "truthy", "gt", "lt", "same_as",
                     "differs_from"):
            value = getattr(cond, name)
            if value is None or (name == "equals" and "equals" not in cond.model_fields_set):
                continue
            tests.append(_test_words(name, value, titles, ko))
        return f"{subject} {(' 그리고 ' if ko else ' and ').join(tests or ['있음' if ko else 'is set'])}"
    return str(cond)


def _grouped(cond: Any, titles: dict[str, str], lang: str) -> str:
    text = condition_words(cond, titles, lang)
    return f"({text})" if isinstance(cond, (AllCondition, AnyCondition)) else text


def _test_words(name: str, value: Any, titles: dict[str, str], ko: bool) -> str:
    if name in ("same_as", "differs_from"):
        check, _, path = str(value).partition(".")
        other = f"‘{titles.get(check, check)}’" + (f"의 {path}" if ko else f" → {path}") if path else str(value)
        same = name == "same_as"
        return (f"= {other}" if same else f"≠ {other}") if ko else (f"is the same as {other}" if same else
                                                                     f"differs from {other}")
    shown = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    if name in ("equals", "not_equals") and isinstance(value, bool):
        value = value if name == "equals" else not value
        return ("참" if value else "거짓") if ko else ("is true" if value else "is false")
    if name in ("truthy", "exists"):
        yes = bool(value)
        if name == "truthy":
            return ("참" if yes else "거짓") if ko else ("is true" if yes else "is false")
        return ("있음" if yes else "없음") if ko else ("is there" if yes else "is not there")
    words = {"equals": ("=", "is"), "not_equals": ("≠", "is not"), "one_of": ("∈", "is one of"),
             "matches": ("~", "matches"), "gt": (">", "is more than"), "lt": ("<", "is less than")}[name]
    return f"{words[0]} {shown}" if ko else f"{words[1]} {shown}"
