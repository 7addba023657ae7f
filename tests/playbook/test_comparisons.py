"""The comparison language, decided in three values (pure logic)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from runner.playbook.comparisons import compare, number, short
from runner.playbook.model import (
    COMPARISON_TESTS,
    Comparison,
    FieldCondition,
    LabAssertion,
)
from runner.playbook.placeholders import MISSING, resolve

SCOPE = {"first": {"image_id": "sha256:a", "seconds": 2.0, "output": "step 1\nCACHED\n", "tags": ["x", "y"]},
         "second": {"image_id": "sha256:a", "seconds": "0.5\n"}, "name": "app"}


def decide(actual, **tests):
    return compare(Comparison(**tests), actual, lambda path: resolve(SCOPE, path))


@pytest.mark.parametrize("actual, tests, holds", [
    ("sha256:a", {"equals": "sha256:a"}, True),
    ("sha256:a", {"equals": "{{first.image_id}}"}, True),  # wanted values are filled in
    ("sha256:a", {"not_equals": "sha256:b"}, True),
    ("sha256:a", {"same_as": "second.image_id"}, True),
    ("sha256:a", {"differs_from": "first.image_id"}, False),
    ("step 1\nCACHED\n", {"matches": "^CACHED$"}, False),
    ("step 1\nCACHED\n", {"matches": "(?m)^CACHED$"}, True),
    ("step 1\nCACHED\n", {"not_matches": "ERROR"}, True),
    ("ap", {"contains": "{{name}}"}, False),
    ("my app", {"contains": "{{name}}"}, True),
    (["x", "y"], {"contains": "y"}, True),
    (["x", "y"], {"not_contains": "z"}, True),
    (3, {"gt": 2, "lt": 4}, True),
    ("3", {"gt": "2"}, True),  # text that reads as a number is one; "2" in YAML quotes too
    (1.5, {"gt": "first.seconds", "times": 0.5}, True),
    (1.5, {"lt": "second.seconds", "times": 4}, True),
    ("b", {"one_of": ["a", "b"]}, True),
    ([], {"truthy": False}, True),
    ("x", {"exists": True}, True),
    (MISSING, {"exists": False}, True),
    ("x", {"equals": "x", "truthy": False}, False),  # every test must hold
])
def test_tests_decide(actual, tests, holds):
    assert decide(actual, **tests).holds is holds


@pytest.mark.parametrize("actual, tests", [
    (MISSING, {"equals": 1}),
    (MISSING, {"exists": True}),  # a check may leave out what it could not find out
    (MISSING, {"exists": False, "equals": 1}),
    ("x", {"gt": 1}),
    (True, {"lt": 1}),  # a bool is not a number
    (1, {"gt": "nowhere.value"}),
    (1, {"same_as": "first.nope"}),
    (1, {"gt": "name"}),
])
def test_what_cannot_be_decided_is_neither_true_nor_false(actual, tests):
    decision = decide(actual, **tests)
    assert decision.holds is None
    assert decision.undecided


def test_an_undecided_test_is_not_hidden_by_a_false_one():
    assert decide(1, equals=2, gt="nowhere.value").holds is None


def test_each_test_is_shown_in_a_fixed_order():
    decision = decide(2.0, lt="first.seconds", times=2, same_as="first.seconds", equals=2.0, matches="^2")
    assert decision.shown == ["= 2.0", "same as first.seconds (2.0)", "matches /^2/", "< first.seconds × 2 = 4"]


def test_conditions_and_assertions_speak_the_same_tests():
    condition_fields = set(FieldCondition.model_fields) - {"check", "field"}
    assertion_fields = set(LabAssertion.model_fields) - {"title", "shows", "value", "of", "step", "cached",
                                                         "all_cached"}
    assert condition_fields == assertion_fields == set(COMPARISON_TESTS) | {"times"}


def test_a_comparison_needs_a_test():
    with pytest.raises(ValidationError, match="say what to test: equals, .* or differs_from"):
        FieldCondition(check="git", field="behind")
    with pytest.raises(ValidationError, match="say how to test the value"):
        LabAssertion(value="build.seconds")


@pytest.mark.parametrize("value, expected", [(1, 1.0), (2.5, 2.5), ("3", 3.0), (" 4\n", 4.0), (True, None),
                                             ("x", None), (None, None), ([1], None)])
def test_numbers(value, expected):
    assert number(value) == expected


def test_short_values_for_reports():
    assert short("a\nb") == "a⏎b"
    assert short({"k": 1}) == '{"k": 1}'
    assert short("x" * 100, 10) == "x" * 9 + "…"
