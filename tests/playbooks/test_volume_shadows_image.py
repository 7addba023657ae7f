"""The `volume-shadows-image` playbook through the runner (its `volume-shadowing` check's own
cases are in tests/checks/test_volumes.py).

Without an engine: the playbook renders in both languages and search finds it in Korean and
English. On the real engine (an app FROM the session's labelled busybox base whose version
file is what it serves): the errors of real runs are triaged (an empty host folder over the
app folder, with both docker clients; a shell-form CMD; `docker volume rm` of a volume in
use), and `runner diagnose volume-shadows-image` names each cause (a named volume filled from
an older image, an anonymous volume Compose carried over, a bind mount) and says `ok` for a
data volume where the image has nothing and for a volume freshly filled from the image.

The Compose test runs the engine's Compose (v2 `docker compose` on 26.1, docker-compose 1.29
on 20.10); it is skipped without one. The anonymous volumes it makes carry no label: the app
notes them after every Compose command and removes them by name at the end, also after a
failure (dockerlab.ServingApp)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dockerlab
import pytest

from runner.triage.index import triage

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
PLAYBOOK = "volume-shadows-image"
NEW_CLIENT = "/usr/local/bin/docker"
needs_compose = pytest.mark.skipif(dockerlab.COMPOSE is None, reason=dockerlab.NO_COMPOSE)


app = dockerlab.app_fixture(dockerlab.VolumeShadowsApp)


def diagnose(container: str, image: str) -> tuple[int, dict]:
    return dockerlab.diagnose(PLAYBOOK, f"container={container}", f"image={image}")


# --- without an engine --------------------------------------------------------------------


@pytest.mark.parametrize("query", ["볼륨", "이름 있는 볼륨", "바인드 마운트", "익명 볼륨", "named volume",
                                   "bind mount", "anonymous volume", "renew-anon-volumes", "volume is in use"])
def test_search_finds_it_in_korean_and_english(catalogue, query):
    assert PLAYBOOK in dockerlab.found_by_search(catalogue, query), query


@pytest.mark.parametrize("lang, title", [("ko", "볼륨이나 바인드 마운트가 새 이미지의 파일을 가림"),
                                         ("en", "A volume or bind mount hides the new image's files")])
def test_show_reads_in_both_languages(lang, title):
    dockerlab.assert_shown(PLAYBOOK, lang, title,
                           ("anonymous-volume-kept", "named-volume-stale", "bind-mount-hides-image"))


# --- real logs rank the playbook first ----------------------------------------------------


@pytest.mark.engine
def test_empty_host_folder_over_the_app_folder_ranks_it_first(catalogue, app, tmp_path):
    app.build()
    empty = tmp_path / "host-app"
    empty.mkdir()
    clients = [dockerlab.DOCKER] + ([NEW_CLIENT] if os.access(NEW_CLIENT, os.X_OK) else [])
    for number, client in enumerate(clients):
        done = app.run(f"bind{number}", f"{empty}:/app", client=client, check=False)
        assert done.returncode != 0
        assert 'exec: "/app/server.sh": stat /app/server.sh: no such file or directory' in done.stderr, done.stderr
        matches = triage(catalogue, done.stderr)
        assert matches and matches[0].id == PLAYBOOK, (client, [m.id for m in matches])
        assert [s.key for s in matches[0].symptoms] == ["program-missing-under-mount"]
    # a shell-form command: busybox sh says it cannot open the script
    app.dockerfile('["sh", "/app/server.sh"]')
    app.build()
    app.run("shell", f"{empty}:/app")
    logs = dockerlab.run([dockerlab.DOCKER, "wait", f"{app.name}-shell"])  # it exits at once
    assert logs.stdout.strip() != "0"
    output = dockerlab.docker("logs", f"{app.name}-shell").stderr
    assert "sh: can't open '/app/server.sh': No such file or directory" in output, output
    assert triage(catalogue, output)[0].id == PLAYBOOK


@pytest.mark.engine
def test_volume_in_use_ranks_it_first(catalogue, app):
    app.build()
    volume = app.volume("files")
    app.run("app", f"{volume}:/app")
    refused = dockerlab.docker("volume", "rm", volume, check=False)
    assert refused.returncode == 1 and "volume is in use" in refused.stderr
    matches = triage(catalogue, refused.stderr)
    assert matches and matches[0].id == PLAYBOOK, [m.id for m in matches]
    triaged = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(PLAYBOOKS), "triage", "--json"],
                             input=refused.stderr, capture_output=True, text=True, timeout=120)
    assert json.loads(triaged.stdout)["matches"][0]["id"] == PLAYBOOK


# --- runner diagnose on the real engine ---------------------------------------------------


@pytest.mark.engine
def test_named_volume_filled_from_the_old_image(app):
    app.build()
    volume = app.volume("files")
    app.run("app", f"{volume}:/app")
    code, report = diagnose(f"{app.name}-app", app.image)
    assert (code, report["status"]) == (0, "ok"), report  # freshly filled from this image
    app.version("v2")
    app.build()
    app.replace("app", f"{volume}:/app")
    assert app.served(f"{app.name}-app").startswith("v1")
    code, report = diagnose(f"{app.name}-app", app.image)
    assert (code, report["cause"]["id"]) == (1, "named-volume-stale"), report
    [named] = report["cause"]["evidence"]["shadow"]["named"]
    assert named["name"] == volume and named["differing"] == ["/app/version.txt"]
    assert named["anonymous"] is False and named["other_users"] == []


@pytest.mark.engine
def test_bind_mount_and_a_data_volume(app, tmp_path):
    app.build()
    host = tmp_path / "host-app"
    host.mkdir()
    (host / "version.txt").write_text("v0\n")
    (host / "server.sh").write_text(app.SERVER)
    (host / "server.sh").chmod(0o755)
    app.run("bind", f"{host}:/app")
    code, report = diagnose(f"{app.name}-bind", app.image)
    assert (code, report["cause"]["id"]) == (1, "bind-mount-hides-image"), report
    [bind] = report["cause"]["evidence"]["shadow"]["binds"]
    assert bind["source"] == str(host) and bind["destination"] == "/app"
    # a volume where the image has nothing hides nothing
    data = app.volume("data")
    app.run("data", f"{data}:/data")
    code, report = diagnose(f"{app.name}-data", app.image)
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report


@pytest.mark.engine
@needs_compose
def test_anonymous_volume_carried_over_by_compose(app):
    (app.root / "docker-compose.yml").write_text(
        f"services:\n  web:\n    build: .\n    image: {app.image}\n    volumes:\n      - /app\n")
    app.compose("up", "-d")
    container = app.service_container()
    first = dockerlab.docker("inspect", "-f", "{{(index .Mounts 0).Name}}", container).stdout.strip()
    app.version("v2")
    app.compose("up", "-d", "--build", "--force-recreate")
    assert app.service_container() == container  # the same name, a new container
    carried = dockerlab.docker("inspect", "-f", "{{(index .Mounts 0).Name}}", container).stdout.strip()
    assert carried == first and carried in app.anonymous_volumes
    assert app.served(container).startswith("v1")
    code, report = diagnose(container, app.image)
    assert (code, report["cause"]["id"]) == (1, "anonymous-volume-kept"), report
    [anonymous] = report["cause"]["evidence"]["shadow"]["anonymous"]
    assert anonymous["name"] == carried and anonymous["anonymous"] is True


@pytest.mark.engine
@needs_compose
def test_the_apps_clean_up_removes_composes_anonymous_volumes(engine, tmp_path):
    """The test above leaves unlabelled anonymous volumes when it fails halfway: the app's
    clean-up finds them by the containers Compose made, a carried-over one and one `-V` left
    unmounted included."""
    made = dockerlab.VolumeShadowsApp(tmp_path / "app")
    (made.root / "docker-compose.yml").write_text(
        f"services:\n  web:\n    build: .\n    image: {made.image}\n    volumes:\n      - /app\n")
    try:
        made.compose("up", "-d")
        made.compose("up", "-d", "--force-recreate")  # carried over, mounted by name
        made.compose("up", "-d", "--force-recreate", "-V")  # a new one; the old one is left unmounted
        assert len(made.anonymous_volumes) == 2, made.anonymous_volumes
    finally:
        made.remove()
    for volume in made.anonymous_volumes:
        assert dockerlab.docker("volume", "inspect", volume, check=False).returncode != 0, volume
    assert made.project_containers() == []
