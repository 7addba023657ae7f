"""The `git` check and `changed_since` against real repositories made in tmp_path: no mocks."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest

from runner.checks.git import (
    changed_since,
    changed_since_each,
    git_state,
    parse_porcelain,
    parse_submodule_status,
)
from runner.checks.kinds import GitArgs
from runner.checks.result import CheckContext

ENV = {
    "GIT_AUTHOR_NAME": "Runner Test", "GIT_AUTHOR_EMAIL": "test@runner.invalid",
    "GIT_COMMITTER_NAME": "Runner Test", "GIT_COMMITTER_EMAIL": "test@runner.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def git_identity(monkeypatch):
    # The check runs git too: it must see the same isolated configuration.
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)


def git(cwd: Path, *args: str, date: str | None = None, check: bool = True) -> str:
    env = {**os.environ, **ENV}
    if date:
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = date
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=30)
    if check and done.returncode:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout


def commit(repo: Path, files: dict[str, str], message: str, date: str | None = None) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)


def check(path: Path, fetch: bool = False, cwd: Path | None = None):
    return git_state(GitArgs(path=str(path), fetch=fetch), CheckContext(cwd=cwd or Path.cwd()))


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, {"app.txt": "v1\n", "src/main.ts": "one\n"}, "initial")
    return root


@pytest.fixture
def remote_and_clone(tmp_path, repo) -> tuple[Path, Path, Path]:
    """A bare 'remote', a clone that tracks it, and the original repository pushing to it."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "fetch", "-q", "origin")
    git(repo, "branch", "-q", "--set-upstream-to=origin/main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    return remote, clone, repo


# --------------------------------------------------------------------------- git_state


def test_not_a_repository_is_skipped_not_an_error(tmp_path):
    result = check(tmp_path)
    assert result.status == "skip"
    assert "not inside a git work tree" in result.summary


def test_missing_path_is_an_error(tmp_path):
    result = check(tmp_path / "nope")
    assert result.status == "error" and "does not exist" in result.summary


def test_shell_metacharacters_in_the_path_stay_one_argument(tmp_path):
    odd = tmp_path / "x; touch pwned $(id)"
    odd.mkdir()
    result = check(odd)
    assert result.status == "skip" and str(odd) in result.summary
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_clean_repository_without_upstream_passes(repo):
    result = check(repo)
    assert result.status == "pass", result
    ev = result.evidence
    assert ev["toplevel"] == str(repo)
    assert ev["branch"] == "main" and ev["detached"] is False
    assert ev["upstream"] is None and ev["ahead"] is None and ev["behind"] is None
    assert ev["head"]["subject"] == "initial" and len(ev["head"]["commit"]) == 40
    assert dt.datetime.fromisoformat(ev["head"]["time"]).timestamp() == ev["head"]["timestamp"]
    assert ev["changes"] == [] and ev["untracked"] == [] and ev["submodules"] == []
    assert "no upstream" in result.summary


def test_relative_path_from_a_subdirectory_finds_the_toplevel(repo):
    result = check(Path("src"), cwd=repo)
    assert result.status == "pass" and result.evidence["toplevel"] == str(repo)


def test_up_to_date_clone_passes(remote_and_clone):
    _, clone, _ = remote_and_clone
    result = check(clone)
    assert result.status == "pass", result
    assert result.evidence["upstream"] == "origin/main"
    assert (result.evidence["ahead"], result.evidence["behind"]) == (0, 0)
    assert "up to date with origin/main" in result.summary


def test_behind_upstream_after_fetch_fails(remote_and_clone):
    _, clone, repo = remote_and_clone
    commit(repo, {"app.txt": "v2\n"}, "fix")
    git(repo, "push", "-q", "origin", "main")
    assert check(clone).evidence["behind"] == 0  # not fetched: the check does not fetch by itself
    git(clone, "fetch", "-q")
    result = check(clone)
    assert result.status == "fail"
    assert result.evidence["behind"] == 1 and result.evidence["ahead"] == 0
    assert result.evidence["upstream_head"] == git(repo, "rev-parse", "HEAD").strip()
    assert "1 commit(s) behind origin/main" in result.summary


def test_fetch_on_request(remote_and_clone):
    _, clone, repo = remote_and_clone
    commit(repo, {"app.txt": "v2\n"}, "fix")
    git(repo, "push", "-q", "origin", "main")
    result = check(clone, fetch=True)
    assert result.evidence["fetch"] == {"ran": True, "remote": "origin", "ok": True}
    assert result.status == "fail" and result.evidence["behind"] == 1


def test_failed_fetch_warns_and_keeps_the_last_known_upstream(remote_and_clone, tmp_path):
    _, clone, _ = remote_and_clone
    git(clone, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    result = check(clone, fetch=True)
    assert result.status == "warn"
    assert result.evidence["fetch"]["ok"] is False and "fetch" in result.evidence["fetch"]["error"]
    assert result.evidence["behind"] == 0


def test_ahead_only_passes(remote_and_clone):
    _, clone, _ = remote_and_clone
    commit(clone, {"local.txt": "x\n"}, "local work")
    result = check(clone)
    assert result.status == "pass"
    assert (result.evidence["ahead"], result.evidence["behind"]) == (1, 0)
    assert "1 commit(s) ahead" in result.summary


def test_uncommitted_changes_warn_with_path_and_status(repo):
    (repo / "app.txt").write_text("edited\n")
    (repo / "staged file.txt").write_text("new\n")
    git(repo, "add", "staged file.txt")
    git(repo, "mv", "src/main.ts", "src/renamed.ts")
    (repo / "notes\nwith newline.md").write_text("untracked\n")
    result = check(repo)
    assert result.status == "warn", result
    changes = {c["path"]: c for c in result.evidence["changes"]}
    assert changes["app.txt"]["status"] == " M"
    assert changes["staged file.txt"]["status"] == "A "
    assert changes["src/renamed.ts"] == {"status": "R ", "path": "src/renamed.ts", "orig_path": "src/main.ts"}
    assert result.evidence["untracked"] == ["notes\nwith newline.md"]
    assert result.evidence["changes_count"] == 3
    assert "3 uncommitted change(s)" in result.summary


def test_untracked_only_passes_but_lists_them(repo):
    (repo / "scratch.txt").write_text("x\n")
    result = check(repo)
    assert result.status == "pass" and result.evidence["untracked"] == ["scratch.txt"]


def test_unfinished_merge_fails(repo):
    git(repo, "checkout", "-q", "-b", "other")
    commit(repo, {"app.txt": "other\n"}, "other side")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"app.txt": "main\n"}, "main side")
    git(repo, "merge", "-q", "other", check=False)
    result = check(repo)
    assert result.status == "fail"
    assert result.evidence["in_progress"] == "merge"
    assert result.evidence["conflicts"] == ["app.txt"]
    assert "merge is not finished" in result.summary


def test_unfinished_rebase_fails(repo):
    git(repo, "checkout", "-q", "-b", "other")
    commit(repo, {"app.txt": "other\n"}, "other side")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"app.txt": "main\n"}, "main side")
    git(repo, "checkout", "-q", "other")
    git(repo, "rebase", "main", check=False)
    result = check(repo)
    assert result.status == "fail" and result.evidence["in_progress"] == "rebase"
    assert result.evidence["branch"] is None  # HEAD is detached during a rebase


def test_detached_head_passes_and_says_so(repo):
    commit(repo, {"app.txt": "v2\n"}, "second")
    git(repo, "checkout", "-q", "HEAD~1")
    result = check(repo)
    assert result.status == "pass"
    assert result.evidence["detached"] is True and result.evidence["branch"] is None
    assert result.summary.startswith("detached HEAD at ")


def test_repository_without_commits(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    result = check(empty)
    assert result.status == "pass" and result.evidence["head"] is None
    assert "no commit yet" in result.summary


@pytest.fixture
def with_submodule(tmp_path, repo) -> tuple[Path, Path]:
    lib = tmp_path / "lib"
    lib.mkdir()
    git(lib, "init", "-q", "-b", "main")
    commit(lib, {"lib.txt": "1\n"}, "lib one")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    git(repo, "commit", "-q", "-m", "add lib")
    return repo, lib


def test_submodule_at_the_recorded_commit_passes(with_submodule):
    repo, _ = with_submodule
    result = check(repo)
    assert result.status == "pass", result
    (sub,) = result.evidence["submodules"]
    assert sub["path"] == "vendor/lib" and sub["state"] == "ok"
    assert sub["checked_out"] == sub["recorded"]


def test_submodule_on_another_commit_fails(with_submodule):
    repo, _ = with_submodule
    commit(repo / "vendor/lib", {"lib.txt": "2\n"}, "lib two")
    result = check(repo)
    assert result.status == "fail"
    (sub,) = result.evidence["submodules"]
    assert sub["state"] == "modified" and sub["checked_out"] != sub["recorded"]
    assert "submodule vendor/lib checked out at another commit than recorded" in result.summary


def test_pull_that_left_the_submodule_behind_fails(with_submodule, tmp_path):
    repo, lib = with_submodule
    clone = tmp_path / "deploy"
    git(tmp_path, "-c", "protocol.file.allow=always", "clone", "-q", "--recurse-submodules", str(repo), str(clone))
    assert check(clone).status == "pass"
    commit(lib, {"lib.txt": "2\n"}, "lib two")
    git(repo / "vendor/lib", "pull", "-q", "origin", "main")
    git(repo, "commit", "-q", "-am", "bump lib")
    git(clone, "pull", "-q", "--no-recurse-submodules")  # the pull, without `submodule update`
    result = check(clone)
    assert result.status == "fail"
    assert result.evidence["behind"] == 0
    assert result.evidence["submodules"][0]["state"] == "modified"


def test_uninitialized_submodule_fails(with_submodule, tmp_path):
    repo, _ = with_submodule
    clone = tmp_path / "shallow-clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))  # no --recurse-submodules
    result = check(clone)
    assert result.status == "fail"
    assert result.evidence["submodules"][0]["state"] == "uninitialized"
    assert "not initialized" in result.summary


def test_evidence_is_json_serialisable(with_submodule):
    import json

    repo, _ = with_submodule
    (repo / "app.txt").write_text("x\n")
    json.dumps(check(repo).evidence)


# --------------------------------------------------------------------------- parsers


def test_parse_porcelain_with_renames_and_odd_names():
    data = b" M a.txt\0R  new name\0old name\0?? dir/\0UU c\0C  copy\0orig\0"
    assert parse_porcelain(data) == [
        {"status": " M", "path": "a.txt"},
        {"status": "R ", "path": "new name", "orig_path": "old name"},
        {"status": "??", "path": "dir/"},
        {"status": "UU", "path": "c"},
        {"status": "C ", "path": "copy", "orig_path": "orig"},
    ]


def test_parse_submodule_status_prefixes():
    sha = "a" * 40
    text = f" {sha} ok (heads/main)\n+{sha} moved\n-{sha} not init\nU{sha} in conflict\n"
    assert [(s["path"], s["state"]) for s in parse_submodule_status(text)] == [
        ("ok", "ok"), ("moved", "modified"), ("not init", "uninitialized"), ("in conflict", "conflict")]


# --------------------------------------------------------------------------- changed_since


def test_changed_since_lists_newer_commits_and_uncommitted_work(repo):
    commit(repo, {"old.txt": "x\n"}, "old", date="2020-01-01T00:00:00+00:00")
    commit(repo, {"new.txt": "y\n"}, "new", date="2024-01-01T00:00:00+00:00")
    (repo / "app.txt").write_text("edited\n")
    (repo / "untracked.txt").write_text("u\n")
    (repo / ".gitignore").write_text("ignored.log\n")
    (repo / "ignored.log").write_text("i\n")
    when = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
    changed = changed_since(repo, when)
    assert "new.txt" in changed and "app.txt" in changed and "untracked.txt" in changed
    assert "old.txt" not in changed and "ignored.log" not in changed
    assert ".gitignore" in changed


def test_changed_since_each_moment_is_changed_since_it_alone(remote_and_clone):
    """The image's build and the deploy, asked at once (the checkout's own work read once):
    each answer is the one changed_since gives for that moment alone."""
    _, clone, repo = remote_and_clone
    git(clone, "reset", "-q", "--hard", "HEAD", date="2021-01-01T00:00:00+00:00")
    commit(repo, {"src/main.ts": "two\n"}, "fix", date="2020-06-01T00:00:00+00:00")
    git(repo, "push", "-q", "origin", "main")
    git(clone, "pull", "-q", "--ff-only", date="2023-01-01T00:00:00+00:00")
    (clone / "untracked.txt").write_text("u\n")
    built_from = git(clone, "rev-parse", "HEAD~1").strip()
    moments = [(dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc), None),
               (dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), None),
               (dt.datetime(2024, 1, 1), built_from)]
    together = changed_since_each(clone, moments)
    assert together == [changed_since(clone, when, revision) for when, revision in moments]
    assert "src/main.ts" in together[0] and "src/main.ts" not in together[1] and "src/main.ts" in together[2]
    assert all("untracked.txt" in changed for changed in together)
    assert changed_since_each(clone.parent / "elsewhere", moments) is None


def test_changed_since_sees_a_pull_of_commits_dated_before_the_build(remote_and_clone):
    """A fast-forward brings commits authored before the image: the reflog dates the pull."""
    _, clone, repo = remote_and_clone
    # The clone's reflog starts 2021 (its HEAD moves are dated like its committer).
    git(clone, "reset", "-q", "--hard", "HEAD", date="2021-01-01T00:00:00+00:00")
    commit(repo, {"src/main.ts": "two\n"}, "fix", date="2020-06-01T00:00:00+00:00")
    git(repo, "push", "-q", "origin", "main")
    git(clone, "pull", "-q", "--ff-only", date="2023-01-01T00:00:00+00:00")
    changed = changed_since(clone, dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc))
    assert changed == ["src/main.ts"]


def test_changed_since_a_fresh_clone_is_empty(remote_and_clone):
    _, clone, _ = remote_and_clone
    # An image built after the clone (commit times have whole seconds: keep one apart).
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    assert changed_since(clone, later) == []


def test_changed_since_is_relative_to_the_given_directory(repo):
    commit(repo, {"src/new.ts": "n\n", "top.txt": "t\n"}, "both", date="2099-01-01T00:00:00+00:00")
    when = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(seconds=1)  # naive: UTC
    assert changed_since(repo / "src", when) == ["new.ts"]


def test_changed_since_outside_a_repository_is_none(tmp_path):
    assert changed_since(tmp_path, dt.datetime.now(dt.timezone.utc)) is None


# What a team does to a checkout after a build, and what changed since it: by content and by
# when HEAD moved here, never by commit dates.

def built_now() -> dt.datetime:
    """A build's moment, one second after the setup (the reflog has whole seconds)."""
    import time

    time.sleep(1.05)
    moment = dt.datetime.now(dt.timezone.utc)
    time.sleep(1.05)
    return moment


def test_an_amend_that_keeps_the_content_changes_nothing(repo):
    when = built_now()
    git(repo, "commit", "-q", "--amend", "-m", "reworded", "--date=2030-01-01T00:00:00+00:00")
    assert changed_since(repo, when) == []


def test_an_amend_with_new_content_changes_that_file(repo):
    when = built_now()
    (repo / "app.txt").write_text("v2\n")
    git(repo, "commit", "-q", "-a", "--amend", "--no-edit", "--date=2001-01-01T00:00:00+00:00")  # authored long ago
    assert changed_since(repo, when) == ["app.txt"]


def test_a_revert_back_to_the_built_content_changes_nothing(repo):
    when = built_now()
    commit(repo, {"app.txt": "v2\n"}, "change")
    git(repo, "revert", "--no-edit", "HEAD")
    assert changed_since(repo, when) == []


def test_a_rebase_and_a_cherry_pick_change_what_they_bring(repo):
    git(repo, "branch", "-q", "other")
    git(repo, "checkout", "-q", "other")
    commit(repo, {"picked.txt": "p\n"}, "to pick", date="2001-01-01T00:00:00+00:00")
    picked = git(repo, "rev-parse", "HEAD").strip()
    commit(repo, {"based.txt": "b\n"}, "to rebase onto", date="2001-01-02T00:00:00+00:00")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"mine.txt": "m\n"}, "mine")
    when = built_now()
    git(repo, "cherry-pick", picked)
    assert changed_since(repo, when) == ["picked.txt"]
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    git(repo, "rebase", "-q", "other")  # brings picked.txt and based.txt under mine.txt
    assert changed_since(repo, when) == ["based.txt", "picked.txt"]


def test_a_commit_in_the_same_second_as_the_build_is_placed_by_when_its_file_was_written(repo):
    when = built_now()
    same_second = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    nanoseconds = int(when.timestamp() * 1e9)
    (repo / "before.txt").write_text("written before the build\n")
    os.utime(repo / "before.txt", ns=(nanoseconds - 200_000_000,) * 2)
    (repo / "after.txt").write_text("written after the build\n")
    os.utime(repo / "after.txt", ns=(nanoseconds + 200_000_000,) * 2)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "same second", date=same_second)
    assert changed_since(repo, when) == ["after.txt"]


def test_work_not_committed_counts_when_written_after_the_build(repo):
    (repo / "draft.txt").write_text("untracked before the build\n")
    (repo / "app.txt").write_text("edited before the build\n")
    when = built_now()
    (repo / "late.txt").write_text("untracked after\n")
    (repo / "src" / "main.ts").write_text("edited after\n")
    assert changed_since(repo, when) == ["late.txt", "src/main.ts"]


def test_the_images_revision_is_what_it_was_built_from(repo):
    built_from = git(repo, "rev-parse", "HEAD").strip()
    commit(repo, {"app.txt": "v2\n"}, "after the build, dated long before it", date="2001-01-01T00:00:00+00:00")
    when = built_now()  # the reflog alone would place that commit before the build
    assert changed_since(repo, when) == []
    assert changed_since(repo, when, revision=built_from) == ["app.txt"]
    assert changed_since(repo, when, revision="0" * 40) == []  # not in this repository: the reflog decides
