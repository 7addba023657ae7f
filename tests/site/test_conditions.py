"""runner/site/conditions.py: a cause's condition in words, as its page shows it."""

from __future__ import annotations

from pydantic import TypeAdapter

from runner.playbook.model import Condition
from runner.site.conditions import condition_text


def words(condition: dict) -> str:
    return condition_text(TypeAdapter(Condition).validate_python(condition))


def test_statuses_and_combinations() -> None:
    assert words({"check": "engine", "status": "fail"}) == "engine is fail"
    assert words({"check": "engine", "status": ["fail", "error"]}) == "engine is fail|error"
    assert words({"all": [{"check": "a", "status": "pass"}, {"not": {"check": "b", "status": "fail"}}]}) == \
        "all(a is pass, not(b is fail))"
    assert words({"any": [{"check": "a", "status": "pass"}]}) == "any(a is pass)"


def test_comparisons_on_a_field() -> None:
    assert words({"check": "image", "field": "id", "equals": "sha256:x"}) == 'image.id == "sha256:x"'
    assert words({"check": "image", "field": "id", "same_as": "built.id"}) == "image.id == built.id"
    assert words({"check": "image", "field": "tags", "one_of": ["a", "b"], "exists": True}) == \
        'image.tags in ["a", "b"] and exists: true'
    assert words({"check": "git", "field": "behind", "gt": 0}) == "git.behind > 0.0"
    assert words({"check": "log", "field": "line", "matches": "^#\\d+ CACHED"}) == 'log.line ~ "^#\\\\d+ CACHED"'
