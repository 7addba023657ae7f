"""What `.dockerignore` keeps out of a build that the build wants: the check behind the
`dockerignore-excludes` playbook.

Pure code over the context and its Dockerfile (`runner/buildctx/` does the matching,
the walk and the COPY expansion); it never talks to an engine. It separates what looks the
same in a build log: a COPY/ADD source that `.dockerignore` excludes and one that is simply not
in the context both fail with `failed to compute cache key: "/x" not found` (Docker 20.10,
BuildKit) or `COPY failed: file not found in build context or excluded by .dockerignore`
(the legacy builder).

The matcher generation follows the docker client that would build (`docker-20.10` for the
20.10 CLI with BuildKit built in, `patternmatcher` for buildx and docker >= 23). On 20.10 a
pattern without `/`, such as `*.ts`, matches at the context root only; `**/*.ts` matches at
any depth; a directory pattern excludes everything below it; a later `!path` re-includes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from runner.buildctx import ContextError
from runner.buildctx.copies import EVIDENCE_LIMIT, analyze_context, covering_copies
from runner.buildctx.dockerignore import (
    DEFAULT_FLAVOR,
    FLAVORS,
    flavor_for_client,
    normalize_relpath,
)
from runner.buildctx.gopath import go_match, has_wildcards
from runner.checks.kinds import ContextExclusionsArgs
from runner.checks.result import CheckContext, CheckResult


def split_paths(given: tuple[str, ...] | str) -> list[str]:
    """Paths given as separate values or comma/newline separated in one (a playbook param)."""
    if isinstance(given, str):
        given = (given,)
    out: list[str] = []
    for value in given:
        out.extend(p.strip() for p in re.split(r"[,\n]", value) if p.strip())
    return list(dict.fromkeys(out))


def build_flavor(wanted: str | None = None) -> tuple[str, str | None]:
    """(matcher generation, the client it follows): the given one, else that of the docker
    client a build would use, else docker 20.10's."""
    if wanted:
        return wanted, None
    try:
        from runner.engine.clients import buildkit_client

        client = buildkit_client()
    except Exception:  # noqa: BLE001 - no client here: the checks still read the context
        return DEFAULT_FLAVOR, None
    return flavor_for_client(client.version), f"{client.path} {client.version}"


def _copy_text(copy: Any) -> str:
    return f"{copy.instruction} {' '.join(copy.sources)} {copy.dest}"


def _pattern_line(ignore: Any, text: str | None) -> int | None:
    for pattern in ignore.patterns:
        if str(pattern) == text:
            return pattern.line
    return None


def context_exclusions(args: ContextExclusionsArgs, ctx: CheckContext) -> CheckResult:
    root = Path(args.context).expanduser()
    root = root if root.is_absolute() else Path(ctx.cwd) / root
    flavor, client = build_flavor(args.flavor)
    if flavor not in FLAVORS:
        return CheckResult("error", f"unknown matcher {flavor!r}: one of {', '.join(FLAVORS)}")
    evidence: dict[str, Any] = {"context": str(root), "dockerfile": args.dockerfile, "flavor": flavor,
                                "client": client}
    try:
        analysis = analyze_context(root, args.dockerfile, target=args.target or None, flavor=flavor)
    except ContextError as exc:
        return CheckResult("error", f"cannot read the build context: {exc}", evidence)
    except ValueError as exc:  # a `../` source: BuildKit reads it from the context root, the old builder refuses it
        return CheckResult("error", f"cannot follow a COPY/ADD source: {exc}", evidence)
    ignore = analysis.ignore
    ignore_path = analysis.dockerignore_path
    evidence["dockerignore"] = str(ignore_path) if ignore_path else None
    root_ignore = root / ".dockerignore"
    if ignore_path is not None and root_ignore.exists() and ignore_path.resolve() != root_ignore.resolve():
        # BuildKit reads <Dockerfile>.dockerignore instead: edits to the root file change nothing.
        evidence["unused_dockerignore"] = str(root_ignore)
    evidence["patterns"] = [{"line": p.line, "pattern": str(p), "exception": p.exclusion} for p in ignore.patterns]

    excluded_sources: list[dict[str, Any]] = []
    missing_sources: list[dict[str, Any]] = []
    partly: list[dict[str, Any]] = []
    for expansion in analysis.copies:
        copy = expansion.copy
        for missing in expansion.missing:
            source = next((s for s in copy.sources if missing == s or missing.startswith(s + " (excluded by ")), missing)
            try:
                clean = normalize_relpath(source)
            except ValueError:
                missing_sources.append({"source": source, "copy_line": copy.line, "copy": _copy_text(copy),
                                        "why": "outside the build context"})
                continue
            on_disk = os.path.lexists(root / clean)
            result = ignore.match(clean) if on_disk else None
            if result is not None and result.excluded:
                pattern = str(result.pattern) if result.pattern else None
                item = {"path": clean, "source": source, "pattern": pattern,
                        "pattern_line": result.pattern.line if result.pattern else None,
                        "copy_line": copy.line, "copy": _copy_text(copy), "stage": copy.stage}
                if result.pruned_at:
                    item["excluded_directory"] = result.pruned_at
                excluded_sources.append(item)
            else:
                missing_sources.append({"source": source, "copy_line": copy.line, "copy": _copy_text(copy),
                                        "why": "not in the build context" if not on_disk
                                        else "not sent to the build"})
        if expansion.excluded:
            partly.append({"copy_line": copy.line, "copy": _copy_text(copy),
                           "excluded_count": len(expansion.excluded),
                           "excluded": [{"path": e.relpath + ("/" if e.is_dir else ""), "pattern": e.pattern}
                                        for e in expansion.excluded[:20]]})
    evidence["copy_sources_excluded"] = excluded_sources
    evidence["copy_sources_missing"] = missing_sources
    evidence["copies_with_exclusions"] = partly[:EVIDENCE_LIMIT]

    needed_excluded: list[dict[str, Any]] = []
    needed: list[dict[str, Any]] = []
    bad: list[str] = []
    for raw in split_paths(args.paths):
        try:
            path = normalize_relpath(raw)
        except ValueError as exc:
            bad.append(str(exc))
            continue
        result = ignore.match(path)
        copies = covering_copies(analysis.dockerfile, path, analysis.needed_stages)
        item = {"path": path, "exists": os.path.lexists(root / path), "excluded": result.excluded,
                "pattern": str(result.pattern) if result.pattern else None,
                "pattern_line": result.pattern.line if result.pattern else None,
                "copied_by": [c.line for c in copies]}
        if result.pruned_at:
            item["excluded_directory"] = result.pruned_at
        needed.append(item)
        if result.excluded and copies and item["exists"]:
            needed_excluded.append(item)
    evidence["needed"] = needed
    evidence["needed_excluded"] = needed_excluded
    if bad:
        evidence["bad_paths"] = bad
    evidence["root_only_patterns"] = _root_only(analysis)

    if bad:
        return CheckResult("error", "; ".join(bad), evidence)
    if excluded_sources:
        first = excluded_sources[0]
        name = ignore_path.name if ignore_path else ".dockerignore"
        where = f"{name} line {first['pattern_line']}" if first["pattern_line"] else name
        return CheckResult("fail", f"line {first['copy_line']} `{first['copy']}` names {first['path']}, which "
                           f"{where} ({first['pattern']!r}) excludes: the build fails with "
                           f"\"/{first['path']}\" not found" + _more(excluded_sources), evidence)
    if missing_sources:
        first = missing_sources[0]
        return CheckResult("fail", f"line {first['copy_line']} `{first['copy']}`: {first['source']} is "
                           f"{first['why']} (.dockerignore does not exclude it)" + _more(missing_sources), evidence)
    if needed_excluded:
        names = ", ".join(f"{n['path']} (by {n['pattern']!r})" for n in needed_excluded[:3])
        name = ignore_path.name if ignore_path else ".dockerignore"
        return CheckResult("fail", f"the image will lack {names}: a COPY/ADD includes it but {name} "
                           "excludes it, silently", evidence)
    kept = sum(1 for n in needed if not n["excluded"])
    summary = (f"{len(ignore.patterns)} pattern(s) in {ignore_path.name if ignore_path else 'no .dockerignore'}; "
               f"every COPY/ADD source reaches the build")
    if needed:
        summary += f"; {kept} of {len(needed)} needed path(s) reach it"
    return CheckResult("pass", summary, evidence)


def _more(items: list[Any]) -> str:
    return f" (and {len(items) - 1} more)" if len(items) > 1 else ""


def _root_only(analysis: Any) -> list[dict[str, Any]]:
    """Patterns like `*.ts` (no `/`): with the 20.10 matcher they exclude at the context root
    only. Lists those that leave same-named files deeper in the context in the build, with an
    example: `**/*.ts` would exclude them."""
    out = []
    files = [e.relpath for e in analysis.entries if e.kind in ("file", "symlink")]
    for pattern in analysis.ignore.patterns:
        if pattern.exclusion or "/" in pattern.text or not has_wildcards(pattern.text):
            continue
        deeper = [f for f in files if "/" in f and _name_matches(pattern.text, f.rpartition("/")[2])]
        kept = [f for f in deeper if not analysis.ignore.match(f).excluded]
        if kept:
            out.append({"pattern": str(pattern), "line": pattern.line, "kept_deeper": len(kept),
                        "example": kept[0], "everywhere": f"**/{pattern.text}"})
    return out


def _name_matches(pattern: str, name: str) -> bool:
    try:
        return go_match(pattern, name)
    except ContextError:
        return False
