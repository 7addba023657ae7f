"""`runner diagnose buildkit-stale` against a real Docker Engine: each cause built for real."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import dockerlab
import pytest
from dockerlab import AUTH_V2, docker

pytestmark = pytest.mark.engine

ROOT = dockerlab.Path(__file__).resolve().parents[2]


def diagnose(project: dockerlab.Project, *extra: str, container: bool = True) -> tuple[int, dict]:
    argv = [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
            "--json", "--param", f"image={project.image}", "--param", f"context={project.root}", *extra]
    if container:
        argv += ["--param", f"container={project.container}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=project.root)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def checks(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["checks"]}


def commit_the_redirect_fix(project: dockerlab.Project) -> None:
    """The seed's change: a source the builder stage compiles, committed (a pull brings the same)."""
    project.write("server/routes/authRoutes.ts", AUTH_V2)
    project.commit("fix redirect")


def assert_not_rebuilt_after(code: int, report: dict, path: str) -> None:
    assert code == 1 and report["cause"]["id"] == "image-not-rebuilt", report
    assert path in report["cause"]["evidence"]["source"]["relevant_changes"]


def test_healthy_deploy_is_ok(project):
    project.build()
    project.run_container()
    code, report = diagnose(project)
    assert report["status"] == "ok", report
    assert report["cause"] is None and code == 0
    build = checks(report)["source"]["evidence"]["build"]
    assert build["same_as_image"] is True and build["all_cached"] is True
    assert "built the context" in checks(report)["source"]["summary"]
    # The all-CACHED build of the same sources: the same layers, and another ID (the label that
    # marks the build's image as the diagnosis's; on the containerd image store also buildx's
    # provenance attestation, which holds the build's times). The check compares the layers.
    assert build["image_id"] != project.image_id() and build["same_layers"] is True
    assert build["created_new_image"] is True and build["removed"] is True


def test_change_to_a_file_no_copy_includes_is_not_a_cause(project):
    project.build()
    project.run_container()
    project.wait_a_second()
    project.write("README.md", "# app\n\nnew docs\n")
    project.commit("docs only")
    code, report = diagnose(project)
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report


def test_fresh_clone_newer_than_image_is_not_a_false_alarm(project, tmp_path):
    project.build()
    project.run_container()
    project.wait_a_second()
    clone = tmp_path / "clone"
    dockerlab.run(["git", "clone", "-q", str(project.root), str(clone)])
    fresh = dockerlab.Project(clone, project.image, project.container)
    code, report = diagnose(fresh)
    assert (code, report["status"]) == (0, "ok"), report


def test_container_not_recreated(project):
    project.build()
    project.run_container()
    old = project.container_image()
    commit_the_redirect_fix(project)
    project.build()
    docker("restart", "-t", "0", project.container)  # the wrong attempt: restart keeps the image
    code, report = diagnose(project)
    assert code == 1 and report["cause"]["id"] == "container-not-recreated", report
    evidence = report["cause"]["evidence"]
    assert evidence["container"]["image_id"] == old
    assert evidence["image"]["id"] == project.image_id() != old
    assert report["fix"] == "recreate-container"


def test_image_not_rebuilt(project):
    project.build()
    project.run_container()
    commit_the_redirect_fix(project)  # pulled, but nobody rebuilt
    code, report = diagnose(project)
    assert code == 1 and report["cause"]["id"] == "image-not-rebuilt", report
    build = report["cause"]["evidence"]["source"]["build"]
    assert build["same_as_image"] is False and build["removed"] is True
    left = docker("image", "inspect", build["image_id"], check=False)
    assert left.returncode != 0, "diagnose left the image it built behind"
    assert project.image_id() != build["image_id"], "diagnose must not retag"


def test_change_excluded_by_dockerignore(project):
    project.deploy_then_change_an_excluded_file("**/*.local.ts", "server/routes/settings.local.ts",
                                                "export const url = 'old';\n", "export const url = 'new';\n")
    log = project.build()
    assert "CACHED" in log
    code, report = diagnose(project)
    assert code == 1 and report["cause"]["id"] == "change-excluded-by-dockerignore", report
    excluded = report["cause"]["evidence"]["source"]["excluded_changes"]
    assert excluded == [{"path": "server/routes/settings.local.ts", "pattern": "**/*.local.ts"}]


def test_mount_shadows_image(project):
    project.build()
    volume = project.volume()
    project.run_container("-v", f"{volume}:/app/public")  # the empty volume is filled from v1
    project.write("public/index.html", "<h1>version BBBB, longer</h1>\n")
    project.commit("new page")
    project.build()
    project.run_container("-v", f"{volume}:/app/public")  # recreated, but the volume keeps v1
    assert project.container_image() == project.image_id()
    code, report = diagnose(project)
    assert code == 1 and report["cause"]["id"] == "mount-shadows-image", report
    shadowing = report["cause"]["evidence"]["mounts"]["shadowing"]
    assert shadowing[0]["name"] == volume and "/app/public/index.html" in shadowing[0]["differing"]


def test_git_not_updated(project, tmp_path):
    remote, deployed = project.deployed_from_a_clone(tmp_path)
    # Someone pushes the fix; the server fetched it but the merge never happened.
    commit_the_redirect_fix(project)
    dockerlab.run(["git", "push", "-q", str(remote), "HEAD:main"], cwd=project.root)
    dockerlab.run(["git", "fetch", "-q"], cwd=deployed.root)
    code, report = diagnose(deployed)
    assert code == 1 and report["cause"]["id"] == "git-not-updated", report
    assert report["cause"]["evidence"]["git"]["behind"] == 1


def test_stale_context_transfer(project):
    project.build()
    project.run_container()
    page = project.root / "public/index.html"
    stat = page.stat()
    page.write_text("<h1>version BBBB</h1>\n")  # same size
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime; mode unchanged
    code, report = diagnose(project)
    assert code == 1 and report["cause"]["id"] == "stale-context-transfer", report
    stale = report["cause"]["evidence"]["source"]["stale_files"]
    assert stale[0]["path"] == "public/index.html" and stale[0]["same_size"] is True


def untagged_images() -> set[str]:
    return set(docker("images", "-a", "-q", "--no-trunc", "--filter", "dangling=true").stdout.split())


def builds_running(project: dockerlab.Project) -> list[str]:
    """The docker CLI builds of this project's context still running (a build diagnose started)."""
    found = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout.splitlines()
    return [line for line in found if "--iidfile" in line and str(project.root) in line]


def test_missing_image_is_exit_2_with_one_line(project):
    """Also: the build diagnose starts ahead of the checks, for an image that turns out not to
    exist, is stopped or its image removed: nothing is left behind."""
    before = untagged_images()
    done = subprocess.run(
        [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
         "--param", "image=runner-test-absent:nope", "--param", f"context={project.root}"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "no image 'runner-test-absent:nope'" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert untagged_images() - before == set() and builds_running(project) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_diagnosis_interrupted_while_it_builds_stops_the_build_and_leaves_nothing(project, signum):
    project.build()
    project.run_container()
    project.write("server/routes/authRoutes.ts", AUTH_V2)  # not all cached: the build takes a while
    before = untagged_images()
    process = subprocess.Popen(
        [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
         "--json", "--param", f"image={project.image}", "--param", f"context={project.root}",
         "--param", f"container={project.container}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=project.root)
    deadline = time.monotonic() + 60
    while not builds_running(project) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the diagnosis ended before its build could be seen"
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    assert "interrupted" in err and "Traceback" not in err
    assert builds_running(project) == []
    assert untagged_images() - before == set()


@pytest.mark.parametrize("resident", ["0", "1"], ids=["own-process", "resident"])
def test_a_diagnosis_interrupted_at_any_moment_leaves_no_build_running_and_nothing_made(project, resident):
    """Ctrl-C or SIGTERM from the first milliseconds to the last: before a build starts, while
    one starts (seen in CI: a build a worker thread started while the interruption unwound the
    main thread ran on after exit 130), while it runs, while its check reads it. The same
    command each time, so from the second run on the build also starts early."""
    project.build()
    project.run_container()
    project.write("server/routes/authRoutes.ts", AUTH_V2)  # not all cached: the build takes a while
    before = untagged_images()
    argv = [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
            "--json", "--param", f"image={project.image}", "--param", f"context={project.root}",
            "--param", f"container={project.container}"]
    env = {**os.environ, "RUNNER_RESIDENT": resident}
    began = time.monotonic()
    whole = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=project.root, env=env)
    span = time.monotonic() - began
    assert whole.returncode == 1, whole.stdout + whole.stderr  # the image is behind the sources
    moments = 10
    for step in range(moments):
        signum = (signal.SIGINT, signal.SIGTERM)[step % 2]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   cwd=project.root, env=env)
        time.sleep(span * step / moments)
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
        when = f"{signum.name} after {span * step / moments:.2f} s of {span:.2f}: exit {process.returncode}"
        # 130: interrupted; 1: it had named the cause; ended by the signal: it came before the
        # runner started (Python's start) or after the diagnosis (the output), when nothing runs.
        assert process.returncode in (130, 1, -signum), f"{when}\n{out}{err}"
        if process.returncode == 130:
            assert "interrupted" in err and "Traceback" not in err, f"{when}\n{err}"
        assert builds_running(project) == [], when
        assert untagged_images() - before == set(), when + err


def test_two_diagnoses_at_once_each_name_the_cause_and_remove_only_their_own_image(project):
    """A second run at once (a teammate, a CI job): each build's image is its own, by its label,
    so neither removes the other's before it is compared, and nothing is left."""
    project.build()
    project.run_container()
    commit_the_redirect_fix(project)
    before = untagged_images()
    argv = [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
            "--json", "--param", f"image={project.image}", "--param", f"context={project.root}",
            "--param", f"container={project.container}"]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=project.root)
            for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=300)
        report = json.loads(out)
        assert_not_rebuilt_after(run.returncode, report, "server/routes/authRoutes.ts")
        assert checks(report)["source"]["evidence"]["build"]["same_as_image"] is False, err
    assert builds_running(project) == []
    assert untagged_images() - before == set()


def test_text_output_names_cause_evidence_and_fix(project):
    project.build()
    project.run_container()
    commit_the_redirect_fix(project)
    project.build()
    done = subprocess.run(
        [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
         "--lang", "en", "--param", f"image={project.image}", "--param", f"context={project.root}",
         "--param", f"container={project.container}"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"^[✓!] engine ", out, re.M) and "✗ source" not in out
    assert "cause: container-not-recreated" in out
    assert "evidence:" in out and "runner fix buildkit-stale" in out


def test_a_context_that_is_not_a_git_checkout_is_diagnosed_too(project, tmp_path):
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(project.root, plain, ignore=shutil.ignore_patterns(".git"))
    unpacked = dockerlab.Project(plain, project.image, project.container)
    unpacked.build()
    unpacked.run_container()
    code, report = diagnose(unpacked)
    assert (code, report["status"]) == (0, "ok"), report
    assert checks(report)["git"]["status"] == "skip"


def test_an_image_built_with_an_extra_label_still_holds_the_current_sources(project):
    dockerlab.docker("build", "-q", "--label", "org.opencontainers.image.revision=abc", "-t", project.image,
                     str(project.root))
    project.run_container()
    code, report = diagnose(project)
    assert (code, report["status"]) == (0, "ok"), report
    build = checks(report)["source"]["evidence"]["build"]
    assert build["image_id"] != project.image_id() and build["same_layers"] is True


def test_a_cold_build_cache_is_not_mistaken_for_stale_sources(project):
    before = dockerlab.build_cache_ids()
    project.wait_a_second()  # commit and image times have one-second resolution
    project.build()
    project.run_container()
    # The project's own cache goes (as after a prune or BuildKit's GC): steps re-run and
    # write files with new times, so the same sources now build a different image ID.
    dockerlab.prune_records(dockerlab.build_cache_ids() - before)
    code, report = diagnose(project)
    source = checks(report)["source"]
    assert (code, report["status"]) == (0, "ok"), report
    assert source["status"] == "warn" and source["evidence"]["cold_cache"] is True
    assert source["evidence"]["relevant_changes"] == []


def test_a_change_after_a_cold_cache_is_still_image_not_rebuilt(project):
    before = dockerlab.build_cache_ids()
    project.build()
    project.run_container()
    dockerlab.prune_records(dockerlab.build_cache_ids() - before)
    project.wait_a_second()
    commit_the_redirect_fix(project)
    code, report = diagnose(project)
    assert_not_rebuilt_after(code, report, "server/routes/authRoutes.ts")


def legacy_build(project: dockerlab.Project) -> None:
    """What Compose v1 (docker-compose 1.x) does by default: a build by the legacy builder,
    whose image IDs never equal BuildKit's for the same inputs. A second passes first: for
    such an image the check goes by the commits since it, and a commit in the image's own
    second counts as one after it."""
    project.wait_a_second()
    docker("build", "-q", "-t", project.image, str(project.root), env={"DOCKER_BUILDKIT": "0"})


def test_a_legacy_builder_image_of_the_current_sources_is_ok(project):
    legacy_build(project)
    project.run_container()
    docker("build", "-q", str(project.root))  # BuildKit has this context in its cache: its build is all cached
    code, report = diagnose(project)
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report
    source = checks(report)["source"]
    assert source["evidence"]["image_builder"] == "legacy" and source["evidence"]["build"]["ran"] is False
    assert "legacy builder" in source["summary"]


def test_a_legacy_builder_image_older_than_a_change_is_image_not_rebuilt(project):
    legacy_build(project)
    project.run_container()
    project.wait_a_second()
    commit_the_redirect_fix(project)
    code, report = diagnose(project)
    assert_not_rebuilt_after(code, report, "server/routes/authRoutes.ts")


def test_a_legacy_builder_image_with_other_bytes_than_a_plain_context_is_image_not_rebuilt(project, tmp_path):
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(project.root, plain, ignore=shutil.ignore_patterns(".git"))
    unpacked = dockerlab.Project(plain, project.image, project.container)
    legacy_build(unpacked)
    unpacked.run_container()
    unpacked.write("public/index.html", "<h1>version BBBB</h1>\n")
    code, report = diagnose(unpacked)
    assert code == 1 and report["cause"]["id"] == "image-not-rebuilt", report
    mismatched = report["cause"]["evidence"]["source"]["verbatim_mismatched"]
    assert [m["path"] for m in mismatched] == ["public/index.html"]


def test_a_legacy_builder_image_and_a_change_dockerignore_excludes(project):
    project.deploy_then_change_an_excluded_file("**/*.local.ts", "server/routes/settings.local.ts",
                                                "export const url = 'old';\n", "export const url = 'new';\n",
                                                build=lambda: legacy_build(project))
    legacy_build(project)
    code, report = diagnose(project)
    assert code == 1 and report["cause"]["id"] == "change-excluded-by-dockerignore", report
    assert report["cause"]["evidence"]["source"]["not_rebuilt"] is False


def test_a_context_that_does_not_build_is_never_ok(project):
    """The source check cannot say what the context builds now: a failed check no cause of the
    playbook explains is a problem, named as unexplained, never 'every check passed'."""
    project.build()
    project.run_container()
    dockerfile = (project.root / "Dockerfile").read_text()
    project.write("Dockerfile", dockerfile.replace("COPY public ./public", "COPY public ./public\nCOPY missing.txt ./"))
    code, report = diagnose(project)
    assert checks(report)["source"]["status"] == "fail", report
    assert "does not build now" in checks(report)["source"]["summary"]
    assert (code, report["status"]) == (1, "problem"), report
    if report["cause"] is None:
        assert report["unexplained"] and report["unexplained"][0].startswith("source: the context does not build")
    done = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose",
                           "buildkit-stale", "--param", f"image={project.image}", "--param", f"context={project.root}",
                           "--param", f"container={project.container}"], capture_output=True, text=True,
                          timeout=300, cwd=project.root)
    assert done.returncode == 1 and "Every check passed" not in done.stdout, done.stdout


def test_a_repeated_diagnosis_starts_its_build_before_loading_the_playbook_and_leaves_nothing(project, tmp_path):
    """runner/diagnose/early.py: the second run of the same command starts the build the first
    one asked for, first; the check adopts it (one build, not two); an edited playbook, or other
    params, start nothing early; and a build started early that no check adopts is removed."""
    from runner.engine.building import BuildSpec
    from runner.engine.endpoints import resolve_endpoint

    project.build()
    project.run_container()
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    book = playbooks / "buildkit-stale.yaml"
    book.write_text((ROOT / "playbooks" / "buildkit-stale.yaml").read_text())
    state = tmp_path / "state"
    env = {**os.environ, "XDG_STATE_HOME": str(state)}

    def run(*extra: str) -> dict:
        argv = [sys.executable, "-m", "runner", "--playbooks", str(playbooks), "diagnose", "buildkit-stale", "--json",
                "--param", f"image={project.image}", "--param", f"context={project.root}",
                "--param", f"container={project.container}", *extra]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=project.root, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)

    def early_starts() -> int:
        from runner.diagnose import early

        os.environ["XDG_STATE_HOME"] = str(state)
        try:
            from runner.engine.building import Builds

            with Builds() as builds:  # nobody adopts it here: it is stopped, its image removed
                return early.start_remembered(playbooks, "buildkit-stale", given, None, project.root, builds)
        finally:
            del os.environ["XDG_STATE_HOME"]

    given = {"image": project.image, "context": str(project.root), "container": project.container}
    assert checks(run())["source"]["evidence"]["build"]["same_as_image"] is True
    [record] = (state / "runner" / "cache" / "early-builds").iterdir()
    spec = BuildSpec.of(project.root, "Dockerfile", None, resolve_endpoint().host)
    assert json.loads(record.read_text())["builds"] == [spec.__dict__]
    before = untagged_images()
    second = run()
    assert second["status"] == "ok" and checks(second)["source"]["evidence"]["build"]["same_as_image"] is True
    assert untagged_images() - before == set() and builds_running(project) == []
    old = os.getcwd()
    os.chdir(project.root)
    try:
        assert early_starts() == 1
        assert untagged_images() - before == set() and builds_running(project) == []
        book.write_text(book.read_text() + "\n# edited\n")
        assert early_starts() == 0, "an edited playbook starts nothing early"
        given["container"] = "another"
        assert early_starts() == 0, "other params start nothing early"
    finally:
        os.chdir(old)


def test_two_diagnoses_of_one_command_at_once_both_say_ok_and_leave_nothing(project):
    """A second run at once (a deploy script and a person, say): both start the same remembered
    build early; neither removes what the other reads, and nothing is left behind."""
    project.build()
    project.run_container()
    diagnose(project)  # remembers the build: the next two start it early
    before = untagged_images()
    argv = [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
            "--json", "--param", f"image={project.image}", "--param", f"context={project.root}",
            "--param", f"container={project.container}"]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=project.root)
            for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, out + err
        assert json.loads(out)["status"] == "ok"
    assert untagged_images() - before == set() and builds_running(project) == []
