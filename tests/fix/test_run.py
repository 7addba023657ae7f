"""The whole run (runner/fix/run.py), through `runner fix` on fixkit.py's marker playbook: new
later causes fixed in rounds, and the verdicts `unchanged` and `worse`."""

from __future__ import annotations

import pytest
from fixkit import invoke, markers_folder, reports, touch_all

from runner import exitcodes


@pytest.fixture
def work(tmp_path, monkeypatch):
    return markers_folder(tmp_path, monkeypatch)


def test_new_later_causes_are_fixed_in_rounds_up_to_three(work, monkeypatch):
    result = invoke(work, "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM, result.output
    report = reports(work)[0]
    assert [r["plan"]["fix"] for r in report["rounds"]] == ["make-a", "make-b", "make-c"]
    assert report["verdict"] == "partial" and report["state"] == "still wrong: no-d"
    assert "plan (round 2): make-b" in result.output and "cause now: no-b" in result.output
    assert not (work / "d").exists()
    result = invoke(work, "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK and "verdict: resolved" in result.output


def test_same_cause_after_the_fix_is_unchanged(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--fix", "noop", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM
    assert reports(work)[0]["verdict"] == "unchanged"
    assert len(reports(work)[0]["rounds"]) == 1, "the same cause is not fixed twice"


def test_an_earlier_cause_after_the_fix_is_worse(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--fix", "breaks", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM
    report = reports(work)[0]
    assert report["verdict"] == "worse"
    assert (report["before"]["cause"]["id"], report["after"]["cause"]["id"]) == ("no-a", "is-broken")
