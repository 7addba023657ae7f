"""Claims decided by a lab's experiments: a claim the lab refutes is told apart from the recorded
status, in the JSON report and in `runner lab`'s exit code."""

from __future__ import annotations

import json

import pytest
from labkit import MINI, runner, write_playbook


@pytest.mark.engine
def test_a_claim_the_lab_refutes_makes_runner_lab_exit_6_with_json(engine, tmp_path):
    folder = tmp_path / "playbooks"
    write_playbook(folder, MINI.format(touch="confirmed", prune="confirmed"), "mini")
    done = runner("--playbooks", str(folder), "lab", "mini", "--json")
    assert done.returncode == 6, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "differs" and report["recorded"] == {}
    (lab,) = report["labs"]
    assert lab["playbook"] == "mini" and lab["status"] == "differs"
    assert lab["engine"].startswith("Docker Engine ") and lab["client"].startswith("docker ")
    claims = {c["id"]: c for c in lab["claims"]}
    assert set(claims) == {"touch-keeps-cache", "prune-keeps-mount"}
    assert claims["touch-keeps-cache"] | {} == {**claims["touch-keeps-cache"], "verdict": "confirmed",
                                                "recorded": "confirmed", "agrees": True}
    assert (claims["prune-keeps-mount"]["verdict"], claims["prune-keeps-mount"]["agrees"]) == ("refuted", False)
    for claim in claims.values():
        assert set(claim) >= {"id", "statement", "verdict", "recorded", "agrees", "experiments", "engine", "client"}
        assert claim["engine"] == lab["engine"] and claim["client"] == lab["client"]
    experiments = {e["id"]: e for e in lab["experiments"]}
    assert experiments["prune-mount"]["verdict"] == "refuted"
    for experiment in experiments.values():
        assert experiment["outcome"] == "held" and experiment["seconds"] > 0
        assert all(set(s) >= {"phase", "action", "describe", "seconds", "ok"} for s in experiment["steps"])
        assert all(a["passed"] for a in experiment["assertions"])
    assert lab["cleanup"]["left"] == [] and lab["problems"] == []
    assert "mini" in done.stderr  # the progress lines go to stderr, the JSON alone to stdout


def test_a_skipped_experiment_decides_nothing_on_this_engine():
    from runner.lab.results import ExperimentResult, Versions
    from runner.lab.verdicts import agrees, decide
    from runner.playbook.model import Playbook

    playbook = Playbook.model_validate({
        "id": "p", "title": "t", "summary": "s", "symptoms": [{"text": "x"}],
        "claims": [{"id": "c1", "statement": "s", "status": "confirmed"}],
        "wrong_attempts": [{"id": "w1", "title": "t", "verdict": "fails", "why": ["y"]}]})
    versions = Versions("Docker Engine 26.1", "docker 26.1 (buildx 0.13.1)", "/d", "unix:///x")
    skipped = ExperimentResult("e1", "t", "skipped", 0.0, ("c1",), "confirmed", "w1", None, None, (), (), {},
                               "not for this engine: needs compose v1, this engine has v2")
    assert skipped.verdict() is None and skipped.holds_for("claims") is None
    assert agrees(playbook, skipped, versions) is None
    claims, ties = decide(playbook, [skipped], versions)
    assert claims[0].verdict is None and claims[0].agrees is None and ties == ()
