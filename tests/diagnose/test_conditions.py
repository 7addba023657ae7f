"""Cause conditions: three-valued logic over check results (pure logic)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from runner.checks.result import CheckResult
from runner.diagnose.conditions import evaluate
from runner.playbook.model import Condition

parse = TypeAdapter(Condition).validate_python

RESULTS = {
    "container": CheckResult("pass", "", {"image_id": "sha256:old", "mounts": [], "found_elsewhere": []}),
    "image": CheckResult("pass", "", {"id": "sha256:new", "tags": ["app:staging"]}),
    "git": CheckResult("fail", "behind", {"behind": 2}),
    "broken": CheckResult("error", "engine unreachable", {}),
    "source": CheckResult("pass", "", {"build": {"same_as_image": True}, "excluded_changes": []}),
}


@pytest.mark.parametrize("condition, expected", [
    ({"check": "git", "status": "fail"}, True),
    ({"check": "git", "status": ["pass", "warn"]}, False),
    ({"check": "container", "field": "image_id", "differs_from": "image.id"}, True),
    ({"check": "container", "field": "image_id", "same_as": "image.id"}, False),
    ({"check": "git", "field": "behind", "gt": 0}, True),
    ({"check": "git", "field": "behind", "lt": 1}, False),
    ({"check": "source", "field": "build.same_as_image", "equals": True}, True),
    ({"check": "source", "field": "excluded_changes", "truthy": True}, False),
    ({"check": "image", "field": "tags.0", "matches": "^app:"}, True),
    ({"check": "image", "field": "tags.length", "equals": 1}, True),
    ({"check": "image", "field": "labels", "exists": False}, True),
    ({"check": "image", "field": "id", "one_of": ["sha256:new", "x"]}, True),
    ({"all": [{"check": "git", "status": "fail"}, {"check": "git", "field": "behind", "equals": 2}]}, True),
    ({"any": [{"check": "git", "status": "pass"}, {"check": "image", "field": "id", "equals": "sha256:new"}]}, True),
    ({"not": {"check": "git", "status": "fail"}}, False),
])
def test_conditions_decide_on_evidence(condition, expected):
    assert evaluate(parse(condition), RESULTS) is expected


@pytest.mark.parametrize("condition", [
    {"check": "broken", "field": "anything", "truthy": False},
    {"not": {"check": "broken", "field": "x", "equals": 1}},
    {"check": "container", "field": "image_id", "differs_from": "broken.id"},
    {"check": "missing-check", "status": "pass"},
    {"check": "image", "field": "no.such.path", "equals": 1},
    {"all": [{"check": "git", "status": "fail"}, {"check": "broken", "field": "x", "truthy": True}]},
])
def test_a_check_that_could_not_run_leaves_the_condition_unknown(condition):
    assert evaluate(parse(condition), RESULTS) is None


def test_unknown_never_hides_a_definite_answer():
    assert evaluate(parse({"any": [{"check": "broken", "field": "x", "truthy": True},
                                   {"check": "git", "status": "fail"}]}), RESULTS) is True
    assert evaluate(parse({"all": [{"check": "broken", "field": "x", "truthy": True},
                                   {"check": "git", "status": "pass"}]}), RESULTS) is False


def test_status_condition_may_ask_for_error_explicitly():
    assert evaluate(parse({"check": "broken", "status": "error"}), RESULTS) is True


def test_field_condition_without_a_test_is_refused():
    with pytest.raises(ValueError, match="say what to test"):
        parse({"check": "git", "field": "behind"})
