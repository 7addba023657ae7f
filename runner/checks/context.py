"""The two check kinds over a build context: `dockerignore` (which paths `.dockerignore` keeps
out of the build, and whether a COPY/ADD wanted them) and `dockerfile` (what each stage's
COPY/ADD takes from the context). The reading, matching and expansion are in `runner/buildctx/`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from runner.buildctx import ContextError
from runner.buildctx.copies import EVIDENCE_LIMIT, analyze_context, covering_copies
from runner.buildctx.dockerfile import Dockerfile, read_dockerfile
from runner.buildctx.dockerignore import (
    DockerIgnore,
    find_dockerignore,
    normalize_relpath,
)
from runner.buildctx.walk import walk_context
from runner.checks.kinds import ContextArgs, DockerignoreArgs
from runner.checks.result import CheckContext, CheckResult


def _context_dir(args: ContextArgs, ctx: CheckContext) -> Path:
    path = Path(args.context).expanduser()
    return path if path.is_absolute() else Path(ctx.cwd) / path


def dockerignore(args: DockerignoreArgs, ctx: CheckContext) -> CheckResult:
    """Which paths .dockerignore keeps out of the build, and whether a COPY/ADD wanted them."""
    root = _context_dir(args, ctx)
    if not root.is_dir():
        return CheckResult("error", f"build context {root} is not a directory", {"context": str(root)})
    dockerfile_path = Path(args.dockerfile) if Path(args.dockerfile).is_absolute() else root / args.dockerfile
    ignore_path = find_dockerignore(root, dockerfile_path)
    evidence: dict[str, Any] = {"context": str(root), "dockerignore": str(ignore_path) if ignore_path else None}
    try:
        ignore = DockerIgnore.from_file(ignore_path) if ignore_path else DockerIgnore()
    except ContextError as exc:
        return CheckResult("error", str(exc), evidence)
    evidence["patterns"] = [{"line": p.line, "pattern": str(p), "exception": p.exclusion} for p in ignore.patterns]

    parsed: Dockerfile | None = None
    needed: list[int] | None = None
    try:
        parsed = read_dockerfile(dockerfile_path)
        needed = parsed.needed_stages()
    except ContextError as exc:
        evidence["dockerfile_error"] = str(exc)

    results = []
    bad_paths = []
    for raw in args.paths:
        try:
            path = normalize_relpath(raw)
        except ValueError as exc:
            bad_paths.append(str(exc))
            continue
        result = ignore.match(path)
        item: dict[str, Any] = {
            "path": path, "excluded": result.excluded,
            "pattern": str(result.pattern) if result.pattern else None,
            "pattern_line": result.pattern.line if result.pattern else None,
            "exists": os.path.lexists(root / path) if path else True,
        }
        if result.pruned_at:
            item["excluded_directory"] = result.pruned_at
        if parsed is not None:
            item["copied_by"] = [c.line for c in covering_copies(parsed, path, needed)]
        results.append(item)
    evidence["paths"] = results
    if bad_paths:
        evidence["bad_paths"] = bad_paths

    entries = list(walk_context(root, ignore))
    excluded = [e for e in entries if e.excluded and e.kind != "dir"]
    evidence["excluded_count"] = len(excluded)
    evidence["excluded"] = [e.relpath + ("/" if e.kind == "pruned" else "") for e in excluded[:EVIDENCE_LIMIT]]
    dockerfile_rel = _relative_to(dockerfile_path, root)
    build_files = []
    for name in (dockerfile_rel, ".dockerignore"):
        if name is not None:
            hit = ignore.match(name)
            if hit.excluded:
                build_files.append({"path": name, "pattern": str(hit.pattern)})
    if build_files:
        # Both builders still read them, but no COPY sees them: the CLI re-adds them to the
        # context it sends and the daemon removes them again (builder/remotecontext/detect.go).
        evidence["build_files_excluded"] = build_files

    wanted = [r for r in results if r["excluded"] and r.get("copied_by")]
    if bad_paths:
        return CheckResult("error", "; ".join(bad_paths), evidence)
    if wanted:
        names = ", ".join(f"{r['path']} (by {r['pattern']!r})" for r in wanted[:3])
        return CheckResult("fail", f"excluded by .dockerignore although a COPY/ADD includes it: {names}", evidence)
    if parsed is None and any(r["excluded"] for r in results):
        names = ", ".join(r["path"] for r in results if r["excluded"])
        return CheckResult("warn", f"excluded by .dockerignore: {names} (Dockerfile unreadable)", evidence)
    if not ignore_path:
        return CheckResult("pass", "no .dockerignore: the whole context is sent", evidence)
    if results:
        kept = sum(1 for r in results if not r["excluded"])
        return CheckResult("pass", f"{kept} of {len(results)} path(s) reach the build; "
                                   f"{len(excluded)} context entries excluded", evidence)
    return CheckResult("pass", f"{len(ignore.patterns)} pattern(s) exclude {len(excluded)} context entries",
                       evidence)


def _relative_to(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def dockerfile(args: ContextArgs, ctx: CheckContext) -> CheckResult:
    """COPY/ADD sources of each stage: what they take from the context, what .dockerignore removes."""
    root = _context_dir(args, ctx)
    evidence: dict[str, Any] = {"context": str(root), "dockerfile": args.dockerfile}
    try:
        analysis = analyze_context(root, args.dockerfile)
    except ContextError as exc:
        return CheckResult("error", str(exc), evidence)
    df = analysis.dockerfile
    evidence["dockerignore"] = str(analysis.dockerignore_path) if analysis.dockerignore_path else None
    evidence["directives"] = dict(df.directives)
    by_line = {e.copy.line: e for e in analysis.copies}
    stages = []
    for stage in df.stages:
        copies = []
        for copy in stage.copies:
            expansion = by_line.get(copy.line)
            copies.append(expansion.to_evidence() if expansion else copy.to_evidence())
        stages.append({
            "index": stage.index, "name": stage.name, "base": stage.base, "base_stage": stage.base_stage,
            "line": stage.line, "workdir": stage.workdir, "built": stage.index in analysis.needed_stages,
            "copies": copies,
        })
    evidence["stages"] = stages
    evidence["final_stage"] = analysis.target
    verbatim = analysis.verbatim()
    evidence["verbatim_count"] = len(verbatim)
    evidence["verbatim"] = [{"path": v.context_path, "image_path": v.image_path} for v in verbatim[:EVIDENCE_LIMIT]]
    evidence["modified_after_copy"] = sum(1 for f in analysis.final_files if f.verbatim and f.modified_later)
    if analysis.unreadable:
        evidence["unreadable"] = list(analysis.unreadable)

    missing = [(e.copy.line, m) for e in analysis.copies for m in e.missing]
    if missing:
        where = ", ".join(f"line {line}: {m}" for line, m in missing[:3])
        return CheckResult("fail", f"COPY/ADD source not in the build context, the build fails: {where}",
                           evidence)
    n_copies = len(analysis.copies)
    n_files = sum(len(e.files) for e in analysis.copies)
    n_excluded = sum(len(e.excluded) for e in analysis.copies)
    summary = (f"{len(df.stages)} stage(s), {n_copies} COPY/ADD from the context taking {n_files} file(s); "
               f"{len(verbatim)} reach the final image verbatim")
    if n_excluded:
        summary += f"; .dockerignore removes {n_excluded} they name"
    if analysis.unreadable or any(e.copy.has_variables for e in analysis.copies):
        notes = []
        if analysis.unreadable:
            notes.append(f"unreadable: {', '.join(analysis.unreadable[:3])}")
        if any(e.copy.has_variables for e in analysis.copies):
            names = [s for e in analysis.copies for s in e.unresolved] or ["the destination"]
            notes.append(f"$variables not expanded: {', '.join(names[:3])}")
        return CheckResult("warn", summary + " (" + "; ".join(notes) + ")", evidence)
    return CheckResult("pass", summary, evidence)
