"""The `volume-shadowing` check on the real engine: mounts sorted by kind, other containers on
the same volume named, a missing container an error. Its playbook's cases are in
tests/playbooks/test_volume_shadows_image.py."""

from __future__ import annotations

import dockerlab
import pytest

from runner.checks.kinds import VolumeShadowingArgs
from runner.checks.result import CheckContext
from runner.checks.volumes import volume_shadowing

app = dockerlab.app_fixture(dockerlab.VolumeShadowsApp)


@pytest.mark.engine
def test_check_sorts_mounts_by_kind(app):
    app.build()
    volume = app.volume("files")
    app.run("fill", f"{volume}:/app")  # fills the volume from v1
    app.version("v2")
    app.build()
    app.replace("fill", f"{volume}:/app")
    result = volume_shadowing(VolumeShadowingArgs(container=f"{app.name}-fill"), CheckContext())
    # without an image, the container's own reference (the rebuilt tag) is compared
    assert result.status == "fail" and result.evidence["image"] == app.image
    assert [m["name"] for m in result.evidence["named"]] == [volume]
    assert result.evidence["anonymous"] == [] and result.evidence["binds"] == []
    # another container on the same volume is named: refilling it would take it from both
    app.run("reader", f"{volume}:/app")
    result = volume_shadowing(VolumeShadowingArgs(container=f"{app.name}-fill"), CheckContext())
    assert result.evidence["named"][0]["other_users"] == [f"{app.name}-reader"]
    missing = volume_shadowing(VolumeShadowingArgs(container=f"{app.name}-absent"), CheckContext())
    assert missing.status == "error" and "no container" in missing.summary
