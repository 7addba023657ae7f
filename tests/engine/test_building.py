"""The background build of a diagnosis: read by exactly one thread, also when an interruption
discards it while its check starts reading it."""

from __future__ import annotations

import threading

import pytest

from runner.engine.building import BuildSpec, StartedBuild, untagged_image_ids


@pytest.mark.engine
def test_a_build_discarded_while_its_check_reads_it_is_read_once_and_leaves_nothing(engine, tmp_path):
    """The race seen in CI: SIGTERM unwound the diagnosis through discard() while the check's
    thread entered finish(); both read the build's pipe and one failed with EBADF (exit 70)."""
    import docker
    import dockerlab

    api = docker.DockerClient(base_url=dockerlab.ENGINE.host, version="auto")
    for attempt in range(4):
        context = tmp_path / f"context{attempt}"
        context.mkdir()
        (context / "Dockerfile").write_text(
            f"FROM {dockerlab.BASE_IMAGE}\nRUN echo {tmp_path.name}-{attempt} && sleep 30\n"
            f"LABEL {dockerlab.LABEL}={dockerlab.SESSION}\n")
        untagged = untagged_image_ids(api)
        build = StartedBuild(BuildSpec.of(context, "Dockerfile", None, dockerlab.ENGINE.host), untagged)
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
        assert untagged_image_ids(api) <= untagged


@pytest.mark.engine
def test_a_build_lists_the_untagged_images_by_its_own_client_as_the_sdk_does(engine, tmp_path):
    """A build started before the docker SDK is imported lists the engine's untagged images by
    the docker CLI that builds: the same set, or it would remove an image it did not make (or
    leave one it made)."""
    import docker
    import dockerlab

    api = docker.DockerClient(base_url=dockerlab.ENGINE.host, version="auto")
    (tmp_path / "Dockerfile").write_text(f"FROM {dockerlab.BASE_IMAGE}\nLABEL {dockerlab.LABEL}={dockerlab.SESSION}\n"
                                         f"RUN echo {tmp_path.name} > /n\n")
    dockerlab.run([dockerlab.DOCKER, "build", "-q", str(tmp_path)])  # no tag: an untagged image
    build = StartedBuild(BuildSpec.of(tmp_path, "Dockerfile", None, dockerlab.ENGINE.host))
    try:
        listed = untagged_image_ids(api)
        assert build.dangling_before == listed
        assert listed, "the build above left an untagged image"
    finally:
        build.discard()
