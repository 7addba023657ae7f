"""`runner fix buildkit-stale` against a real Docker Engine: each cause with an automatic fix
is built for real, fixed with --yes, then diagnosed `ok`, and the container serves the new
code. Dry runs and runs without consent change nothing on the engine.

These tests rely on BuildKit's cache staying put while they run. Another session pruning
"the records created since it started" on the same engine takes this one's records too;
a canary record tells a long session's prune apart (the test is skipped), a short one's
cannot always be: run such suites apart (CI runs alone)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dockerlab
import pytest
from dockerlab import AUTH_V2, LABEL, SESSION, docker

from runner.engine.clock import parse_time

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
COMPILED = "/app/dist/server/routes/authRoutes.js"


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    """Run reports go to the test's folder, never to the person's ~/.local/state."""
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


def runner(project: dockerlab.Project, command: str, *extra: str, timeout: float = 300,
           cwd: Path | None = None) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), command, "buildkit-stale",
            "--lang", "en", "--param", f"image={project.image}", "--param", f"context={project.root}",
            "--param", f"container={project.container}", *extra]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd or project.root,
                          stdin=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "300"})


def fix_json(project: dockerlab.Project, *extra: str, cwd: Path | None = None) -> tuple[int, dict]:
    done = runner(project, "fix", "--json", *extra, cwd=cwd)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def diagnosis(project: dockerlab.Project) -> dict:
    done = runner(project, "diagnose", "--json")
    return json.loads(done.stdout)


def causes_fixed(report: dict) -> list[str]:
    return [r["plan"]["cause"] for r in report["rounds"]]


_canary: set[str] = set()


@pytest.fixture(autouse=True)
def interference_canary(tmp_path):
    """Other test sessions on a shared engine prune "every record created since they
    started", this test's included: BuildKit then rebuilds what it had cached, and a cached
    build no longer yields the same image ID. A canary record made first tells that apart
    from a failure of the fix (see skip_if_interfered)."""
    _canary.clear()
    _canary.update(canary(tmp_path / "canary-records"))
    yield


def skip_if_interfered() -> None:
    if _canary - dockerlab.build_cache_ids():
        pytest.skip("another test session pruned this engine's build cache meanwhile")


def expect_cause(project: dockerlab.Project, cause: str) -> None:
    found = (diagnosis(project)["cause"] or {}).get("id")
    if found != cause:
        skip_if_interfered()
    assert found == cause, "precondition"


def assert_resolved(project: dockerlab.Project, code: int, report: dict) -> None:
    resolved = (code, report["outcome"], report["verdict"]) == (0, "applied", "resolved")
    now = diagnosis(project)["status"]
    if not resolved or now != "ok":
        skip_if_interfered()
    assert resolved, json.dumps(report, indent=1)
    assert report["after"]["status"] == "ok" and now == "ok"
    assert project.container_image() == project.image_id()


def engine_state() -> dict[str, object]:
    """What a fix could change: the session's images, containers (with their image and state)
    and volumes, and the engine's build-cache records. Scoped to this session's label: other
    people build on the same engine at the same time."""
    label = f"label={LABEL}={SESSION}"
    containers = docker("ps", "-aq", "--no-trunc", "--filter", label).stdout.split()
    running = docker("inspect", "-f", "{{.Id}} {{.Image}} {{.State.Status}}", *containers).stdout.split("\n") \
        if containers else []
    return {"images": sorted(docker("images", "-aq", "--no-trunc", "--filter", label).stdout.split()),
            "containers": sorted(line for line in running if line),
            "volumes": sorted(docker("volume", "ls", "-q", "--filter", label).stdout.split()),
            "build_cache": build_cache_created()}


def build_cache_created() -> dict[str, dt.datetime]:
    """Build-cache record ID -> when it was created."""
    return {r["ID"]: dt.datetime.fromtimestamp(parse_time(r["CreatedAt"]), dt.timezone.utc)
            for r in dockerlab.build_cache_records()}


def canary(tmp: Path) -> set[str]:
    """Build-cache records only this test knows, made now. Another test session ending on this
    engine prunes "every record created since it started": it takes these too, and then a
    record missing afterwards is its doing, not the fix's."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "Dockerfile").write_text(f"FROM scratch\nLABEL {LABEL}={SESSION}\nCOPY canary /canary\n")
    (tmp / "canary").write_text(os.urandom(16).hex())
    before = dockerlab.build_cache_ids()
    docker("build", "-q", str(tmp))
    # the COPY's result stays; the records of the context being sent come and go by themselves
    return {r["ID"] for r in dockerlab.build_cache_records()
            if r["Description"] == "fileop target" and r["ID"] not in before}


def assert_unchanged(before: dict, after: dict) -> None:
    assert {k: v for k, v in after.items() if k != "build_cache"} == \
        {k: v for k, v in before.items() if k != "build_cache"}
    # Every build makes short-lived records (the context it is sending) and anyone may be
    # building: only records that were already settled count.
    settled = max(before["build_cache"].values()) - dt.timedelta(seconds=30)
    gone = {r for r, created in before["build_cache"].items() if created < settled} - set(after["build_cache"])
    if gone:
        skip_if_interfered()
    assert gone == set(), "build-cache records were deleted"


def make_container_behind(project: dockerlab.Project, *run_args: str) -> None:
    project.build()
    project.run_fast_stopping(*run_args)
    project.write("server/routes/authRoutes.ts", AUTH_V2)
    project.commit("fix redirect")


# --- each cause, fixed for real ----------------------------------------------------------------


def test_container_not_recreated_keeps_its_configuration(project, request):
    network = project.network()
    volume = project.volume("data")
    make_container_behind(
        project, "-e", "APP_MODE=staging", "-e", "TOKEN_FILE=/run/token", "-p", "127.0.0.1::80",
        "--label", "team=web", "-v", f"{volume}:/data", "-v", "/anonymous", "--restart", "unless-stopped",
        "--network", network, "--network-alias", "web-alias", "--hostname", "apphost", "-w", "/app",
        "--user", "1000:1000")
    anonymous = docker("inspect", "-f", '{{range .Mounts}}{{if eq .Destination "/anonymous"}}{{.Name}}{{end}}{{end}}',
                       project.container).stdout.strip()
    assert anonymous

    def remove_the_anonymous_volume() -> None:
        # It carries no label, and the recreated container mounts it by name, so neither the
        # janitor's label filter nor `docker rm -v` would remove it.
        docker("rm", "-f", "-v", project.container, check=False)
        docker("volume", "rm", anonymous, check=False)

    request.addfinalizer(remove_the_anonymous_volume)
    docker("exec", "-u", "0", project.container, "sh", "-c", "echo kept > /anonymous/file")
    project.build()
    docker("restart", "-t", "0", project.container)  # the wrong attempt: restart keeps the image
    before = json.loads(docker("inspect", project.container).stdout)[0]
    expect_cause(project, "container-not-recreated")

    code, report = fix_json(project, "--yes")

    assert_resolved(project, code, report)
    assert causes_fixed(report) == ["container-not-recreated"]
    assert "'/login?error=no_token'" in project.read(COMPILED)
    after = json.loads(docker("inspect", project.container).stdout)[0]
    assert after["Id"] != before["Id"] and after["Name"] == before["Name"]
    assert after["State"]["Running"]
    for key in ("Env", "Labels", "Hostname", "WorkingDir", "User", "Cmd", "Entrypoint"):
        assert after["Config"][key] == before["Config"][key], key
    assert {"APP_MODE=staging", "TOKEN_FILE=/run/token"} <= set(after["Config"]["Env"])
    assert after["Config"]["Labels"] == {LABEL: SESSION, "team": "web"}
    for key in ("PortBindings", "RestartPolicy", "Binds", "NetworkMode"):
        assert after["HostConfig"][key] == before["HostConfig"][key] or key == "Binds", key
    mounts = lambda info: sorted((m["Type"], m.get("Name"), m["Destination"]) for m in info["Mounts"])  # noqa: E731
    assert mounts(after) == mounts(before)
    assert docker("exec", project.container, "cat", "/anonymous/file").stdout == "kept\n"
    assert list(after["NetworkSettings"]["Networks"]) == [network]
    assert "web-alias" in after["NetworkSettings"]["Networks"][network]["Aliases"]
    assert not docker("ps", "-aq", "--filter", f"name={project.container}-runner-").stdout.strip()
    step = report["rounds"][0]["steps"][0]
    assert step["status"] == "ok" and step["details"]["via"] == "engine-api"


def test_image_not_rebuilt_then_container(project):
    make_container_behind(project)
    code, report = fix_json(project, "--yes")
    assert_resolved(project, code, report)
    assert causes_fixed(report) == ["image-not-rebuilt", "container-not-recreated"]
    assert report["before"]["cause"]["id"] == "image-not-rebuilt"
    build = report["rounds"][0]["steps"][0]
    assert build["status"] == "ok" and build["exit_code"] == 0 and "naming to" in build["output"]
    assert "--no-cache" not in report["rounds"][0]["plan"]["steps"][0]["argv"]
    assert "'/login?error=no_token'" in project.read(COMPILED)


def test_stale_context_transfer_touches_only_the_stale_files(project):
    project.build()
    project.run_fast_stopping()
    page = project.root / "public/index.html"
    stat = page.stat()
    page.write_text("<h1>version BBBB</h1>\n")  # same size, same mtime: the context sync skips it
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    expect_cause(project, "stale-context-transfer")
    cache_before = build_cache_created()
    code, report = fix_json(project, "--yes")
    assert_resolved(project, code, report)
    assert causes_fixed(report) == ["stale-context-transfer", "container-not-recreated"]
    touch = report["rounds"][0]["steps"][0]
    assert touch["how"] == "action" and [t["path"] for t in touch["details"]["touched"]] == ["public/index.html"]
    assert project.read("/app/public/index.html") == "<h1>version BBBB</h1>\n"
    # Unlike `docker builder prune --filter type=source.local`, nobody's records were deleted.
    assert not any("prune" in step.get("argv", []) for r in report["rounds"] for step in r["plan"]["steps"])
    settled = max(cache_before.values()) - dt.timedelta(seconds=30)
    now = dockerlab.build_cache_ids()
    gone = {r for r, created in cache_before.items() if created < settled} - now
    if gone:
        skip_if_interfered()
    assert gone == set()


def test_git_not_updated_then_rebuild_then_recreate(project, tmp_path):
    remote, deployed = project.deployed_from_a_clone(tmp_path, fast_stopping=True)
    project.write("server/routes/authRoutes.ts", AUTH_V2)
    project.commit("fix redirect")
    dockerlab.run(["git", "push", "-q", str(remote), "HEAD:main"], cwd=project.root)
    dockerlab.run(["git", "fetch", "-q"], cwd=deployed.root)

    code, report = fix_json(deployed, "--yes")

    assert_resolved(deployed, code, report)
    assert causes_fixed(report) == ["git-not-updated", "image-not-rebuilt", "container-not-recreated"]
    assert "'/login?error=no_token'" in deployed.read(COMPILED)


def test_mount_shadows_image_refills_the_volume_only_with_consent(project):
    project.build()
    volume = project.volume()
    project.run_fast_stopping("-v", f"{volume}:/app/public")
    project.write("public/index.html", "<h1>version BBBB, longer</h1>\n")
    project.commit("new page")
    project.build()
    project.run_fast_stopping("-v", f"{volume}:/app/public")  # recreated, but the volume keeps v1
    done = runner(project, "fix", "--dry-run")
    assert done.returncode == 1
    assert "[destructive]" in done.stdout and f"volume {volume} at /app/public hides 1 file(s)" in done.stdout
    assert f"loses: every file in that volume, including data written at run time: every file in volume(s) " \
           f"{volume}" in " ".join(done.stdout.split())

    code, report = fix_json(project, "--yes")

    assert_resolved(project, code, report)
    assert causes_fixed(report) == ["mount-shadows-image"]
    assert project.read("/app/public/index.html") == "<h1>version BBBB, longer</h1>\n"
    labels = json.loads(docker("volume", "inspect", volume).stdout)[0]["Labels"]
    assert labels == {LABEL: SESSION}


def test_dockerignore_exclusion_is_shown_and_edited_only_when_asked(project):
    project.deploy_then_change_an_excluded_file("**/*.local.html", "public/banner.local.html", "<p>old</p>\n",
                                                "<p>new</p>\n", fast_stopping=True)

    done = runner(project, "fix", "--yes")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "public/banner.local.html is excluded by '**/*.local.html' (.dockerignore line 1)" in done.stdout
    assert "--fix edit-dockerignore" in done.stdout
    assert (project.root / ".dockerignore").read_text() == "**/*.local.html\n"

    code, report = fix_json(project, "--yes", "--fix", "edit-dockerignore")
    assert causes_fixed(report) == ["change-excluded-by-dockerignore", "container-not-recreated"]
    assert report["rounds"][0]["plan"]["fix"] == "edit-dockerignore"
    assert (project.root / ".dockerignore").read_text().endswith("\n!public/banner.local.html\n")
    assert_resolved(project, code, report)
    assert project.read("/app/public/banner.local.html") == "<p>new</p>\n"


# --- Compose ---------------------------------------------------------------------------------


def compose_cli() -> list[str] | None:
    if subprocess.run([dockerlab.DOCKER, "compose", "version"], capture_output=True).returncode == 0:
        return [dockerlab.DOCKER, "compose"]
    return [shutil.which("docker-compose")] if shutil.which("docker-compose") else None


@pytest.mark.skipif(compose_cli() is None, reason="no compose CLI (docker compose or docker-compose)")
@pytest.mark.parametrize("relative", [False, True], ids=["absolute-file", "relative-file-run-elsewhere"])
def test_compose_container_is_recreated_through_compose(project, tmp_path, relative):
    compose = compose_cli()
    project.build()
    name = f"rt{SESSION}{project.container[-6:]}"
    file = project.root / "compose.yaml"
    file.write_text(
        'version: "3.8"\nservices:\n  web:\n'
        f"    image: {project.image}\n"
        f"    command: {json.dumps(dockerlab.FAST_STOP)}\n"
        f"    labels: {{{LABEL}: '{SESSION}'}}\n"
        "    environment: {APP_MODE: staging}\n"
        f"networks:\n  default:\n    labels: {{{LABEL}: '{SESSION}'}}\n")
    # A relative -f is recorded as given (Compose v1): the runner, started elsewhere, must
    # still find the file, beside Compose's working directory.
    up = [*compose, "-p", name, "-f", file.name if relative else str(file)]
    try:
        dockerlab.run([*up, "up", "-d"], cwd=project.root)
        container = docker("ps", "-q", "--filter", f"label=com.docker.compose.project={name}").stdout.split()[0]
        served = dockerlab.Project(project.root, project.image,
                                   docker("inspect", "-f", "{{.Name}}", container).stdout.strip().lstrip("/"))
        project.write("server/routes/authRoutes.ts", AUTH_V2)
        project.commit("fix redirect")
        project.build()
        code, report = fix_json(served, "--yes", cwd=tmp_path if relative else None)
        step = report["rounds"][0]["steps"][0]
        assert step["details"]["via"] == "compose", step
        assert "--force-recreate" in step["details"]["argv"] and "--no-deps" in step["details"]["argv"]
        assert_resolved(served, code, report)
        assert "'/login?error=no_token'" in served.read(COMPILED)
        env = json.loads(docker("inspect", "-f", "{{json .Config.Env}}", served.container).stdout)
        assert "APP_MODE=staging" in env
    finally:
        dockerlab.run([*up, "down"], cwd=project.root, check=False)


def test_compose_labels_without_the_compose_file_fall_back_to_the_engine_api(project):
    make_container_behind(project, "--label", "com.docker.compose.project=gone",
                          "--label", "com.docker.compose.service=web",
                          "--label", "com.docker.compose.project.config_files=/nonexistent/compose.yaml")
    project.build()
    code, report = fix_json(project, "--yes")
    step = report["rounds"][0]["steps"][0]
    assert step["details"]["via"] == "engine-api"
    assert "its compose file is not here (/nonexistent/compose.yaml)" in step["output"]
    assert_resolved(project, code, report)


# --- nothing changes without consent ---------------------------------------------------------


def test_dry_run_changes_nothing_on_the_engine(project, tmp_path):
    make_container_behind(project)
    diagnosis(project)  # what diagnose itself leaves (a cached build's records) is not the fix's doing
    before = engine_state()
    done = runner(project, "fix", "--dry-run")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "plan: rebuild-image" in done.stdout and "[write] Rebuild the tag" in done.stdout
    assert "dry run: the plan was shown, nothing ran" in done.stdout
    # the seed's destructive alternative, dry: its loss and measured cost shown, nothing pruned
    done = runner(project, "fix", "--dry-run", "--yes", "--fix", "prune-all-and-rebuild")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[destructive] Delete the whole build cache" in done.stdout and "loses: the build cache of every project on this engine" in done.stdout
    assert "cost: Measured" in done.stdout
    assert_unchanged(before, engine_state())
    assert "'/login?error=no_token'" not in project.read(COMPILED)


def test_without_a_terminal_and_without_yes_nothing_runs(project, state_home):
    make_container_behind(project)
    project.build()
    diagnosis(project)
    before = engine_state()
    done = runner(project, "fix")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "no terminal to ask for consent, and no --yes" in " ".join(done.stdout.split())
    assert_unchanged(before, engine_state())
    report = json.loads(next((state_home / "runner/runs").glob("*.json")).read_text())
    assert report["outcome"] == "not-applied" and report["rounds"][0]["consent"]["how"] == "no-terminal"
    assert report["rounds"][0]["steps"] == []


def test_nothing_wrong_says_so_and_exits_0(project):
    project.build()
    project.run_fast_stopping()
    done = runner(project, "fix", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing wrong found" in done.stdout and "plan:" not in done.stdout


# --- failures leave a known state ------------------------------------------------------------


def test_a_new_container_that_cannot_start_is_undone_and_the_old_one_restored(project):
    project.build()
    project.run_fast_stopping()
    old_id = docker("inspect", "-f", "{{.Id}}", project.container).stdout.strip()
    old_image = project.container_image()
    dockerfile = project.root / "Dockerfile"
    # the new image has no /bin/sh: the container's command cannot start in it
    dockerfile.write_text(dockerfile.read_text().replace(
        "COPY public ./public\n", 'COPY public ./public\nRUN ["/bin/busybox", "rm", "/bin/sh"]\n'))
    project.commit("an image without a shell")
    project.build()
    code, report = fix_json(project, "--yes")
    assert (code, report["outcome"]) == (5, "step-failed"), json.dumps(report, indent=1)
    step = report["rounds"][0]["steps"][0]
    assert step["status"] == "failed" and step["summary"].startswith("could not start")
    assert "restored: " + project.container + " is the old container again, running" in report["state"]
    assert docker("inspect", "-f", "{{.Id}} {{.State.Running}}", project.container).stdout.split() == [old_id, "true"]
    assert project.container_image() == old_image
    assert not docker("ps", "-aq", "--filter", f"name={project.container}-runner-").stdout.strip()


def test_a_bind_mount_is_never_emptied(project, tmp_path):
    project.build()
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / "index.html").write_text("<h1>host copy</h1>\n")
    project.run_fast_stopping("-v", f"{folder}:/app/public")
    done = runner(project, "fix", "--yes")
    assert done.returncode == 5, done.stdout + done.stderr
    assert f"bind mount {folder} at /app/public is a host folder: the runner does not empty it" in done.stdout
    assert (folder / "index.html").read_text() == "<h1>host copy</h1>\n"


# --- interruptions and a second fix at once ------------------------------------------------------


def start_fix(project: dockerlab.Project, *extra: str) -> subprocess.Popen:
    argv = [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "fix", "buildkit-stale",
            "--lang", "en", "--yes", "--json", "--param", f"image={project.image}", "--param",
            f"context={project.root}", "--param", f"container={project.container}", *extra]
    return subprocess.Popen(argv, cwd=project.root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "300"})


def wait_for_line(process: subprocess.Popen, wanted: str, timeout: float = 120) -> list[str]:
    """The fix's display (stderr with --json) up to the first line holding `wanted`."""
    import time

    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if wanted in line:
            return seen
    raise AssertionError(f"never saw {wanted!r}:\n{''.join(seen)}")


def assert_serving_with_nothing_left(project: dockerlab.Project) -> None:
    assert docker("inspect", "-f", "{{.State.Running}}", project.container).stdout.strip() == "true"
    assert not docker("ps", "-aq", "--filter", f"name={project.container}-runner-").stdout.strip()


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_stop_signal_during_the_recreate_finishes_the_step_and_writes_the_report(project, state_home, signame):
    import signal

    project.deploy_then_fix_the_source()
    process = start_fix(project)
    wait_for_line(process, "▶ 1.")  # the step has started: the signal lands in the middle of it
    process.send_signal(getattr(signal, signame))
    out, err = process.communicate(timeout=300)
    report = json.loads(out)
    assert process.returncode == 130 and report["outcome"] == "interrupted", err
    assert report["rounds"][0]["steps"][0]["status"] == "ok", json.dumps(report, indent=1)
    assert list((state_home / "runner" / "runs").glob("*.json")), "no run report was written"
    assert_serving_with_nothing_left(project)
    assert "'/login?error=no_token'" in project.read(COMPILED)  # the new container, serving the fix


def test_a_stop_signal_before_any_step_changes_nothing_and_writes_the_report(project, state_home):
    import signal

    project.deploy_then_fix_the_source()
    old_id = docker("inspect", "-f", "{{.Id}}", project.container).stdout.strip()
    process = start_fix(project)
    wait_for_line(process, "cause: container-not-recreated")  # diagnosed; planning, no step yet
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=300)
    report = json.loads(out)
    assert process.returncode == 130 and report["outcome"] == "interrupted", err
    steps = [step for round_ in report["rounds"] for step in round_["steps"]]
    if not steps:  # the signal came before the step started: nothing changed
        assert docker("inspect", "-f", "{{.Id}}", project.container).stdout.strip() == old_id
    assert list((state_home / "runner" / "runs").glob("*.json"))
    assert_serving_with_nothing_left(project)


def test_a_fix_waits_for_the_one_holding_its_container_or_fails_with_no_wait(project):
    from runner.engine.endpoints import resolve_endpoint
    from runner.fix.lock import exclusive_fix, fix_target

    project.deploy_then_fix_the_source()
    held = exclusive_fix(resolve_endpoint(None).host, fix_target({"container": project.container}, "buildkit-stale"))
    with held:  # another process's fix, as far as the runner can tell
        busy = runner(project, "fix", "--yes", "--no-wait")
        assert busy.returncode == 2 and "another runner fix is working on container" in busy.stderr, busy.stderr
        waiting = start_fix(project)
        wait_for_line(waiting, "waiting for it to end")
        assert waiting.poll() is None
    out, err = waiting.communicate(timeout=300)
    assert (waiting.returncode, json.loads(out)["verdict"]) == (0, "resolved"), err
    assert_serving_with_nothing_left(project)


def test_two_fixes_of_one_container_at_once_take_turns(project):
    project.deploy_then_fix_the_source()
    fixes = [start_fix(project), start_fix(project)]
    reports = []
    for process in fixes:
        out, err = process.communicate(timeout=300)
        reports.append((process.returncode, json.loads(out)["outcome"], json.loads(out)["verdict"]))
    # one recreated it; the other diagnosed after it and found nothing left to do
    assert sorted(reports) == [(0, "applied", "resolved"), (0, "nothing-wrong", None)], reports
    assert_serving_with_nothing_left(project)


def test_a_report_that_cannot_be_written_still_gives_the_verdict(project, tmp_path, monkeypatch):
    project.deploy_then_fix_the_source()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))  # runs/ cannot be made under a file
    done = runner(project, "fix", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "could not write the run report" in done.stderr and "verdict: resolved" in done.stdout
    assert "Traceback" not in done.stderr
