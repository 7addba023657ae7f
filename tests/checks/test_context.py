"""The two check kinds over a build context (runner/checks/context.py): `dockerignore` and
`dockerfile`, on a seed-shaped context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from contextkit import make_context, make_seed_context

from runner.checks.context import dockerfile, dockerignore
from runner.checks.kinds import ContextArgs, DockerignoreArgs
from runner.checks.result import CheckContext


@pytest.fixture
def seed_context(tmp_path) -> Path:
    return make_seed_context(tmp_path / "app")


def run_dockerignore(root: Path, *paths: str):
    return dockerignore(DockerignoreArgs(context=str(root), paths=paths), CheckContext(cwd=root.parent))


def test_dockerignore_check_fails_for_an_excluded_path_a_copy_wants(seed_context):
    result = run_dockerignore(seed_context, "server/routes/settings.local.ts", "README.md", "public/index.html")
    assert result.status == "fail"
    assert "server/routes/settings.local.ts (by '**/*.local.ts')" in result.summary
    by_path = {p["path"]: p for p in result.evidence["paths"]}
    assert by_path["server/routes/settings.local.ts"] == {
        "path": "server/routes/settings.local.ts", "excluded": True, "pattern": "**/*.local.ts",
        "pattern_line": 1, "exists": True, "copied_by": [3]}
    assert by_path["README.md"]["copied_by"] == [] and not by_path["README.md"]["excluded"]
    assert result.evidence["patterns"] == [{"line": 1, "pattern": "**/*.local.ts", "exception": False}]
    json.dumps(result.evidence)


def test_dockerignore_check_passes_when_excluded_files_are_not_copied(seed_context):
    (seed_context / ".dockerignore").write_text("README.md\n")
    result = run_dockerignore(seed_context, "README.md")
    assert result.status == "pass" and result.evidence["paths"][0]["excluded"] is True
    assert result.evidence["excluded"] == ["README.md"]


def test_dockerignore_check_without_a_file_and_with_errors(tmp_path, seed_context):
    (seed_context / ".dockerignore").unlink()
    result = run_dockerignore(seed_context)
    assert result.status == "pass" and "no .dockerignore" in result.summary
    assert run_dockerignore(tmp_path / "nope").status == "error"
    (seed_context / ".dockerignore").write_text("!\n")
    bad = run_dockerignore(seed_context)
    assert bad.status == "error" and "illegal exclusion pattern" in bad.summary
    (seed_context / ".dockerignore").write_text("x\n")
    assert run_dockerignore(seed_context, "../outside").status == "error"


def test_dockerignore_check_notes_an_excluded_dockerfile(seed_context):
    (seed_context / ".dockerignore").write_text("Dockerfile\n")
    result = run_dockerignore(seed_context)
    assert result.evidence["build_files_excluded"] == [{"path": "Dockerfile", "pattern": "Dockerfile"}]


def test_dockerfile_check_reports_stages_and_copies(seed_context):
    result = dockerfile(ContextArgs(context="app"), CheckContext(cwd=seed_context.parent))
    assert result.status == "pass", result
    ev = result.evidence
    assert [s["name"] for s in ev["stages"]] == ["backend-builder", None]
    server = ev["stages"][0]["copies"][0]
    assert server["files"] == 1 and server["excluded"] == [{"path": "server/routes/settings.local.ts",
                                                           "pattern": "**/*.local.ts"}]
    assert ev["stages"][1]["copies"][0]["from_stage"] == 0 and "files" not in ev["stages"][1]["copies"][0]
    assert ev["verbatim"] == [{"path": "public/index.html", "image_path": "/app/public/index.html"}]
    assert ev["final_stage"] == 1
    json.dumps(ev)


def test_dockerfile_check_fails_when_a_source_is_missing_and_errors_without_dockerfile(seed_context, tmp_path):
    (seed_context / ".dockerignore").write_text("server\n")
    result = dockerfile(ContextArgs(context=str(seed_context)), CheckContext())
    assert result.status == "fail" and "server (excluded by 'server')" in result.summary
    missing = dockerfile(ContextArgs(context=str(tmp_path), dockerfile="Nope"), CheckContext())
    assert missing.status == "error" and "no Dockerfile" in missing.summary
    (tmp_path / "Dockerfile").write_text("RUN x\n")
    assert dockerfile(ContextArgs(context=str(tmp_path)), CheckContext()).status == "error"


def test_dockerfile_check_warns_about_variables(tmp_path):
    root = make_context(tmp_path / "c", {"Dockerfile": "FROM a\nARG APP=x\nCOPY $APP /app/\n"})
    result = dockerfile(ContextArgs(context=str(root)), CheckContext())
    # The build expands $APP, we do not: neither a missing source nor silence.
    assert result.status == "warn" and "$variables not expanded: $APP" in result.summary
    assert result.evidence["stages"][0]["copies"][0]["unresolved"] == ["$APP"]
