"""The `container-image` check on the real engine: a missing container or image is an error,
the container's own reference is the tag by default, a tag moved back to an older image is
named. Its playbook's cases are in tests/playbooks/test_stale_container.py."""

from __future__ import annotations

import time

import dockerlab
import pytest

from runner.checks.container_image import container_image
from runner.checks.kinds import ContainerImageArgs
from runner.checks.result import CheckContext

app = dockerlab.app_fixture(dockerlab.StaleContainerApp)


@pytest.mark.engine
def test_check_reports_missing_container_and_image_as_errors(app):
    result = container_image(ContainerImageArgs(container=f"{app.name}-absent"), CheckContext())
    assert result.status == "error" and "no container" in result.summary
    app.build()
    app.run()
    result = container_image(ContainerImageArgs(container=app.container, image=f"{app.name}-absent:1"),
                             CheckContext())
    assert result.status == "error" and "no image" in result.summary
    # without an image the container's own reference is the tag
    result = container_image(ContainerImageArgs(container=app.container), CheckContext())
    assert result.status == "pass" and result.evidence["tag"] == app.image


@pytest.mark.engine
def test_check_says_when_the_tag_was_moved_back_to_an_older_image(app):
    app.build()
    older = dockerlab.docker("image", "inspect", "-f", "{{.Id}}", app.image).stdout.strip()
    # A release tag keeps the older image: the containerd image store drops an image from its
    # list once a build moves its only tag (the overlay2 store keeps it, untagged).
    released = f"{app.name}-release:1"
    dockerlab.docker("tag", older, released)
    time.sleep(1.1)  # image times have second resolution in places: keep them apart
    app.version(f"v2 {app.name}")  # sources no build has seen: a cached build would keep its first time
    app.build()
    app.run()
    dockerlab.docker("tag", released, app.image)  # the tag goes back to the older image (a rollback)
    assert dockerlab.docker("image", "inspect", "-f", "{{.Id}}", app.image).stdout.strip() == older
    result = container_image(ContainerImageArgs(container=app.container, image=app.image), CheckContext())
    assert result.status == "fail" and result.evidence["behind_tag"] is True
    assert result.evidence["running_newer_than_tag"] is True
    assert "which is older: recreating it runs the older image" in result.summary


@pytest.mark.engine
def test_a_cached_rebuild_of_sources_built_before_is_placed_when_it_happened(app):
    """A rebuild of sources the engine built before is all cached and keeps the first build's
    `Created`: the container, started after that first build but before the rebuild, was not
    restarted after the rebuild; it was created before it."""
    app.build()  # B, first built long before the rebuild that brings it back
    released = f"{app.name}-release:1"
    dockerlab.docker("tag", app.image, released)  # keeps B listed on the containerd image store too
    time.sleep(1.1)
    app.version(f"v2 {app.name}")
    app.build()  # A
    app.run()
    dockerlab.docker("restart", "-t", "0", app.container)
    time.sleep(1.1)
    app.version(f"v1 {app.name}")  # back to B's sources: the build is all cached
    app.build()
    result = container_image(ContainerImageArgs(container=app.container, image=app.image), CheckContext())
    assert result.status == "fail" and result.evidence["behind_tag"] is True
    assert result.evidence["started_after_build"] is False, result.evidence
    assert result.evidence["created_before_build"] is True, result.evidence


@pytest.mark.engine
def test_a_container_that_was_never_started_is_no_all_clear(app):
    app.build()
    dockerlab.docker("create", "--name", app.container, "--label", f"{dockerlab.LABEL}={dockerlab.SESSION}", app.image)
    result = container_image(ContainerImageArgs(container=app.container), CheckContext())
    assert result.status == "fail" and "never started" in result.summary, result.summary
    assert result.evidence["never_started"] is True and result.evidence["runs_tag_image"] is True
    code, report = dockerlab.diagnose("stale-container", f"container={app.container}", f"image={app.image}")
    assert (code, report["status"], report["cause"]) == (1, "problem", None), report
    assert report["unexplained"][0].startswith("running: ")
