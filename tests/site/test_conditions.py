"""runner/site/conditions.py: a cause's condition in words, as its page shows it, each check by
its title in the reader's language."""

from __future__ import annotations

from pydantic import TypeAdapter

from runner.playbook.model import Condition
from runner.site.conditions import condition_words

TITLES = {"en": {"git": "the checkout", "image": "the image tag"}, "ko": {"git": "체크아웃 상태", "image": "이미지 태그"}}


def words(condition: dict, lang: str = "en") -> str:
    return condition_words(TypeAdapter(Condition).validate_python(condition), TITLES[lang], lang)


def test_statuses_and_combinations() -> None:
    assert words({"check": "git", "status": "fail"}) == "‘the checkout’ fails"
    assert words({"check": "git", "status": "fail"}, "ko") == "‘체크아웃 상태’ 검사 실패"
    assert words({"check": "engine", "status": ["fail", "error"]}) == "‘engine’ fails or cannot decide (error)"
    assert words({"all": [{"check": "git", "status": "pass"}, {"not": {"check": "image", "status": "fail"}}]}) == \
        "‘the checkout’ passes and not ‘the image tag’ fails"
    assert words({"any": [{"all": [{"check": "git", "status": "pass"}, {"check": "image", "status": "pass"}]},
                          {"check": "git", "status": "warn"}]}) == \
        "(‘the checkout’ passes and ‘the image tag’ passes) or ‘the checkout’ warns"


def test_comparisons_on_a_field() -> None:
    assert words({"check": "image", "field": "id", "equals": "sha256:x"}) == 'id of ‘the image tag’ is "sha256:x"'
    assert words({"check": "image", "field": "id", "same_as": "git.id"}) == \
        "id of ‘the image tag’ is the same as ‘the checkout’ → id"
    assert words({"check": "image", "field": "stale_files", "truthy": True}) == "stale files of ‘the image tag’ is true"
    assert words({"check": "image", "field": "not_rebuilt", "equals": False}) == \
        "not rebuilt of ‘the image tag’ is false"
    assert words({"check": "git", "field": "behind", "gt": 0}, "ko") == "‘체크아웃 상태’의 behind > 0.0"
    assert words({"check": "image", "field": "tags", "one_of": ["a", "b"], "exists": True}) == \
        'tags of ‘the image tag’ is one of ["a", "b"] and is there'
