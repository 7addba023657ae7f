"""The `dockerignore-excludes` playbook and its `context-exclusions` check.

Without an engine: the check's evidence on small contexts (excluded versus missing COPY
sources, needed files, the 20.10 matcher's root-only `*.ts`, `<Dockerfile>.dockerignore`).
On the real engine (projects FROM the session's labelled busybox base): the build errors are
captured from real `docker build`s and triaged (this playbook first; buildkit-stale still
first for its own all-CACHED logs), and `runner diagnose dockerignore-excludes` names each
cause and says `ok` for a healthy project."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

import dockerlab
from runner.playbook.catalogue import load_catalogue
from runner.checks.exclusions import context_exclusions, split_paths
from runner.checks.kinds import ContextExclusionsArgs
from runner.checks.result import CheckContext
from runner.triage.search import search
from runner.triage.index import triage

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
PLAYBOOK = "dockerignore-excludes"

DOCKERFILE = """\
FROM {base}
WORKDIR /app
COPY server ./server
COPY config/settings.json ./config/
CMD ["sh", "-c", "sleep 3600"]
"""


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(PLAYBOOKS)


def make_context(root: Path, dockerignore: str | None = ".git\nnode_modules\n*.md\n", base: str = "scratch",
                 dockerfile: str = DOCKERFILE) -> Path:
    (root / "server/routes").mkdir(parents=True)
    (root / "config").mkdir()
    (root / "server/index.js").write_text("require('./routes/authRoutes');\n")
    (root / "server/routes/authRoutes.ts").write_text("export const redirect = '/login';\n")
    (root / "server/routes/settings.local.ts").write_text("export const url = 'old';\n")
    (root / "config/settings.json").write_text('{"port": 4010}\n')
    (root / "README.md").write_text("# app\n")
    # Identical content builds identical image IDs: keep each test's images its own.
    (root / "server/id.txt").write_text(uuid.uuid4().hex + "\n")
    (root / "Dockerfile").write_text(dockerfile.format(base=base))
    if dockerignore is not None:
        (root / ".dockerignore").write_text(dockerignore)
    return root


def check(root: Path, *paths: str, **kwargs) -> tuple[str, str, dict]:
    result = context_exclusions(ContextExclusionsArgs(context=str(root), paths=paths, flavor="docker-20.10",
                                                      **kwargs), CheckContext(cwd=root))
    return result.status, result.summary, result.evidence


# --- the check, without an engine ---------------------------------------------------------


def test_a_usual_dockerignore_passes(tmp_path):
    status, summary, evidence = check(make_context(tmp_path), "config/settings.json,server/routes/authRoutes.ts")
    assert status == "pass", summary
    assert evidence["copy_sources_excluded"] == [] and evidence["copy_sources_missing"] == []
    assert evidence["needed_excluded"] == []
    assert [n["path"] for n in evidence["needed"]] == ["config/settings.json", "server/routes/authRoutes.ts"]
    assert "2 of 2 needed path(s) reach it" in summary


def test_an_excluded_copy_source_names_the_pattern_and_its_line(tmp_path):
    root = make_context(tmp_path, ".git\nconfig\n")
    status, summary, evidence = check(root)
    assert status == "fail"
    [item] = evidence["copy_sources_excluded"]
    assert item["path"] == "config/settings.json" and item["pattern"] == "config" and item["pattern_line"] == 2
    assert item["copy_line"] == 4 and item["excluded_directory"] == "config"
    assert evidence["copy_sources_missing"] == []
    assert 'the build fails with "/config/settings.json" not found' in summary
    assert ".dockerignore line 2" in summary


def test_a_missing_copy_source_is_not_blamed_on_dockerignore(tmp_path):
    root = make_context(tmp_path)
    (root / "config/settings.json").unlink()
    status, summary, evidence = check(root)
    assert status == "fail"
    assert evidence["copy_sources_excluded"] == []
    assert evidence["copy_sources_missing"] == [{"source": "config/settings.json", "copy_line": 4,
                                                 "copy": "COPY config/settings.json ./config/",
                                                 "why": "not in the build context"}]
    assert "does not exclude it" in summary


def test_a_needed_file_inside_a_copied_folder(tmp_path):
    root = make_context(tmp_path, "**/*.ts\n")
    status, summary, evidence = check(root, "server/routes/authRoutes.ts")
    assert status == "fail" and "silently" in summary
    [item] = evidence["needed_excluded"]
    assert (item["path"], item["pattern"], item["pattern_line"], item["copied_by"]) == \
        ("server/routes/authRoutes.ts", "**/*.ts", 1, [3])
    [copy] = evidence["copies_with_exclusions"]
    assert copy["copy_line"] == 3 and copy["excluded_count"] == 2


def test_star_pattern_matches_the_root_only_with_the_20_10_matcher(tmp_path):
    root = make_context(tmp_path, "*.ts\n")
    (root / "tools.ts").write_text("x\n")
    status, _summary, evidence = check(root, "server/routes/authRoutes.ts")
    assert status == "pass"
    assert evidence["needed"][0]["excluded"] is False
    [hint] = evidence["root_only_patterns"]
    assert hint["pattern"] == "*.ts" and hint["everywhere"] == "**/*.ts" and hint["kept_deeper"] == 2


def test_a_needed_file_no_copy_takes_is_not_a_cause(tmp_path):
    status, _summary, evidence = check(make_context(tmp_path), "README.md")
    assert status == "pass"
    assert evidence["needed"][0]["excluded"] is True and evidence["needed"][0]["copied_by"] == []


def test_dockerfile_specific_ignore_file_wins_and_the_root_one_is_reported_unused(tmp_path):
    root = make_context(tmp_path, "!config\n")
    (root / "docker").mkdir()
    (root / "docker/app.Dockerfile").write_text(DOCKERFILE.format(base="scratch"))
    (root / "docker/app.Dockerfile.dockerignore").write_text("config\n")
    status, summary, evidence = check(root, dockerfile="docker/app.Dockerfile")
    assert status == "fail" and "app.Dockerfile.dockerignore line 1" in summary
    assert evidence["dockerignore"].endswith("docker/app.Dockerfile.dockerignore")
    assert evidence["unused_dockerignore"].endswith("/.dockerignore")


def test_no_dockerignore_and_bad_inputs(tmp_path):
    root = make_context(tmp_path, dockerignore=None)
    status, summary, evidence = check(root)
    assert status == "pass" and evidence["dockerignore"] is None and "no .dockerignore" in summary
    assert check(root, "../outside")[0] == "error"
    assert check(tmp_path / "nope")[0] == "error"


def test_a_source_above_the_context_is_an_error_not_a_cause(tmp_path):
    """BuildKit reads `COPY ../x` from the context root and the old builder refuses it: the
    check does not guess which, and says it cannot follow the source."""
    root = make_context(tmp_path, dockerfile="FROM {base}\nCOPY ../shared/z.txt /b/\n")
    status, summary, _evidence = check(root)
    assert status == "error" and "outside the build context" in summary


def test_paths_param_splits_on_commas_and_newlines():
    assert split_paths("a, b\nc,,a") == ["a", "b", "c"]
    assert split_paths(("x", "y,z")) == ["x", "y", "z"]


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
    root = make_context(tmp_path / "app", base=dockerlab.BASE_IMAGE)
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
    assert 'failed to compute cache key: "/config/settings.json" not found: not found' in log
    matches = triage(catalogue, log)
    assert matches[0].id == PLAYBOOK, [(m.id, m.score) for m in matches]
    assert [s.key for s in matches[0].symptoms] == ["copy-source-not-found", "copy-step-failed"]

    legacy = build(root, tag, env={"DOCKER_BUILDKIT": "0"})
    log = legacy.stdout + legacy.stderr
    assert "COPY failed: file not found in build context or excluded by .dockerignore" in log
    matches = triage(catalogue, log)
    assert matches[0].id == PLAYBOOK
    assert [s.key for s in matches[0].symptoms] == ["legacy-copy-failed"]


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
def test_diagnose_names_change_excluded(app):
    root, tag = app
    (root / ".dockerignore").write_text(".git\n**/*.local.ts\n")
    dockerlab.run(["git", "commit", "-q", "-am", "exclude local settings"], cwd=root)
    time.sleep(1.1)
    assert build(root, tag).returncode == 0
    (root / "server/routes/settings.local.ts").write_text("export const url = 'new';\n")
    code, report = diagnose(root, tag)
    assert (code, report["cause"]["id"], report["fix"]) == (1, "change-excluded", "unexclude-change"), report
    assert report["cause"]["evidence"]["source"]["excluded_changes"] == [
        {"path": "server/routes/settings.local.ts", "pattern": "**/*.local.ts"}]
