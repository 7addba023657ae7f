"""The playbook model (runner/playbook/model.py) on its own, without a file: text in one or two
languages, the rules a model enforces beyond types, lookups by id. What the loader makes of
files is in tests/playbook/test_loader.py."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from runner.playbook.model import (
    Check,
    Condition,
    LabAssertion,
    LabStep,
    LocalizedText,
    Playbook,
    localize,
)

BASE = {"id": "p", "title": "t", "summary": "s", "symptoms": [{"text": "x"}]}


def test_text_falls_back_to_the_other_language():
    both = LocalizedText(ko="한국어", en="English")
    assert (localize(both, "ko"), localize(both, "en")) == ("한국어", "English")
    assert localize(LocalizedText(en="English"), "ko") == "English"
    assert localize(LocalizedText(ko="한국어"), "en") == "한국어"
    assert localize("plain", "ko") == localize("plain", "en") == "plain"
    assert localize(None, "en") == ""


def test_text_needs_one_language_at_least():
    with pytest.raises(ValidationError, match="give the text in at least one language: ko or en"):
        LocalizedText()


def test_a_condition_without_a_known_key_is_read_as_a_status_condition():
    adapter = TypeAdapter(Condition)
    with pytest.raises(ValidationError) as info:
        adapter.validate_python({"check": "image"})
    assert [error["loc"] for error in info.value.errors()] == [("StatusCondition", "status")]
    negated = adapter.validate_python({"not": {"check": "image", "status": "pass"}})
    assert negated.not_.status == "pass"


@pytest.mark.parametrize("timeout", [0, -1, 3601])
def test_a_check_timeout_is_bounded(timeout):
    with pytest.raises(ValidationError):
        Check(id="c", kind="engine", timeout=timeout)


def test_a_lab_step_takes_exactly_one_action_and_names_it():
    assert LabStep(touch="app.txt").action == "touch"
    assert LabStep.model_validate({"run": ["true"], "as": "out"}).as_ == "out"
    with pytest.raises(ValidationError, match=r"give exactly one action of .* \(got touch, remove\)"):
        LabStep(touch="a", remove="b")


@pytest.mark.parametrize("assertion, message", [
    ({"equals": 1}, "say what to test: value"),
    ({"value": "out.code", "step": "RUN make", "equals": 0}, "step, cached and all_cached go with of"),
    ({"of": "build"}, "say what to test of the build: step \\+ cached, or all_cached"),
])
def test_a_lab_assertion_has_one_subject(assertion, message):
    with pytest.raises(ValidationError, match=message):
        LabAssertion.model_validate(assertion)


def test_a_lab_assertion_on_a_build_or_a_value():
    assert LabAssertion.model_validate({"of": "build", "all_cached": True}).all_cached is True
    assert LabAssertion.model_validate({"value": "out.code", "equals": 0}).equals == 0


def test_lookups_by_id_cover_fixes_and_alternatives():
    step = {"title": "do it", "manual": "by hand", "effect": "write"}
    playbook = Playbook.model_validate({
        **BASE,
        "checks": [{"id": "engine", "kind": "engine"}],
        "fixes": [{"id": "main", "title": "main fix", "steps": [step]}],
        "alternatives": [{"id": "other", "title": "other fix", "steps": [step]}],
        "claims": [{"id": "rmi-keeps-cache", "statement": "rmi keeps the cache", "status": "unverified"}],
    })
    assert playbook.check("engine").kind == "engine"
    assert playbook.fix("other").title == "other fix"
    assert playbook.claim("rmi-keeps-cache").status.value == "unverified"
    with pytest.raises(StopIteration):
        playbook.fix("missing")
