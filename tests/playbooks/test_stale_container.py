"""The `stale-container` playbook through the runner (its `container-image` check's own cases
are in tests/checks/test_container_image.py).

Without an engine: the playbook renders in both languages and search finds it in Korean and
English. On the real engine (apps FROM the session's labelled busybox base, run with
`docker run` or docker-compose 1.29): logs of real `docker-compose up`, `restart`, `docker ps`
and `docker rmi` runs are triaged (this playbook first; buildkit-stale still first for its
own all-CACHED log), and `runner diagnose stale-container` names each cause and says `ok`
for healthy containers, a Compose service built by the legacy builder among them.

The Compose tests need Debian's docker-compose (Compose v1); they are skipped without it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dockerlab
from runner.triage.index import triage

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
PLAYBOOK = "stale-container"
needs_compose = pytest.mark.skipif(dockerlab.COMPOSE is None, reason=dockerlab.NO_COMPOSE)


app = dockerlab.app_fixture(dockerlab.StaleContainerApp)


def diagnose(**params: str) -> tuple[int, dict]:
    return dockerlab.diagnose(PLAYBOOK, *(f"{name}={value}" for name, value in params.items()))


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
    assert f"{app.service_container} is up-to-date" in again
    assert app.served(app.service_container).startswith("v1")
    log = first + again
    matches = triage(catalogue, log)
    assert matches[0].id == PLAYBOOK, [m.id for m in matches]
    assert {s.key for s in matches[0].symptoms} == {"compose-built-once", "compose-up-to-date"}
    assert triage_cli(log)["id"] == PLAYBOOK


@pytest.mark.engine
@needs_compose
def test_compose_restart_log_ranks_it_first(catalogue, app):
    app.compose("up", "-d")
    app.version("v2")
    app.compose("build")
    restart = app.compose("restart", "-t", "0")
    assert app.served(app.service_container).startswith("v1")
    matches = triage(catalogue, restart)
    assert matches[0].id == PLAYBOOK, [m.id for m in matches]
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
    for log, symptom in ((ps, "ps-shows-image-id"), (refused_tag.stderr, "old-image-in-use"),
                         (refused_old.stderr, "old-image-in-use")):
        matches = triage(catalogue, log)
        assert matches and matches[0].id == PLAYBOOK, (log, [m.id for m in matches])
        assert [s.key for s in matches[0].symptoms] == [symptom]
    assert triage_cli(ps + refused_old.stderr)["id"] == PLAYBOOK


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
def test_compose_cases_with_the_legacy_builder(app):
    """Compose v1 builds with the legacy builder: its image IDs never equal a BuildKit build's,
    so the diagnosis compares bytes, and an up-to-date service is ok."""
    app.compose("up", "-d")
    ctx = {"container": app.service_container, "image": app.image, "context": str(app.root)}
    code, report = diagnose(**ctx)
    assert (code, report["status"]) == (0, "ok"), report
    assert next(c for c in report["checks"] if c["id"] == "running")["evidence"]["tag_builder"] == "legacy"
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
