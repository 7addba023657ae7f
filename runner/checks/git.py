"""Git state of a checkout, read with the `git` CLI: argument lists, timeouts, no shell.

Read-only unless `fetch` is asked for: `GIT_OPTIONAL_LOCKS=0` keeps `git status` from
rewriting the index while it refreshes it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runner.checks.kinds import GitArgs
from runner.checks.result import CheckContext, CheckResult

GIT_TIMEOUT = 15.0
FETCH_TIMEOUT = 60.0
EVIDENCE_LIMIT = 200

_GIT_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",  # read-only: status must not write the index
    "GIT_TERMINAL_PROMPT": "0",  # a fetch must fail, not wait for a password
    "LC_ALL": "C",
}
_UNMERGED = frozenset({"DD", "AU", "UD", "UA", "DU", "AA", "UU"})
_OPERATIONS = (  # (file or directory in the git dir, what is in progress)
    ("rebase-merge", "rebase"), ("rebase-apply", "rebase"), ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"), ("REVERT_HEAD", "revert"), ("BISECT_LOG", "bisect"),
)


class GitError(Exception):
    pass


class NotARepository(GitError):
    pass


def _git(cwd: Path, *args: str, timeout: float = GIT_TIMEOUT, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=timeout,
                              env={**os.environ, **_GIT_ENV}, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise GitError("git is not installed (no `git` on PATH)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"`git {' '.join(args)}` did not finish in {timeout:g} s") from None
    if check and done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"`git {' '.join(args)}` failed: {message[-1] if message else done.returncode}")
    return done


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def toplevel(path: str | os.PathLike[str]) -> Path:
    """The work tree's top directory; NotARepository when `path` is not inside one."""
    path = Path(path)
    if not path.exists():
        raise NotARepository(f"{path} does not exist")
    cwd = path if path.is_dir() else path.parent
    done = _git(cwd, "rev-parse", "--show-toplevel", check=False)
    top = _text(done.stdout).strip()
    if done.returncode != 0 or not top:
        raise NotARepository(f"{path} is not inside a git work tree")
    return Path(top)


def parse_porcelain(data: bytes) -> list[dict[str, str]]:
    """`git status --porcelain=v1 -z`: one dict per entry, {status: "XY", path[, orig_path]}."""
    out = []
    fields = data.split(b"\0")
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        status, path = _text(entry[:2]), _text(entry[3:])
        item = {"status": status, "path": path}
        if "R" in status or "C" in status:  # the source path follows as its own field
            if i < len(fields):
                item["orig_path"] = _text(fields[i])
                i += 1
        out.append(item)
    return out


def parse_submodule_status(text: str) -> list[dict[str, str]]:
    """`git submodule status`: ` ` up to date, `+` other commit checked out, `-` not initialized,
    `U` merge conflict."""
    states = {" ": "ok", "+": "modified", "-": "uninitialized", "U": "conflict"}
    out = []
    for line in text.splitlines():
        if len(line) < 3:
            continue
        flag, rest = line[0], line[1:]
        commit, _, tail = rest.partition(" ")
        path = tail
        if tail.endswith(")") and " (" in tail:
            path = tail[: tail.rindex(" (")]
        out.append({"path": path, "checked_out": commit, "state": states.get(flag, flag)})
    return out


def _recorded_gitlinks(top: Path) -> dict[str, str]:
    """Submodule commits recorded in the index (mode 160000)."""
    done = _git(top, "ls-files", "--stage", "-z", check=False)
    out = {}
    for entry in done.stdout.split(b"\0"):
        if entry.startswith(b"160000 "):
            meta, _, path = entry.partition(b"\t")
            out[_text(path)] = _text(meta.split(b" ")[1])
    return out


def _operation(git_dir: Path) -> str | None:
    for name, operation in _OPERATIONS:
        if (git_dir / name).exists():
            return operation
    return None


def _head(top: Path) -> dict[str, Any] | None:
    done = _git(top, "log", "-1", "--format=%H%x00%s%x00%ct%x00%cI", check=False)
    if done.returncode != 0 or not done.stdout.strip():
        return None  # no commit yet
    commit, subject, stamp, iso = _text(done.stdout).rstrip("\n").split("\0", 3)
    return {"commit": commit, "subject": subject, "time": iso, "timestamp": int(stamp)}


def _optional(top: Path, *args: str) -> str | None:
    done = _git(top, *args, check=False)
    value = _text(done.stdout).strip()
    return value if done.returncode == 0 and value else None


def git_state(args: GitArgs, ctx: CheckContext) -> CheckResult:
    """HEAD, upstream, ahead/behind, uncommitted changes, operations in progress, submodules."""
    path = Path(args.path).expanduser()
    if not path.is_absolute():
        path = Path(ctx.cwd) / path
    evidence: dict[str, Any] = {"path": str(path)}
    try:
        top = toplevel(path)
    except NotARepository as exc:
        if not path.exists():
            return CheckResult("error", str(exc), evidence)
        # Many build contexts are plain folders (a CI workspace, an unpacked tarball): no
        # git state to judge is not a failure to diagnose.
        return CheckResult("skip", f"not a git checkout: {exc}", evidence)
    except GitError as exc:
        return CheckResult("error", str(exc), evidence)
    try:
        return _git_state(top, args, evidence)
    except GitError as exc:
        return CheckResult("error", str(exc), evidence)


def _git_state(top: Path, args: GitArgs, evidence: dict[str, Any]) -> CheckResult:
    git_dir = Path(_optional(top, "rev-parse", "--absolute-git-dir") or top / ".git")
    evidence["toplevel"] = str(top)
    head = _head(top)
    evidence["head"] = head
    branch = _optional(top, "symbolic-ref", "-q", "--short", "HEAD")
    evidence["branch"] = branch
    evidence["detached"] = branch is None and head is not None
    upstream = _optional(top, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}") if branch else None
    evidence["upstream"] = upstream

    fetch: dict[str, Any] = {"ran": False}
    if args.fetch and upstream:
        remote = _optional(top, "config", "--get", f"branch.{branch}.remote") or "origin"
        fetch = {"ran": True, "remote": remote}
        try:
            _git(top, "fetch", "--quiet", "--no-recurse-submodules", remote, timeout=FETCH_TIMEOUT)
            fetch["ok"] = True
        except GitError as exc:
            fetch.update(ok=False, error=str(exc))
    evidence["fetch"] = fetch

    ahead = behind = None
    if upstream and head:
        counts = _optional(top, "rev-list", "--left-right", "--count", "HEAD...@{upstream}")
        if counts:
            ahead, behind = (int(n) for n in counts.split())
    evidence["ahead"], evidence["behind"] = ahead, behind
    if upstream and behind:
        evidence["upstream_head"] = _optional(top, "rev-parse", "@{upstream}")

    status = _git(top, "status", "--porcelain=v1", "-z", "--untracked-files=normal").stdout
    entries = parse_porcelain(status)
    changes = [e for e in entries if e["status"] not in ("??", "!!")]
    untracked = [e["path"] for e in entries if e["status"] == "??"]
    conflicts = [e["path"] for e in changes if e["status"] in _UNMERGED]
    evidence["changes_count"] = len(changes)
    evidence["changes"] = changes[:EVIDENCE_LIMIT]
    evidence["untracked_count"] = len(untracked)
    evidence["untracked"] = untracked[:EVIDENCE_LIMIT]
    evidence["conflicts"] = conflicts[:EVIDENCE_LIMIT]
    operation = _operation(git_dir)
    evidence["in_progress"] = operation

    submodules: list[dict[str, str]] = []
    if (top / ".gitmodules").exists() or _recorded_gitlinks(top):
        done = _git(top, "submodule", "status", check=False)
        submodules = parse_submodule_status(_text(done.stdout))
        recorded = _recorded_gitlinks(top)
        for sub in submodules:
            if sub["path"] in recorded:
                sub["recorded"] = recorded[sub["path"]]
    evidence["submodules"] = submodules
    stale_subs = [s for s in submodules if s["state"] != "ok"]

    problems = []
    if behind:
        problems.append(f"{behind} commit(s) behind {upstream}")
    if operation:
        problems.append(f"a {operation} is not finished")
    elif conflicts:
        problems.append(f"{len(conflicts)} unmerged path(s)")
    for sub in stale_subs[:3]:
        what = {"modified": "checked out at another commit than recorded",
                "uninitialized": "not initialized", "conflict": "in conflict"}.get(sub["state"], sub["state"])
        problems.append(f"submodule {sub['path']} {what}")
    where = f"{branch or 'detached HEAD'}" + (f" at {head['commit'][:12]}" if head else " (no commit yet)")
    if problems:
        return CheckResult("fail", f"{where}: " + "; ".join(problems), evidence)
    notes = []
    if fetch.get("ran") and not fetch.get("ok"):
        notes.append("fetch failed, upstream as last fetched")
    if ahead:
        notes.append(f"{ahead} commit(s) ahead of {upstream}")
    if upstream is None and head is not None:
        notes.append("no upstream")
    if untracked:
        notes.append(f"{len(untracked)} untracked")
    if changes:
        notes.insert(0, f"{len(changes)} uncommitted change(s)")
        return CheckResult("warn", f"{where}: " + ", ".join(notes), evidence)
    if fetch.get("ran") and not fetch.get("ok"):
        return CheckResult("warn", f"{where}: " + ", ".join(notes), evidence)
    state = "up to date with " + upstream if upstream else "clean"
    return CheckResult("pass", f"{where}, {state}" + (f" ({', '.join(notes)})" if notes else ""), evidence)


def _git_date(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)  # Docker's times are UTC
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")


def changed_since(repo: str | os.PathLike[str], when: dt.datetime, revision: str | None = None) -> list[str] | None:
    """What changed in the checkout since `when` (an image's build): decided by content and by
    when HEAD moved, never by commit dates, which an amend, a rebase, a cherry-pick or a revert
    rewrites.

    * What HEAD held at `when` is the reflog's entry at that moment (a pull, reset, commit or
      checkout is logged when it happens here); before the reflog's first entry (a clone made
      after the build), the clone's. With `revision` (the image's
      org.opencontainers.image.revision, when this repository has it), that commit.
    * Committed: the files that differ between then and HEAD. The reflog has whole seconds: a
      move in the same second as `when` is after it when its file was written after `when` (its
      modification time, to the nanosecond).
    * Uncommitted (staged, unstaged, untracked and not ignored): when written after `when`; an
      edit made before the build was in the build.
    None when `repo` is not in a git work tree. A naive `when` is taken as UTC."""
    found = changed_since_each(repo, [(when, revision)])
    return None if found is None else found[0]


def changed_since_each(repo: str | os.PathLike[str],
                       moments: Sequence[tuple[dt.datetime, str | None]]) -> list[list[str]] | None:
    """changed_since for each (when, revision), the checkout's uncommitted work read once (on
    20,000 files each read of it takes ~25 ms)."""
    repo = Path(repo)
    try:
        top = toplevel(repo)
    except GitError:
        return None
    try:
        prefix = Path(os.path.realpath(repo)).relative_to(os.path.realpath(top)).as_posix()
    except ValueError:
        return None
    prefix = "" if prefix == "." else prefix + "/"
    has_head = _head(top) is not None
    if has_head:
        uncommitted = _names(_git(top, "diff", "--name-only", "-z", "--no-renames", "HEAD", check=False))
    else:
        uncommitted = _names(_git(top, "ls-files", "-z", check=False))
    uncommitted |= _names(_git(top, "ls-files", "-z", "--others", "--exclude-standard", check=False))
    out = []
    for when, revision in moments:
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        moment = when.timestamp()
        certain: set[str] = set()  # changed after `when` whatever their files' times say
        timed: set[str] = set(uncommitted)  # changed around `when`: placed by their modification time
        if has_head:
            if revision and _git(top, "cat-file", "-e", f"{revision}^{{commit}}", check=False).returncode == 0:
                certain |= _diff_names(top, revision, "HEAD")
            else:
                after = _reflog_at(top, when)
                before = _reflog_at(top, when - dt.timedelta(seconds=1))
                if after is not None:
                    certain |= _diff_names(top, after, "HEAD")
                if before is not None and after is not None and before != after:
                    timed |= _diff_names(top, before, after)
        changed = certain | {path for path in timed if _written_after(top / path, moment)}
        out.append(sorted(p[len(prefix):] for p in changed if p.startswith(prefix)))
    return out


def _reflog_at(top: Path, when: dt.datetime) -> str | None:
    """The commit HEAD held at `when` by the reflog (its first entry's for an earlier moment)."""
    done = _git(top, "rev-parse", "--verify", "-q", f"HEAD@{{{_git_date(when)}}}", check=False)
    found = _text(done.stdout).strip()
    return found if done.returncode == 0 and found else None


def _diff_names(top: Path, old: str, new: str) -> set[str]:
    return _names(_git(top, "diff", "--name-only", "-z", "--no-renames", old, new, check=False))


def _names(done: subprocess.CompletedProcess[bytes]) -> set[str]:
    if done.returncode != 0:
        return set()
    return {_text(p) for p in done.stdout.replace(b"\n", b"\0").split(b"\0") if p}


def _written_after(path: Path, moment: float) -> bool:
    """Whether the file was written after `moment`; a file that is gone counts (its deletion is
    not dated, and what a build used is no longer there)."""
    try:
        return path.lstat().st_mtime_ns > int(moment * 1e9)
    except OSError:
        return True
