"""Verdicts written back into the playbook's YAML with targeted text edits: comments and every
other claim's lines stay as they were; recording the same verification twice changes nothing."""

from __future__ import annotations

import pytest
from labkit import MINI, ROOT, runner, write_playbook

from runner.lab.record import record_verdicts
from runner.playbook.loader import load_file


@pytest.mark.engine
def test_record_writes_the_verdicts_then_the_lab_passes(engine, tmp_path):
    folder = tmp_path / "playbooks"
    path = write_playbook(folder, "# a comment that must stay\n" + MINI.format(touch="unverified",
                                                                               prune="unverified"), "mini")
    done = runner("--playbooks", str(folder), "lab", "mini", "--record")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "recorded 2 claim(s)" in done.stdout
    text = path.read_text()
    assert text.startswith("# a comment that must stay\n")
    playbook = load_file(path)
    assert {c.id: c.status.value for c in playbook.claims} == {"touch-keeps-cache": "confirmed",
                                                               "prune-keeps-mount": "refuted"}
    verified = playbook.claim("prune-keeps-mount").verified
    assert len(verified) == 1 and verified[0].by == "lab" and verified[0].engine.startswith("Docker Engine")
    again = runner("--playbooks", str(folder), "lab", "mini")
    assert again.returncode == 0, again.stdout
    assert "every verdict agrees" in again.stdout


def test_record_verdicts_edits_only_the_claims(tmp_path):
    from runner.lab.results import ClaimResult, Cleanup, LabReport, Versions

    source = (ROOT / "playbooks/buildkit-stale.yaml").read_text()
    path = tmp_path / "buildkit-stale.yaml"
    path.write_text(source)
    versions = Versions("Docker Engine 99.0", "docker 99.0 (buildx)", "/usr/bin/docker", "unix:///x.sock")
    claim = ClaimResult("df-shows-build-cache", "x", "refuted", "confirmed", (), versions.engine, versions.client)
    report = LabReport("buildkit-stale", "r1", "differs", versions, "now", 1.0, (), (claim,), (),
                       Cleanup({}, (), ()))
    import datetime as dt

    assert record_verdicts(path, report, dt.date(2030, 1, 2)) == ["df-shows-build-cache"]
    edited = path.read_text()
    playbook = load_file(path)
    recorded = playbook.claim("df-shows-build-cache")
    # Refuted on 20.10, confirmed on this one: the claim depends on the engine, and each entry
    # keeps its own verdict.
    before = load_file(ROOT / "playbooks/buildkit-stale.yaml").claim("df-shows-build-cache")
    assert "refuted" in [entry.verdict for entry in before.verified]
    assert recorded.status.value == "depends"
    assert [entry.verdict for entry in recorded.verified] == [entry.verdict for entry in before.verified] + ["confirmed"]
    assert recorded.verified[-1].engine == "Docker Engine 99.0" and recorded.verified[-1].on == dt.date(2030, 1, 2)
    assert len(recorded.verified) == len(load_file(ROOT / "playbooks/buildkit-stale.yaml")
                                         .claim("df-shows-build-cache").verified) + 1
    # Only that claim's lines changed: every other line, comments included, is the same.
    removed = set(source.splitlines()) - set(edited.splitlines())
    assert all("status:" in line for line in removed), removed
    # Recording the same verification again changes nothing.
    assert record_verdicts(path, report, dt.date(2030, 1, 2)) == []
    assert path.read_text() == edited


def test_a_verdict_per_engine_and_the_status_they_make(tmp_path):
    import datetime as dt

    from runner.lab.results import ClaimResult, Cleanup, LabReport, Versions

    path = write_playbook(tmp_path, MINI.format(touch="unverified", prune="unverified"), "mini")

    def record(engine: str, store: str, verdict: str) -> None:
        versions = Versions(engine, "docker x", "/usr/bin/docker", "unix:///x.sock", store)
        claim = ClaimResult("touch-keeps-cache", "x", "unverified", verdict, (), engine, "docker x", store)
        report = LabReport("mini", "r", "pass", versions, "now", 1.0, (), (claim,), (), Cleanup({}, (), ()))
        record_verdicts(path, report, dt.date(2030, 1, 2))

    def claim():
        return load_file(path).claim("touch-keeps-cache")

    record("Docker Engine 20.10", "overlay2", "confirmed")
    assert claim().status.value == "confirmed"
    record("Docker Engine 26.1", "overlay2", "confirmed")
    record("Docker Engine 26.1", "containerd", "refuted")  # the same engine, another image store
    assert claim().status.value == "depends"
    assert [(e.engine, e.store, e.verdict) for e in claim().verified] == [
        ("Docker Engine 20.10", "overlay2", "confirmed"), ("Docker Engine 26.1", "overlay2", "confirmed"),
        ("Docker Engine 26.1", "containerd", "refuted")]
    assert claim().verdict_on("Docker Engine 26.1", "docker x", "containerd") == "refuted"
    assert claim().verdict_on("Docker Engine 29.0", "docker x", "containerd") is None  # not recorded there
    record("Docker Engine 26.1", "containerd", "confirmed")  # a newer run replaces its engine's entry
    assert claim().status.value == "confirmed" and len(claim().verified) == 3
