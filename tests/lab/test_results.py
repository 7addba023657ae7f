"""What a lab run produces (runner/lab/results.py): which assertions are evidence for what an
experiment shows, the verdict it gives its claims, whether a claim's verdict agrees with the
playbook, and the report as JSON (what `runner lab --json` prints)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from runner.lab.results import (
    AssertionResult,
    ClaimResult,
    Cleanup,
    ExperimentResult,
    LabReport,
    StepResult,
    TieResult,
    Versions,
)


def assertion(index: int, passed: bool, shows: str | None = None) -> AssertionResult:
    return AssertionResult(index=index, describe=f"assertion {index}", passed=passed, shows=shows)


def experiment(*assertions: AssertionResult, outcome: str = "held", expect: str = "confirmed",
               claims: tuple[str, ...] = ("c1",)) -> ExperimentResult:
    return ExperimentResult(
        id="e1", title="an experiment", outcome=outcome, seconds=1.5, claims=claims, expect=expect,
        wrong_attempt=None, fix="f1", cause=None,
        steps=(StepResult(phase="steps", index=0, action="build", describe="build app", seconds=1.0, ok=True,
                          saved_as="first"),),
        assertions=assertions, observations={"first": {"image_id": "sha256:1"}})


def claim(verdict: str | None, recorded: str = "confirmed") -> ClaimResult:
    return ClaimResult(id="c1", statement="touch keeps COPY cached", recorded=recorded, verdict=verdict,
                       experiments=("e1",), engine="Docker Engine 20.10", client="docker 20.10")


# --- ExperimentResult.holds_for ---------------------------------------------------------------


def test_an_assertion_that_shows_nothing_in_particular_is_evidence_for_everything():
    held = experiment(assertion(0, True), assertion(1, True))
    assert held.holds_for("claims") and held.holds_for("fix") and held.holds_for("cause")
    failed = experiment(assertion(0, True), assertion(1, False))
    assert failed.holds_for("claims") is False and failed.holds_for("fix") is False


def test_an_assertion_that_shows_one_thing_counts_only_for_it():
    result = experiment(assertion(0, True), assertion(1, False, shows="fix"), assertion(2, True, shows="claims"))
    assert result.holds_for("fix") is False
    assert result.holds_for("claims") is True
    assert result.holds_for("wrong_attempt") is True
    claims_fail = experiment(assertion(0, False, shows="claims"))
    assert claims_fail.holds_for("claims") is False and claims_fail.holds_for("fix") is True


def test_no_assertion_holds():
    assert experiment().holds_for("claims") is True


def test_after_an_error_nothing_holds_or_fails():
    result = experiment(assertion(0, True), outcome="error")
    assert result.holds_for("claims") is None and result.holds_for("fix") is None


# --- ExperimentResult.verdict -----------------------------------------------------------------


@pytest.mark.parametrize(("expect", "passed", "verdict"), [
    ("confirmed", True, "confirmed"),
    ("confirmed", False, "refuted"),
    ("refuted", True, "refuted"),  # the assertions describe the claim being wrong, and they held
    ("refuted", False, "confirmed"),
])
def test_the_verdict_is_what_the_experiment_expects_when_its_claim_evidence_holds(expect, passed, verdict):
    assert experiment(assertion(0, passed), expect=expect).verdict() == verdict


def test_only_the_claims_evidence_decides_the_verdict():
    result = experiment(assertion(0, True, shows="claims"), assertion(1, False, shows="fix"))
    assert result.verdict() == "confirmed"


def test_an_experiment_that_errored_says_error():
    assert experiment(assertion(0, True), outcome="error").verdict() == "error"


# --- ClaimResult --------------------------------------------------------------------------


@pytest.mark.parametrize(("verdict", "recorded", "agrees", "decided"), [
    ("confirmed", "confirmed", True, True),
    ("refuted", "refuted", True, True),
    ("refuted", "confirmed", False, True),
    ("confirmed", "unverified", False, True),
    ("mixed", "confirmed", False, False),
    ("error", "confirmed", None, False),
    (None, "confirmed", None, False),
])
def test_a_claim_agrees_when_its_verdict_is_the_recorded_status(verdict, recorded, agrees, decided):
    result = claim(verdict, recorded)
    assert result.agrees is agrees
    assert result.decided is decided


# --- LabReport.to_json --------------------------------------------------------------------


def report(**changes) -> LabReport:
    made = LabReport(
        playbook="mini", run_id="r1", status="pass",
        versions=Versions(engine="Docker Engine 20.10", client="docker 20.10", client_path="/usr/bin/docker",
                          host="unix:///var/run/docker.sock"),
        started="2026-01-01T00:00:00+00:00", seconds=12.5,
        experiments=(experiment(assertion(0, True)), experiment(assertion(0, False), claims=())),
        claims=(claim("confirmed"),),
        ties=(TieResult(kind="fix", id="f1", experiment="e1", behaves=True, meaning="the fix resolves it"),),
        cleanup=Cleanup(removed={"images": 2}, left=(), deleted=(("image", "sha256:1"),)),
        owned_build_cache=("abc",), problems=("a warning",))
    return replace(made, **changes)


def test_the_report_as_json():
    data = report().to_json()
    assert list(data) == ["playbook", "run", "status", "engine", "client", "host", "store", "compose", "started",
                          "seconds", "claims",
                          "ties", "experiments", "cleanup", "owned_build_cache", "problems"]
    assert (data["playbook"], data["run"], data["status"]) == ("mini", "r1", "pass")
    assert (data["engine"], data["client"], data["host"]) == ("Docker Engine 20.10", "docker 20.10",
                                                              "unix:///var/run/docker.sock")
    assert data["claims"] == [{"id": "c1", "statement": "touch keeps COPY cached", "verdict": "confirmed",
                               "recorded": "confirmed", "agrees": True, "experiments": ["e1"],
                               "engine": "Docker Engine 20.10", "client": "docker 20.10", "store": "overlay2"}]
    assert data["ties"] == [{"kind": "fix", "id": "f1", "experiment": "e1", "behaves": True,
                             "meaning": "the fix resolves it"}]
    assert data["cleanup"] == {"removed": {"images": 2}, "left": (), "deleted": (("image", "sha256:1"),)}
    assert data["owned_build_cache"] == ["abc"] and data["problems"] == ["a warning"]
    assert json.loads(json.dumps(data))["cleanup"]["deleted"] == [["image", "sha256:1"]]


def test_each_experiment_in_the_json_carries_its_verdict_when_it_has_claims():
    with_claims, without = report().to_json()["experiments"]
    assert with_claims["verdict"] == "confirmed" and with_claims["claims"] == ["c1"]
    assert without["verdict"] is None and without["claims"] == []
    assert list(with_claims["assertions"]) == [{"index": 0, "describe": "assertion 0", "passed": True,
                                                "title": None, "shows": None}]
    assert with_claims["steps"][0]["saved_as"] == "first"
    assert with_claims["observations"] == {"first": {"image_id": "sha256:1"}}
    assert set(with_claims) == {"id", "title", "outcome", "seconds", "claims", "expect", "wrong_attempt", "fix",
                                "cause", "steps", "assertions", "observations", "error", "agrees", "verdict"}


def test_a_report_without_cleanup():
    assert report(cleanup=None).to_json()["cleanup"] is None
