"""The .dockerignore actions (runner/fix/actions/files.py): the ignore file the build reads is
the one explained and edited."""

from __future__ import annotations

from pathlib import Path

import pytest


def dockerignore_project(root: Path, specific: bool) -> None:
    (root / "docker").mkdir(parents=True)
    (root / "docker/app.Dockerfile").write_text("FROM scratch\nCOPY server /server\n")
    (root / ".dockerignore").write_text("*.md\n")
    if specific:
        (root / "docker/app.Dockerfile.dockerignore").write_text("# mine\n**/*.local.ts\n")


@pytest.mark.parametrize("specific", [True, False])
def test_unexclude_paths_edits_the_ignore_file_the_build_reads(tmp_path, specific):
    from runner.fix.actions import (
        ActionContext,
        Exclusion,
        ExplainExclusionsArgs,
        UnexcludePathsArgs,
    )
    from runner.fix.actions.files import explain_exclusions, unexclude_paths

    dockerignore_project(tmp_path, specific)
    read = tmp_path / ("docker/app.Dockerfile.dockerignore" if specific else ".dockerignore")
    other = tmp_path / ".dockerignore" if specific else None
    ctx = ActionContext(docker_host="unix:///nowhere", cwd=tmp_path)
    explained = explain_exclusions(ExplainExclusionsArgs(
        context=str(tmp_path), dockerfile="docker/app.Dockerfile",
        excluded=[Exclusion(path="server/a.local.ts", pattern="**/*.local.ts")]), ctx)
    assert explained.details["exclusions"][0]["line"] == (2 if specific else None)
    args = UnexcludePathsArgs(context=str(tmp_path), dockerfile="docker/app.Dockerfile", paths=["server/a.local.ts"])
    assert str(read) in args.describe()
    result = unexclude_paths(args, ctx)
    assert result.ok and result.details["file"] == str(read)
    assert read.read_text().endswith("\n!server/a.local.ts\n")
    if other is not None:
        assert other.read_text() == "*.md\n", "the file the build does not read stays as it was"
    assert sorted(p.name for p in tmp_path.rglob("*.runner-*")) == []
