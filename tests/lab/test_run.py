"""A whole lab run on the real engine: it decides the claims and leaves the engine as it found it
(images, containers, volumes, networks, build-cache records)."""

from __future__ import annotations

import pytest
from labkit import MINI, engine_state, lab_objects, write_playbook

from runner.lab.run import run_lab
from runner.playbook.loader import load_file


@pytest.mark.engine
def test_lab_leaves_the_engine_as_it_found_it(engine, tmp_path):
    path = write_playbook(tmp_path / "playbooks", MINI.format(touch="confirmed", prune="refuted"), "mini")
    playbook = load_file(path)
    before = engine_state()
    report = run_lab(playbook, path)
    after = engine_state()

    assert report.status == "pass", [report.problems] + [(e.id, e.outcome, e.error, [a.describe for a in e.assertions])
                                     for e in report.experiments]
    assert report.cleanup is not None and report.cleanup.left == ()
    assert lab_objects(report.run_id) == []
    deleted = {kind: {key for k, key in report.cleanup.deleted if k == kind}
               for kind in ("image", "container", "volume", "network", "build-cache")}
    # The lab created and removed things of every kind it promises to clean ...
    assert deleted["image"] and deleted["container"] and deleted["volume"] and deleted["build-cache"]
    # ... and removed nothing that was there before it started.
    assert not deleted["build-cache"] & before["build_cache"]
    assert not deleted["build-cache"] - set(report.owned_build_cache)
    assert not deleted["image"] & {i for i, _ in before["images"]}
    assert not deleted["container"] & before["containers"]
    assert not deleted["volume"] & before["volumes"]
    # Nothing it owned is left.
    assert not set(report.owned_build_cache) & after["build_cache"]
    # Compared whole: the engine is as it was. Another client working on the same engine
    # meanwhile (a developer's machine) shows up as changes to images, containers, volumes or
    # networks that carry no mark of the lab; then only the lab's own objects can be compared.
    others = {kind: after[kind] ^ before[kind] for kind in ("images", "containers", "volumes", "networks")}
    if any(others.values()):
        import warnings

        warnings.warn(f"another client changed the engine during the test: {others}", stacklevel=1)
        return
    for kind in before:
        assert after[kind] == before[kind], (
            f"{kind}: new {sorted(after[kind] - before[kind])[:5]}, gone {sorted(before[kind] - after[kind])[:5]}")
