"""Actions on the files of a build context."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from runner.fix.actions import (
    ActionContext,
    ActionResult,
    ExplainExclusionsArgs,
    TouchFilesArgs,
    UnexcludePathsArgs,
    ignore_file,
)


def _inside(context: Path, relpath: str) -> Path | None:
    """The file `relpath` names inside `context`, or None when it would leave the context."""
    if os.path.isabs(relpath):
        return None
    path = context / relpath
    try:
        path.resolve().relative_to(context.resolve())
    except ValueError:
        return None
    return path


def touch_files(args: TouchFilesArgs, ctx: ActionContext) -> ActionResult:
    """BuildKit syncs the local context by size, mtime and mode (moby/buildkit#4817): a newer
    mtime makes it send the file again, and COPY then sees the new content. Content and git
    state are untouched; unlike `docker builder prune --filter type=source.local`, other
    projects' records on a shared engine stay."""
    context = Path(args.context)
    touched, problems = [], []
    for relpath in dict.fromkeys(args.paths):
        path = _inside(context, relpath)
        if path is None:
            problems.append(f"{relpath}: outside the build context; not touched")
        elif not path.is_file():
            problems.append(f"{relpath}: no such file in {context}")
        else:
            before = path.stat().st_mtime_ns
            os.utime(path)  # now; a link's target, which is what the context sync reads
            after = path.stat().st_mtime_ns
            touched.append({"path": relpath, "mtime_before": _iso(before), "mtime_after": _iso(after)})
            ctx.output(f"touched {relpath}")
    details = {"touched": touched, "problems": problems}
    if problems:
        state = (f"touched {len(touched)} of {len(args.paths)} file(s): " + "; ".join(problems)) if touched \
            else "nothing was changed"
        return ActionResult(False, problems[0], details, state)
    return ActionResult(True, f"touched {len(touched)} file(s): {', '.join(t['path'] for t in touched)}", details)


def _iso(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.timezone.utc).isoformat(timespec="microseconds")


def explain_exclusions(args: ExplainExclusionsArgs, ctx: ActionContext) -> ActionResult:
    """Where each exclusion comes from, and the exact exception that would undo it. Reads only:
    `.dockerignore` may be deliberate, so changing it is the person's call."""
    ignore = ignore_file(args.context, args.dockerfile)
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.is_file() else []
    found = []
    for exclusion in args.excluded:
        line = next((i for i, text in enumerate(lines, 1) if exclusion.pattern and text.strip() == exclusion.pattern),
                    None)
        where = f"{ignore.name} line {line}" if line else ignore.name
        found.append({"path": exclusion.path, "pattern": exclusion.pattern, "line": line,
                      "exception": f"!{exclusion.path}"})
        by = f"by {exclusion.pattern!r} ({where})" if exclusion.pattern else f"by {where}"
        ctx.output(f"{exclusion.path} is excluded {by}; to send it to the build, add the line `!{exclusion.path}`")
    return ActionResult(True, f"{len(found)} changed file(s) excluded by .dockerignore", {"exclusions": found})


MARKER = "# added by `runner fix --fix edit-dockerignore`: changed files a pattern above excluded"


def unexclude_paths(args: UnexcludePathsArgs, ctx: ActionContext) -> ActionResult:
    """Append `!path` exceptions: a later exception re-includes what an earlier pattern
    excluded. Exact paths only, so nothing else the person excluded comes back."""
    context = Path(args.context)
    ignore = ignore_file(args.context, args.dockerfile)  # the file this build reads: its own first
    bad = [p for p in args.paths if _inside(context, p) is None]
    if bad:
        return ActionResult(False, f"{bad[0]}: outside the build context", {"refused": bad}, "nothing was changed")
    text = ignore.read_text(encoding="utf-8") if ignore.is_file() else ""
    existing = {line.strip() for line in text.splitlines()}
    added = [f"!{p}" for p in dict.fromkeys(args.paths) if f"!{p}" not in existing]
    if not added:
        return ActionResult(True, f"{ignore} already re-includes {', '.join(args.paths)}", {"added": []})
    block = ("" if not text or text.endswith("\n") else "\n") + "\n".join([MARKER, *added]) + "\n"
    tmp = ignore.with_name(f"{ignore.name}.runner-{os.getpid()}")
    tmp.write_text(text + block, encoding="utf-8")
    if ignore.exists():
        os.chmod(tmp, ignore.stat().st_mode & 0o7777)
    os.replace(tmp, ignore)
    for line in added:
        ctx.output(f"{ignore}: + {line}")
    return ActionResult(True, f"added {len(added)} exception(s) to {ignore}", {"file": str(ignore), "added": added})
