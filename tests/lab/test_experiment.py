"""One experiment: a step that fails ends it with an error, and what it created is removed."""

from __future__ import annotations

import json

import pytest
from labkit import container_lab, lab_objects, runner, write_playbook

FAILING_STEP = container_lab("broken", "A lab whose step fails", "Cleanup after a failure.", "fails-midway",
                             "a step fails after creating things", ['run: [sh, -c, "exit 3"]', "sleep: 1"])


@pytest.mark.engine
def test_a_failing_step_still_cleans_up(engine, tmp_path):
    folder = tmp_path / "playbooks"
    write_playbook(folder, FAILING_STEP, "broken")
    done = runner("--playbooks", str(folder), "lab", "broken", "--json")
    assert done.returncode == 2, done.stdout + done.stderr
    (lab,) = json.loads(done.stdout)["labs"]
    (experiment,) = lab["experiments"]
    assert experiment["outcome"] == "error" and "exited 3 (expected 0)" in experiment["error"]
    assert lab["claims"][0]["verdict"] == "error"
    kinds = {kind for kind, _ in lab["cleanup"]["deleted"]}
    assert {"image", "container", "volume"} <= kinds
    assert lab_objects(lab["run"]) == []
