"""The `stale-container` playbook through the runner (its `container-image` check's own cases
are in tests/checks/test_container_image.py).

Without an engine: the playbook renders in both languages and search finds it in Korean and
English. On the real engine (apps FROM the session's labelled busybox base, run with
`docker run` or with the engine's Compose: v2 `docker compose` on 26.1, docker-compose 1.29
on 20.10): logs of real `docker compose up`, `restart`, `docker ps` and `docker rmi` runs
are triaged (this playbook first; buildkit-stale still first for its own all-CACHED log),
piped and, for v2, as a terminal shows them; and `runner diagnose stale-container` names each
cause and says `ok` for healthy containers, a Compose service built by Compose's own builder
among them (v1: the legacy builder, v2: BuildKit); its fix recreates a Compose v1 service on
every engine, and puts the old container back when Compose fails half-way.

The Compose tests need a Compose for the engine's client; they are skipped without it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dockerlab
import pytest

from runner.fix.actions import ActionContext, RecreateContainerArgs, containers
from runner.triage.index import triage

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
PLAYBOOK = "stale-container"
needs_compose = pytest.mark.skipif(dockerlab.COMPOSE is None, reason=dockerlab.NO_COMPOSE)


app = dockerlab.app_fixture(dockerlab.StaleContainerApp)


def diagnose(**params: str) -> tuple[int, dict]:
    return dockerlab.diagnose(PLAYBOOK, *(f"{name}={value}" for name, value in params.items()))


def compose_in_a_terminal(app: dockerlab.StaleContainerApp, *args: str) -> str:
    """Compose v2's output as a terminal shows it (its progress display, not the piped lines),
    run under `script`; colour codes and cursor moves are left for triage to ignore."""
    argv = " ".join([*dockerlab.COMPOSE, "-p", app.project, *args])
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_BUILDKIT"}
    done = subprocess.run(["script", "-qec", f"stty cols 100; {argv}", "/dev/null"], cwd=app.root, env=env,
                          capture_output=True, text=True, errors="replace", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def triage_cli(log: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(PLAYBOOKS), "triage", "--json"],
                          input=log, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["matches"][0]


# --- without an engine --------------------------------------------------------------------


@pytest.mark.parametrize("query", ["재시작", "이전 이미지", "컨테이너를 다시 만들지", "다시 빌드 태그",
                                   "restart old image", "is up-to-date", "recreate container", "compose up --build"])
def test_search_finds_it_in_korean_and_english(catalogue, query):
    assert PLAYBOOK in dockerlab.found_by_search(catalogue, query), query


@pytest.mark.parametrize("lang, title", [("ko", "다시 빌드했는데 컨테이너가 여전히 이전 이미지로 실행됨"),
                                         ("en", "The container still runs the old image after a rebuild")])
def test_show_reads_in_both_languages(lang, title):
    dockerlab.assert_shown(PLAYBOOK, lang, title,
                           ("image-not-rebuilt", "other-image-reference", "container-not-recreated"))


# --- real logs rank the playbook first ----------------------------------------------------


@pytest.mark.engine
@needs_compose
def test_compose_up_without_build_log_ranks_it_first(catalogue, app):
    first = app.compose("up", "-d")
    app.version("v2")
    again = app.compose("up", "-d")
    container = app.service_container()
    if dockerlab.COMPOSE_V2:
        assert container == f"{app.project}-web-1"
        assert f" Container {container}  Running\n" in again, again
        # v2 builds a missing image without saying why (only v1 prints "was built because ..."),
        # and its BuildKit log of the first up has CACHED steps, buildkit-stale's symptom: the
        # log that shows this playbook's symptom is the up after the change.
        log, expected = again, {"compose-up-to-date"}
    else:
        assert container == f"{app.project}_web_1"
        assert f"{container} is up-to-date" in again, again
        log, expected = first + again, {"compose-built-once", "compose-up-to-date"}
    assert app.served(container).startswith("v1")
    matches = triage(catalogue, log)
    assert matches[0].id == PLAYBOOK, [m.id for m in matches]
    assert {s.key for s in matches[0].symptoms} == expected
    assert triage_cli(log)["id"] == PLAYBOOK
    if dockerlab.COMPOSE_V2 and shutil.which("script"):
        shown = compose_in_a_terminal(app, "up", "-d")
        assert re.search(r"✔\S* Container \S+  \S*Running", shown), shown
        matches = triage(catalogue, shown)
        assert matches[0].id == PLAYBOOK, (shown, [m.id for m in matches])
        assert [s.key for s in matches[0].symptoms] == ["compose-up-to-date"]


@pytest.mark.engine
@needs_compose
def test_compose_restart_log_ranks_it_first(catalogue, app):
    app.compose("up", "-d")
    app.version("v2")
    app.compose("build")
    restart = app.compose("restart", "-t", "0")
    container = app.service_container()
    assert (f" Container {container}  Restarting\n" if dockerlab.COMPOSE_V2
            else f"Restarting {container} ... done") in restart, restart
    assert app.served(container).startswith("v1")
    matches = triage(catalogue, restart)
    assert matches[0].id == PLAYBOOK, [m.id for m in matches]
    assert [s.key for s in matches[0].symptoms] == ["old-version-after-restart"]
    if dockerlab.COMPOSE_V2 and shutil.which("script"):
        shown = compose_in_a_terminal(app, "restart", "-t", "0")
        assert "[+] Restarting 1/1" in shown, shown
        matches = triage(catalogue, shown)
        assert matches[0].id == PLAYBOOK, (shown, [m.id for m in matches])
        assert [s.key for s in matches[0].symptoms] == ["old-version-after-restart"]


@pytest.mark.engine
def test_docker_ps_and_rmi_logs_rank_it_first(catalogue, app):
    app.build()
    old = dockerlab.docker("image", "inspect", "-f", "{{.Id}}", app.image).stdout.strip()
    app.run()
    refused_tag = dockerlab.docker("rmi", app.image, check=False)
    assert refused_tag.returncode == 1
    app.version("v2")
    app.build()
    dockerlab.docker("restart", "-t", "0", app.container)
    ps = dockerlab.docker("ps", "--filter", f"name={app.container}").stdout
    refused_old = dockerlab.docker("rmi", old, check=False)
    assert refused_old.returncode == 1
    logs = [(ps, "ps-shows-image-id"), (refused_tag.stderr, "old-image-in-use")]
    if dockerlab.ENGINE.containerd_store:
        # The containerd image store dropped the old image from its list when the build moved
        # the tag: there is nothing to refuse, though the container still runs it.
        assert f"No such image: {old}" in refused_old.stderr, refused_old.stderr
        assert "unable to delete" in refused_tag.stderr and "(must be forced)" in refused_tag.stderr
    else:
        assert "image is being used by running container" in refused_old.stderr, refused_old.stderr
        assert "unable to remove repository reference" in refused_tag.stderr, refused_tag.stderr
        logs.append((refused_old.stderr, "old-image-in-use"))
    assert dockerlab.docker("inspect", "-f", "{{.Image}}", app.container).stdout.strip() == old
    for log, symptom in logs:
        matches = triage(catalogue, log)
        assert matches and matches[0].id == PLAYBOOK, (log, [m.id for m in matches])
        assert [s.key for s in matches[0].symptoms] == [symptom]
    assert triage_cli(ps + refused_tag.stderr)["id"] == PLAYBOOK


@pytest.mark.engine
def test_buildkit_stale_stays_first_for_its_own_rebuild_log(catalogue, app):
    app.build()
    log = app.build()  # unchanged sources: every step CACHED
    assert triage(catalogue, log)[0].id == "buildkit-stale"


# --- runner diagnose on the real engine ---------------------------------------------------


@pytest.mark.engine
def test_diagnose_names_a_restart_instead_of_a_recreate(app):
    app.build()
    app.run()
    app.version("v2")
    app.build()
    dockerlab.docker("restart", "-t", "0", app.container)
    code, report = diagnose(container=app.container, image=app.image, context=str(app.root))
    assert (code, report["cause"]["id"]) == (1, "container-not-recreated"), report
    running = report["cause"]["evidence"]["running"]
    assert running["behind_tag"] is True and running["started_after_build"] is True
    assert running["running_image_tags"] == []  # the old image lost its tag: docker ps shows its ID
    assert running["tag_builder"] == "buildkit"


@pytest.mark.engine
def test_diagnose_names_an_image_not_rebuilt(app):
    app.build()
    app.run()
    app.version("v2")  # changed, never built
    code, report = diagnose(container=app.container, image=app.image, context=str(app.root))
    assert (code, report["cause"]["id"]) == (1, "image-not-rebuilt"), report
    source = report["cause"]["evidence"]["source"]
    assert [m["path"] for m in source["verbatim_mismatched"]] == ["version.txt"]
    assert source["build"]["ran"] is False  # bytes only: no build, no cache records
    # without the context that check is skipped, and nothing else is wrong
    code, report = diagnose(container=app.container, image=app.image)
    assert (code, report["status"]) == (0, "ok"), report
    assert next(c for c in report["checks"] if c["id"] == "source")["status"] == "skip"


@pytest.mark.engine
def test_diagnose_names_another_image_reference(app):
    app.build()
    app.run()
    app.version("v2")
    other = f"{app.name}-other:latest"
    app.build(other)
    code, report = diagnose(container=app.container, image=other, context=str(app.root))
    assert (code, report["cause"]["id"]) == (1, "other-image-reference"), report
    running = report["cause"]["evidence"]["running"]
    assert running["image_ref"] == app.image and running["ref_follows_tag"] is False


@pytest.mark.engine
def test_a_container_on_the_current_image_is_ok(app):
    app.build()
    app.run()
    code, report = diagnose(container=app.container, image=app.image, context=str(app.root))
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report


@pytest.mark.engine
@needs_compose
def test_compose_cases_with_composes_own_builder(app):
    """Compose v1 builds with the legacy builder, v2 with BuildKit but labelling the image: either
    way its image IDs never equal a `docker build`'s, so the diagnosis compares bytes, and an
    up-to-date service is ok."""
    app.compose("up", "-d")
    ctx = {"container": app.service_container(), "image": app.image, "context": str(app.root)}
    code, report = diagnose(**ctx)
    assert (code, report["status"]) == (0, "ok"), report
    running = next(c for c in report["checks"] if c["id"] == "running")["evidence"]
    assert running["tag_builder"] == ("buildkit" if dockerlab.COMPOSE_V2 else "legacy")
    labels = json.loads(dockerlab.docker("image", "inspect", "-f", "{{json .Config.Labels}}", app.image).stdout)
    assert ("com.docker.compose.project" in labels) is dockerlab.COMPOSE_V2, labels
    app.version("v2")
    app.compose("up", "-d")
    code, report = diagnose(**ctx)
    assert (code, report["cause"]["id"]) == (1, "image-not-rebuilt"), report
    app.compose("build")
    app.compose("restart", "-t", "0")
    code, report = diagnose(**ctx)
    assert (code, report["cause"]["id"]) == (1, "container-not-recreated"), report
    assert report["cause"]["evidence"]["running"]["compose"]["service"] == "web"
    app.compose("up", "-d")  # the tag's image changed: Compose recreates
    code, report = diagnose(**ctx)
    assert (code, report["status"]) == (0, "ok"), report


@pytest.mark.engine
@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="no Compose v1 (docker-compose) here")
def test_a_compose_v1_service_is_recreated_on_every_engine(app, monkeypatch):
    """A machine whose only Compose is docker-compose 1.x, talking to this engine: v1 crashes
    recreating on Docker 25+ (KeyError: 'ContainerConfig') after it stopped the old container,
    so there the fix recreates through the Engine API; before 25, through Compose."""
    result, lines, name = recreate_a_compose_v1_service(app, monkeypatch)
    assert result.ok, (result.summary, result.state, lines)
    assert result.details["via"] == ("engine-api" if engine_api() >= (1, 44) else "compose"), lines
    assert app.served(name) == "v2"


@pytest.mark.engine
@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="no Compose v1 (docker-compose) here")
def test_when_compose_fails_midway_the_old_container_runs_again(app, monkeypatch):
    """Compose v1 on Docker 25+, let through: it stops and renames the service's container, then
    crashes. The fix fails, and says the old container is back under its name, running."""
    if engine_api() < (1, 44):
        pytest.skip("Compose v1 recreates without failing before Docker 25 (Engine API 1.44)")
    monkeypatch.setattr(containers, "_compose_v1_cannot_recreate_on", lambda compose, client: False)
    result, lines, name = recreate_a_compose_v1_service(app, monkeypatch)
    assert not result.ok and any("ContainerConfig" in line for line in lines), lines
    assert result.state == f"restored: {name} is the old container again, running"
    assert app.served(name) == "v1 " + app.name


def engine_api() -> tuple[int, ...]:
    version = dockerlab.docker("version", "-f", "{{.Server.APIVersion}}").stdout
    return tuple(int(part) for part in version.split(".")[:2])


def recreate_a_compose_v1_service(app: dockerlab.StaleContainerApp, monkeypatch: pytest.MonkeyPatch):
    """The app up as a docker-compose 1.x service, rebuilt as v2, then the recreate-container
    action on a machine whose only Compose is v1."""
    v1 = (shutil.which("docker-compose"),)
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_BUILDKIT"}
    app.build()
    up = subprocess.run([*v1, "-p", app.project, "up", "-d", "--no-build"], cwd=app.root, env=env,
                        capture_output=True, text=True, timeout=300)
    app.note_anonymous_volumes(*app.project_containers())
    assert up.returncode == 0, up.stdout + up.stderr
    name = app.service_container()
    app.version("v2")
    app.build()
    monkeypatch.setattr(containers, "compose_command", lambda: v1)
    lines: list[str] = []
    try:
        result = containers.recreate_container(RecreateContainerArgs(container=name), ActionContext(
            docker_host=os.environ["DOCKER_HOST"], cwd=app.root, output=lines.append))
    finally:
        app.note_anonymous_volumes(*app.project_containers())
    return result, lines, name
