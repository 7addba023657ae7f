"""The `context-exclusions` check, without an engine: its evidence on small contexts
(excluded versus missing COPY sources, needed files, the 20.10 matcher's root-only `*.ts`,
`<Dockerfile>.dockerignore`). Its playbook's cases on the real engine are in
tests/playbooks/test_dockerignore_excludes.py."""

from __future__ import annotations

from pathlib import Path

from dockerlab import EXCLUSIONS_DOCKERFILE, exclusions_context

from runner.checks.exclusions import context_exclusions, split_paths
from runner.checks.kinds import ContextExclusionsArgs
from runner.checks.result import CheckContext


def check(root: Path, *paths: str, **kwargs) -> tuple[str, str, dict]:
    result = context_exclusions(ContextExclusionsArgs(context=str(root), paths=paths, flavor="docker-20.10",
                                                      **kwargs), CheckContext(cwd=root))
    return result.status, result.summary, result.evidence


def test_a_usual_dockerignore_passes(tmp_path):
    status, summary, evidence = check(exclusions_context(tmp_path), "config/settings.json,server/routes/authRoutes.ts")
    assert status == "pass", summary
    assert evidence["copy_sources_excluded"] == [] and evidence["copy_sources_missing"] == []
    assert evidence["needed_excluded"] == []
    assert [n["path"] for n in evidence["needed"]] == ["config/settings.json", "server/routes/authRoutes.ts"]
    assert "2 of 2 needed path(s) reach it" in summary


def test_an_excluded_copy_source_names_the_pattern_and_its_line(tmp_path):
    root = exclusions_context(tmp_path, ".git\nconfig\n")
    status, summary, evidence = check(root)
    assert status == "fail"
    [item] = evidence["copy_sources_excluded"]
    assert item["path"] == "config/settings.json" and item["pattern"] == "config" and item["pattern_line"] == 2
    assert item["copy_line"] == 4 and item["excluded_directory"] == "config"
    assert evidence["copy_sources_missing"] == []
    assert 'the build fails with "/config/settings.json" not found' in summary
    assert ".dockerignore line 2" in summary


def test_a_missing_copy_source_is_not_blamed_on_dockerignore(tmp_path):
    root = exclusions_context(tmp_path)
    (root / "config/settings.json").unlink()
    status, summary, evidence = check(root)
    assert status == "fail"
    assert evidence["copy_sources_excluded"] == []
    assert evidence["copy_sources_missing"] == [{"source": "config/settings.json", "copy_line": 4,
                                                 "copy": "COPY config/settings.json ./config/",
                                                 "why": "not in the build context"}]
    assert "does not exclude it" in summary


def test_a_needed_file_inside_a_copied_folder(tmp_path):
    root = exclusions_context(tmp_path, "**/*.ts\n")
    status, summary, evidence = check(root, "server/routes/authRoutes.ts")
    assert status == "fail" and "silently" in summary
    [item] = evidence["needed_excluded"]
    assert (item["path"], item["pattern"], item["pattern_line"], item["copied_by"]) == \
        ("server/routes/authRoutes.ts", "**/*.ts", 1, [3])
    [copy] = evidence["copies_with_exclusions"]
    assert copy["copy_line"] == 3 and copy["excluded_count"] == 2


def test_star_pattern_matches_the_root_only_with_the_20_10_matcher(tmp_path):
    root = exclusions_context(tmp_path, "*.ts\n")
    (root / "tools.ts").write_text("x\n")
    status, _summary, evidence = check(root, "server/routes/authRoutes.ts")
    assert status == "pass"
    assert evidence["needed"][0]["excluded"] is False
    [hint] = evidence["root_only_patterns"]
    assert hint["pattern"] == "*.ts" and hint["everywhere"] == "**/*.ts" and hint["kept_deeper"] == 2


def test_a_needed_file_no_copy_takes_is_not_a_cause(tmp_path):
    status, _summary, evidence = check(exclusions_context(tmp_path), "README.md")
    assert status == "pass"
    assert evidence["needed"][0]["excluded"] is True and evidence["needed"][0]["copied_by"] == []


def test_dockerfile_specific_ignore_file_wins_and_the_root_one_is_reported_unused(tmp_path):
    root = exclusions_context(tmp_path, "!config\n")
    (root / "docker").mkdir()
    (root / "docker/app.Dockerfile").write_text(EXCLUSIONS_DOCKERFILE.format(base="scratch"))
    (root / "docker/app.Dockerfile.dockerignore").write_text("config\n")
    status, summary, evidence = check(root, dockerfile="docker/app.Dockerfile")
    assert status == "fail" and "app.Dockerfile.dockerignore line 1" in summary
    assert evidence["dockerignore"].endswith("docker/app.Dockerfile.dockerignore")
    assert evidence["unused_dockerignore"].endswith("/.dockerignore")


def test_no_dockerignore_and_bad_inputs(tmp_path):
    root = exclusions_context(tmp_path, dockerignore=None)
    status, summary, evidence = check(root)
    assert status == "pass" and evidence["dockerignore"] is None and "no .dockerignore" in summary
    assert check(root, "../outside")[0] == "error"
    assert check(tmp_path / "nope")[0] == "error"


def test_a_source_above_the_context_is_an_error_not_a_cause(tmp_path):
    """BuildKit reads `COPY ../x` from the context root and the old builder refuses it: the
    check does not guess which, and says it cannot follow the source."""
    root = exclusions_context(tmp_path, dockerfile="FROM {base}\nCOPY ../shared/z.txt /b/\n")
    status, summary, _evidence = check(root)
    assert status == "error" and "outside the build context" in summary


def test_paths_param_splits_on_commas_and_newlines():
    assert split_paths("a, b\nc,,a") == ["a", "b", "c"]
    assert split_paths(("x", "y,z")) == ["x", "y", "z"]
