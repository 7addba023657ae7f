"""Checks across a whole playbook (runner/playbook/references.py), on models made in the test:
`{{param}}` references, the checks a condition names and where, ids that clash or do not
resolve, and hints that stay bounded. The exact messages of whole files are in
tests/playbook/test_loader.py (examples/invalid/)."""

from __future__ import annotations

from typing import Any

from runner.playbook.model import Playbook
from runner.playbook.references import (
    MAX_LISTED,
    MAX_SUGGESTIONS,
    _did_you_mean,
    condition_checks,
    cross_reference_problems,
)

BASE = {"id": "p", "title": "t", "summary": "s", "symptoms": [{"text": "x"}]}
STEP = {"title": "do it", "manual": "by hand", "effect": "write"}


def problems(**sections: Any) -> list[tuple[tuple, str, str]]:
    """(location, message, hint) of each finding on a playbook with these sections, in order."""
    data = {**BASE, **sections}
    return [(loc, message, hint) for loc, message, hint, _key in
            cross_reference_problems(Playbook.model_validate(data), data)]


def test_a_condition_names_its_checks_with_their_places():
    playbook = Playbook.model_validate({**BASE, "causes": [{
        "id": "c", "title": "t", "explanation": "e",
        "when": {"all": [{"check": "image", "status": "pass"},
                         {"not": {"any": [{"check": "container", "field": "image_id", "differs_from": "image.id"}]}}]},
    }]})
    found = list(condition_checks(playbook.causes[0].when, ("when",)))
    assert found == [(("when", "all", 0, "check"), "image"),
                     (("when", "all", 1, "not", "any", 0, "check"), "container"),
                     (("when", "all", 1, "not", "any", 0, "differs_from"), "image")]


def test_a_fix_and_an_alternative_may_not_share_an_id():
    found = problems(fixes=[{"id": "rebuild", "title": "t", "steps": [STEP]}],
                     alternatives=[{"id": "rebuild", "title": "t", "steps": [STEP]}])
    assert found == [(("alternatives", 0, "id"), "id 'rebuild' is used by a fix and an alternative", "")]


def test_evidence_verify_and_claims_must_name_what_exists():
    found = problems(
        checks=[{"id": "image", "kind": "image", "args": {"image": "app:1"}}],
        causes=[{"id": "c", "title": "t", "explanation": "e", "when": {"check": "image", "status": "fail"},
                 "evidence": ["imgae"], "claims": ["no-such-claim"]}],
        fixes=[{"id": "f", "title": "t", "steps": [STEP], "verify": ["container"]}])
    assert found == [
        (("causes", 0, "evidence", 0), "check 'imgae' does not exist", "did you mean 'image'?"),
        (("fixes", 0, "verify", 0), "check 'container' does not exist", "known: image"),
        (("causes", 0, "claims", 0), "claim 'no-such-claim' does not exist", "none is defined"),
    ]


def test_an_undeclared_param_is_reported_once_per_section_where_first_used():
    check = {"kind": "image", "args": {"image": "{{imag}}"}}
    found = problems(params={"image": {"type": "image", "description": "d"}},
                     checks=[{"id": "one", **check}, {"id": "two", **check}],
                     fixes=[{"id": "f", "title": "t",
                             "steps": [{**STEP, "manual": None, "run": ["echo", "{{imag}}"]}]}])
    hint = "did you mean 'image'? or declare it under params"
    assert found == [(("checks", 0, "args", "image"), "param 'imag' is used but not declared", hint),
                     (("fixes", 0, "steps", 0, "run", 1), "param 'imag' is used but not declared", hint)]


def test_hints_list_a_bounded_number_of_known_names():
    known = [f"check-{i}" for i in range(MAX_LISTED + 5)]
    assert _did_you_mean("check-1x", known) == "did you mean 'check-1'?"
    assert _did_you_mean("zzz", known) == "known: " + ", ".join(known[:MAX_LISTED]) + ", ... (5 more)"
    assert _did_you_mean("check-1x", known, suggest=False).startswith("known: check-0, ")
    assert _did_you_mean("zzz", []) == "none is defined"


def test_suggestions_stop_after_a_bound_on_a_file_full_of_mistakes():
    checks = [{"id": "image", "kind": "image", "args": {"image": "app:1"}}]
    checks += [{"id": f"c{i}", "kind": "engine", "requires": ["imag"]} for i in range(MAX_SUGGESTIONS + 3)]
    hints = [hint for loc, _message, hint in problems(checks=checks) if loc[2] == "requires"]
    assert hints[:MAX_SUGGESTIONS] == ["did you mean 'image'?"] * MAX_SUGGESTIONS
    assert all(hint.startswith("known: image, c0, ") for hint in hints[MAX_SUGGESTIONS:])
    assert len(hints) == MAX_SUGGESTIONS + 3


def test_a_lab_experiment_must_be_tied_to_something_and_have_a_unique_id():
    experiment = {"id": "e", "title": "t", "steps": [{"run": ["true"], "as": "out"}],
                  "assert": [{"value": "out.code", "equals": 0}]}
    found = problems(lab={"experiments": [experiment, experiment]})
    tied = "give claims, wrong_attempt, fix or cause: what it decides"
    assert found == [(("lab", "experiments", 0, "id"), "the experiment is tied to nothing", tied),
                     (("lab", "experiments", 1, "id"), "duplicate id 'e'", "also lab.experiments[0]"),
                     (("lab", "experiments", 1, "id"), "the experiment is tied to nothing", tied)]


def test_a_recommendation_resting_on_a_refuted_claim_must_say_what_to_do_instead():
    claims = [{"id": "prune-keeps-mounts", "statement": "s", "status": "refuted"},
              {"id": "held", "statement": "s", "status": "confirmed"}]
    lesson = {"title": "prune, it is cheap", "claims": ["held", "prune-keeps-mounts"]}
    found = problems(claims=claims, lessons=[lesson])
    assert found == [(("lessons", 0, "claims"), "rests on refuted claim 'prune-keeps-mounts' and says nothing instead",
                      "add instead: {ko: ..., en: ...}, what to do in its place (keep the report's words)")]
    assert problems(claims=claims, lessons=[{**lesson, "instead": "find the cause first"}]) == []
    # a wrong attempt is no recommendation: it may rest on a refuted claim as it stands
    attempt = {"id": "w", "title": "t", "why": ["y"], "verdict": "fails", "claims": ["prune-keeps-mounts"]}
    assert problems(claims=claims, wrong_attempts=[attempt]) == []
