"""The background build of a diagnosis: read by exactly one thread, also when an interruption
discards it while its check starts reading it; whatever moment it is stopped at, the image it
made is removed, found by the label that marks it, and no other image ever is."""

from __future__ import annotations

import threading
import time

import pytest

from runner.engine.building import BUILD_LABEL, ORPHAN_AGE, Builds, BuildSpec, StartedBuild, sweep_orphans

pytestmark = pytest.mark.engine


def _api():
    import docker
    import dockerlab

    return docker.DockerClient(base_url=dockerlab.ENGINE.host, version="auto")


def _context(folder, content: str):
    import dockerlab

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_text(f"FROM {dockerlab.BASE_IMAGE}\nLABEL {dockerlab.LABEL}={dockerlab.SESSION}\n"
                                       f"RUN {content}\n")
    return folder


def _marked(api, build: StartedBuild) -> list[str]:
    return api.api.images(all=True, quiet=True, filters={"label": f"{BUILD_LABEL}={build.mark}"})


def test_a_build_discarded_while_its_check_reads_it_is_read_once_and_leaves_nothing(engine, tmp_path):
    """The race seen in CI: SIGTERM unwound the diagnosis through discard() while the check's
    thread entered finish(); both read the build's pipe and one failed with EBADF (exit 70)."""
    import dockerlab

    api = _api()
    for attempt in range(4):
        context = _context(tmp_path / f"context{attempt}", f"echo {tmp_path.name}-{attempt} && sleep 30")
        build = StartedBuild(BuildSpec.of(context, "Dockerfile", None, dockerlab.ENGINE.host))
        together = threading.Barrier(2)
        results: dict[str, object] = {}

        def run(name: str, call) -> None:
            together.wait()
            try:
                results[name] = call()
            except BaseException as exc:  # noqa: BLE001 - what the test reports
                results[name] = exc

        threads = [threading.Thread(target=run, args=("finish", lambda: build.finish(timeout=60))),
                   threading.Thread(target=run, args=("discard", build.discard))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert not isinstance(results["discard"], BaseException), results["discard"]
        finished = results["finish"]
        assert isinstance(finished, dict) and finished["failed"], finished  # stopped, never an image
        assert build.process.returncode is not None
        assert _marked(api, build) == []


def test_a_build_stopped_at_any_moment_leaves_no_image_and_removes_none_it_did_not_make(engine, tmp_path):
    """Seen in a test of interruptions: the CLI stopped just as the daemon finished the image,
    so it never named it, and the image stayed. Stopped from its start to after its end, a build
    leaves nothing; the untagged image somebody built of the same sources before stays."""
    import dockerlab

    api = _api()
    context = _context(tmp_path / "app", f"echo {tmp_path.name} > /n && sleep 0.3")
    theirs = dockerlab.run([dockerlab.DOCKER, "build", "-q", str(context)]).stdout.strip().splitlines()[-1]
    try:
        _stop_at_every_moment(api, BuildSpec.of(context, "Dockerfile", None, dockerlab.ENGINE.host), theirs)
        assert api.images.get(theirs).id == theirs
    finally:
        api.images.remove(theirs)


def _stop_at_every_moment(api, spec: BuildSpec, theirs: str) -> None:
    began = time.monotonic()
    whole = StartedBuild(spec, engine=api)
    done = whole.finish(timeout=120)
    span = time.monotonic() - began
    assert not done["failed"] and done["image_id"] != theirs, done  # its own image, by its label
    assert whole.made(api.images.get(done["image_id"]).attrs)
    api.images.remove(done["image_id"])
    moments = 8
    for step in range(moments + 1):
        with Builds() as builds:
            build = builds.start(None, spec)
            time.sleep(span * 1.2 * step / moments)
        assert build.process.returncode is not None, step
        assert _marked(api, build) == [], f"stopped after {span * 1.2 * step / moments:.2f} s of {span:.2f}"


def test_a_build_asked_for_after_its_diagnosis_ended_never_runs(engine, tmp_path):
    import dockerlab

    builds = Builds()
    builds.close()
    context = _context(tmp_path, f"echo {tmp_path.name}")
    with pytest.raises(Exception, match="the diagnosis ended"):
        builds.start(None, BuildSpec.of(context, "Dockerfile", None, dockerlab.ENGINE.host))


def test_the_sweep_removes_only_old_untagged_images_of_diagnoses_builds(engine, tmp_path):
    """An image a daemon finished after its stopped build was looked for: removed once older
    than any build runs (by the time in its label, not its Created, which a cache keeps)."""
    import dockerlab

    api = _api()
    now = time.time()
    old = f"{int(now) - ORPHAN_AGE - 60}-{tmp_path.name}"

    def built(tag: str | None, mark: str, content: str) -> str:
        context = _context(tmp_path / content, f"echo {content} > /n")
        argv = [dockerlab.DOCKER, "build", "-q", "--label", f"{BUILD_LABEL}={mark}", *(["-t", tag] if tag else []),
                str(context)]
        return dockerlab.run(argv).stdout.strip().splitlines()[-1]

    orphan = built(None, old, "orphan")
    recent = built(None, f"{int(now)}-{tmp_path.name}", "recent")
    tag = f"runner-test-{dockerlab.SESSION}-kept:1"
    tagged = built(tag, old, "tagged")
    try:
        assert sweep_orphans(api, now) >= 1
        ids = set(api.api.images(all=True, quiet=True, filters={"label": BUILD_LABEL}))
        assert orphan not in ids and recent in ids and tagged in ids
    finally:
        for image in (tag, recent):
            api.images.remove(image)
