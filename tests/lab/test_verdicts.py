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
