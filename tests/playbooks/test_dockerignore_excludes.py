"""The `dockerignore-excludes` playbook through the runner (its `context-exclusions` check's
evidence on small contexts is in tests/checks/test_exclusions.py).

Without an engine: search finds it. On the real engine (projects FROM the session's labelled
busybox base): the build errors are captured from real `docker build`s and triaged (this
playbook first; buildkit-stale still first for its own all-CACHED logs), and `runner diagnose
dockerignore-excludes` names each cause and says `ok` for a healthy project."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from pathlib import Path

import dockerlab
import pytest

from runner.triage.index import triage
from runner.triage.search import search

PLAYBOOK = "dockerignore-excludes"


# --- triage and search --------------------------------------------------------------------


@pytest.mark.parametrize("query", ["dockerignore", ".dockerignore excludes", "not found", "제외", "조용히 제외",
                                   "컨텍스트 전송"])
def test_search_finds_it_in_both_languages(catalogue, query):
    assert PLAYBOOK in [m.id for m in search(catalogue, query, "ko")]


def build(root: Path, tag: str, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return dockerlab.run([dockerlab.DOCKER, "build", "--progress=plain", *extra, "-t", tag, str(root)], check=False,
                         env=env)


@pytest.fixture
def app(engine, tmp_path):
    """A project FROM the session's labelled base, a git checkout; its image tag is removed after."""
    root = dockerlab.exclusions_context(tmp_path / "app", base=dockerlab.BASE_IMAGE)
    dockerlab.run(["git", "init", "-q", "-b", "main"], cwd=root)
    dockerlab.run(["git", "add", "-A"], cwd=root)
    dockerlab.run(["git", "commit", "-q", "-m", "initial"], cwd=root)
    time.sleep(1.1)  # commit and image times have second resolution: keep them apart
    tag = f"runner-test-{dockerlab.SESSION}-ignore-{uuid.uuid4().hex[:6]}:dev"
    yield root, tag
    dockerlab.docker("rmi", "-f", tag, check=False)


@pytest.mark.engine
def test_real_build_logs_rank_this_playbook_first(catalogue, app):
    root, tag = app
    with open(root / ".dockerignore", "a") as handle:
        handle.write("config\n")
    done = build(root, tag)
    log = done.stdout + done.stderr
    assert done.returncode == 1
    if dockerlab.ENGINE.plugins:  # buildx 0.13 (BuildKit 0.13): the checksum's ref differs per build
        assert re.search(r'(?m)^ERROR: failed to solve: failed to compute cache key: failed to calculate checksum '
                         r'of ref \S+: "/config/settings\.json": not found$', log), log[-800:]
    else:  # the 20.10 client, BuildKit built into the daemon
        assert 'failed to compute cache key: "/config/settings.json" not found: not found' in log
    matches = triage(catalogue, log)
    assert matches[0].id == PLAYBOOK, [(m.id, m.score) for m in matches]
    assert [s.key for s in matches[0].symptoms] == ["copy-source-not-found", "copy-step-failed"]

    # the legacy builder: no --progress (the 26.1 client refuses the flag without BuildKit)
    legacy = dockerlab.run([dockerlab.DOCKER, "build", "-t", tag, str(root)], check=False,
                           env={"DOCKER_BUILDKIT": "0"})
    log = legacy.stdout + legacy.stderr
    assert "COPY failed: file not found in build context or excluded by .dockerignore" in log
    matches = triage(catalogue, log)
    ranked = [m.id for m in matches]
    if dockerlab.ENGINE.plugins:
        # clients 23 and later print the two-line "DEPRECATED: The legacy builder is deprecated"
        # banner first: buildx-missing's legacy-builder-deprecated symptom matches both lines and
        # ranks it first by the repeat bonus (1.01 against 1.0); this playbook comes next
        assert "DEPRECATED: The legacy builder is deprecated" in log
        assert ranked[:2] == ["buildx-missing", PLAYBOOK], [(m.id, m.score) for m in matches]
    else:  # the 20.10 client prints no banner
        assert ranked[0] == PLAYBOOK, [(m.id, m.score) for m in matches]
    [mine] = [m for m in matches if m.id == PLAYBOOK]
    assert [s.key for s in mine.symptoms] == ["legacy-copy-failed"]


@pytest.mark.engine
def test_an_all_cached_rebuild_still_ranks_buildkit_stale_first(catalogue, app):
    """A change the .dockerignore excludes gives the all-CACHED log of the seed: buildkit-stale's."""
    root, tag = app
    (root / ".dockerignore").write_text("**/*.local.ts\n")
    assert build(root, tag).returncode == 0
    (root / "server/routes/settings.local.ts").write_text("export const url = 'new';\n")
    done = build(root, tag)
    log = done.stdout + done.stderr
    matches = triage(catalogue, log)
    assert matches[0].id == "buildkit-stale"
    assert PLAYBOOK not in [m.id for m in matches]


# --- runner diagnose on the real engine ---------------------------------------------------


def diagnose(root: Path, tag: str, *params: str) -> tuple[int, dict]:
    return dockerlab.diagnose(PLAYBOOK, f"image={tag}", f"context={root}", *params, cwd=root)


@pytest.mark.engine
def test_healthy_project_is_ok(app):
    root, tag = app
    assert build(root, tag).returncode == 0
    code, report = diagnose(root, tag, "needed=config/settings.json,server/routes/authRoutes.ts")
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report


@pytest.mark.engine
def test_diagnose_names_copy_source_excluded(app):
    root, tag = app
    assert build(root, tag).returncode == 0
    with open(root / ".dockerignore", "a") as handle:
        handle.write("config\n")
    code, report = diagnose(root, tag)
    assert (code, report["cause"]["id"], report["fix"]) == (1, "copy-source-excluded", "unexclude-copy-source")
    [item] = report["cause"]["evidence"]["exclusions"]["copy_sources_excluded"]
    assert (item["path"], item["pattern"]) == ("config/settings.json", "config")


@pytest.mark.engine
def test_diagnose_names_copy_source_missing(app):
    root, tag = app
    (root / "config/settings.json").unlink()
    assert build(root, tag).returncode == 1
    code, report = diagnose(root, tag)
    assert (code, report["cause"]["id"]) == (1, "copy-source-missing"), report


@pytest.mark.engine
def test_diagnose_names_needed_file_excluded(app):
    root, tag = app
    with open(root / ".dockerignore", "a") as handle:
        handle.write("**/*.ts\n")
    assert build(root, tag).returncode == 0
    code, report = diagnose(root, tag, "needed=server/routes/authRoutes.ts")
    assert (code, report["cause"]["id"]) == (1, "needed-file-excluded"), report
    code, report = diagnose(root, tag)  # without `needed`, nothing says the file matters
    assert (code, report["status"]) == (0, "ok"), report


@pytest.mark.engine
@pytest.mark.parametrize("rebuilt", [False, True], ids=["changed", "changed-then-rebuilt"])
def test_diagnose_names_change_excluded(app, rebuilt):
    root, tag = app
    (root / ".dockerignore").write_text(".git\n**/*.local.ts\n")
    dockerlab.run(["git", "commit", "-q", "-am", "exclude local settings"], cwd=root)
    time.sleep(1.1)
    assert build(root, tag).returncode == 0
    (root / "server/routes/settings.local.ts").write_text("export const url = 'new';\n")
    if rebuilt:
        # What the person does next: rebuild. It is all cached and moves the tag's time past
        # the edit; no container runs (the lab's change-excluded once got "ok" here).
        time.sleep(1.1)
        assert build(root, tag).returncode == 0
    code, report = diagnose(root, tag)
    assert (code, report["cause"]["id"], report["fix"]) == (1, "change-excluded", "unexclude-change"), report
    assert report["cause"]["evidence"]["source"]["excluded_changes"] == [
        {"path": "server/routes/settings.local.ts", "pattern": "**/*.local.ts"}]
