"""`runner lab --clean-up`: what a killed lab left is removed, and nothing of a live run or of
anybody else."""

from __future__ import annotations

import json
import uuid

import pytest
from labkit import lab_objects, runner, start_slow_lab


@pytest.mark.engine
def test_clean_up_removes_what_a_killed_lab_left_and_nothing_else(engine, tmp_path):
    import docker
    from dockerlab import LABEL, SESSION, build_cache_ids

    from runner.lab.janitor import ledger_dir

    api = docker.from_env().api
    # A lab run of another machine (no ledger here), younger than --older-than: not ended.
    elsewhere = "e" + uuid.uuid4().hex[:7]
    stranger = api.create_volume(name=f"runner-test-{elsewhere}", labels={"runner.lab": elsewhere, LABEL: SESSION})
    process, run_id = start_slow_lab(tmp_path / "playbooks", "t" + uuid.uuid4().hex[:10], api)
    try:
        ledger = ledger_dir() / f"{run_id}.json"
        owned = set(json.loads(ledger.read_text())["owned"])
        assert owned  # the base image's records, at least
        process.kill()  # SIGKILL: the lab cannot clean up
        process.wait(timeout=30)
        assert lab_objects(run_id)
        done = runner("lab", "--clean-up", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        runs = {run["run"]: run for run in report["runs"]}
        assert runs[run_id]["why"] == "its process is gone"
        removed = runs[run_id]["removed"]
        assert removed["containers"] == 1 and removed["volumes"] == 1 and removed["images"] >= 2, removed
        assert removed["build_cache"] >= 1 and report["left"] == []
        assert lab_objects(run_id) == []
        assert not owned & build_cache_ids()
        assert not ledger.exists()
        assert elsewhere not in runs
        assert api.inspect_volume(stranger["Name"])["Labels"]["runner.lab"] == elsewhere
        again = runner("lab", "--clean-up")
        assert again.returncode == 0 and run_id not in again.stdout
    finally:
        if process.poll() is None:
            process.kill()
        api.remove_volume(stranger["Name"], force=True)
