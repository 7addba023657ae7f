"""Where COPY/ADD puts context files, as BuildKit's `dispatchCopy` does: sources are relative to
the root of the context or stage, the destination to WORKDIR; a directory source copies its
contents; wildcards may match nothing. Each file is followed through the stages a build runs
(`COPY --from`, a later RUN that may rewrite it) up to the target stage."""

from __future__ import annotations

import bisect
import os
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from runner.buildctx import BadPattern, ContextError, DockerfileError
from runner.buildctx.dockerfile import (
    CopyInstruction,
    Dockerfile,
    is_remote,
    join_image_path,
    read_dockerfile,
)
from runner.buildctx.dockerignore import (
    DEFAULT_FLAVOR,
    DockerIgnore,
    find_dockerignore,
    normalize_relpath,
)
from runner.buildctx.gopath import go_clean, go_match, has_wildcards
from runner.buildctx.walk import ContextFile, Entry, Tree, walk_context

EVIDENCE_LIMIT = 200  # longest list a check puts in its evidence; the count is always given


class CopiedFile(NamedTuple):
    """One context file that a context COPY/ADD puts into a stage. (Tuples: a context has
    10,000s of them, made and remade per stage.)"""

    context_path: str
    image_path: str  # absolute, in the stage of the COPY
    stage: int
    line: int
    instruction: str
    alt_image_path: str | None = None  # when the destination may be an existing directory of the base image
    unpacked: bool = False  # ADD of a local archive: extracted, not copied
    symlink: bool = False


@dataclass(frozen=True)
class CopyExpansion:
    copy: CopyInstruction
    files: tuple[CopiedFile, ...] = ()
    excluded: tuple[ContextFile, ...] = ()  # what the sources name but .dockerignore keeps out
    missing: tuple[str, ...] = ()  # literal sources the build will not find: it fails
    empty_wildcards: tuple[str, ...] = ()  # wildcard sources that match nothing (allowed)
    remote: tuple[str, ...] = ()  # ADD of a URL or git repository
    unresolved: tuple[str, ...] = ()  # sources with $variables: not expanded, not followed

    def to_evidence(self, limit: int = EVIDENCE_LIMIT) -> dict[str, Any]:
        out = self.copy.to_evidence()
        if self.copy.from_context:
            out["files"] = len(self.files)
            out["excluded_count"] = len(self.excluded)
            out["excluded"] = [{"path": e.relpath + ("/" if e.is_dir else ""), "pattern": e.pattern}
                               for e in self.excluded[:limit]]
            if self.missing:
                out["missing"] = list(self.missing)
            if self.empty_wildcards:
                out["empty_wildcards"] = list(self.empty_wildcards)
            if self.remote:
                out["remote"] = list(self.remote)
            if self.unresolved:
                out["unresolved"] = list(self.unresolved)
            unpacked = [f.context_path for f in self.files if f.unpacked]
            if unpacked:
                out["unpacked"] = unpacked
        return out


class VerbatimFile(NamedTuple):
    """A context file that reaches the final image unchanged: compare the two byte for byte."""

    context_path: str
    image_path: str


class TrackedFile(NamedTuple):
    """Where a context file ends up in a stage, and whether its bytes may have changed since."""

    context_path: str
    image_path: str
    copied_in_stage: int  # the stage whose COPY took it from the context
    line: int  # that COPY's line
    modified_later: bool = False  # a RUN, or a COPY of unknown content over it, came after
    alt_image_path: str | None = None
    unpacked: bool = False
    symlink: bool = False

    @property
    def verbatim(self) -> bool:
        return not (self.unpacked or self.symlink)


@dataclass(frozen=True)
class ContextAnalysis:
    context_dir: Path
    dockerfile_path: Path
    dockerignore_path: Path | None
    dockerfile: Dockerfile
    ignore: DockerIgnore
    entries: tuple[Entry, ...]
    copies: tuple[CopyExpansion, ...]  # context COPY/ADD of the stages the build runs, in order
    needed_stages: tuple[int, ...]
    target: int
    final_files: tuple[TrackedFile, ...]  # context files in the target stage, by image path
    unreadable: tuple[str, ...] = ()

    def files(self) -> list[ContextFile]:
        return [e.as_context_file() for e in self.entries if e.kind != "dir"]

    def copies_of(self, relpath: str) -> list[CopyInstruction]:
        """The COPY/ADD (of the stages this build runs) whose sources name `relpath`, by path
        alone: also for a file .dockerignore excludes, one inside a skipped directory, or a
        deleted one."""
        return covering_copies(self.dockerfile, relpath, self.needed_stages)

    def verbatim(self, include_modified: bool = False) -> list[VerbatimFile]:
        return [VerbatimFile(f.context_path, f.image_path) for f in self.final_files
                if f.verbatim and (include_modified or not f.modified_later)]


def _is_archive(path: Path) -> bool:
    """ADD extracts a local tar (plain, gzip, bzip2, xz) instead of copying it."""
    try:
        return path.is_file() and tarfile.is_tarfile(path)
    except OSError:
        return False


# (path of the source tree, image path, the alternative image path when the destination may be
# an existing directory, whether it came as part of a directory source's contents): plain
# tuples, one per copied file. Named tuples are made by Python code; tuple.__new__ is C.
_Placement = tuple[str, str, "str | None", bool]
_new = tuple.__new__


def _place(copy: CopyInstruction, tree: Tree, items: list[str], many: bool,
           known_dirs: set[str]) -> Iterator[_Placement]:
    """Where dispatchCopy puts the files of the resolved sources `items`: a directory's contents
    below the destination; a file inside the destination when that is a directory (a trailing
    `/`, `many` sources, or one of `known_dirs`), else at the destination itself, with the path
    inside it as the alternative for a directory the base image may have."""
    dest = copy.dest_abs.rstrip("/") or "/"
    # The walk's relative paths are clean, so below a clean destination a join needs no cleaning.
    below = (dest if dest == "/" else dest + "/") if go_clean(dest) == dest else None
    for item in items:
        if tree.kind[item] == "dir":
            cut = len(item) + 1 if item else 0
            for path in tree.below(item):
                yield path, below + path[cut:] if below is not None else join_image_path(dest, path[cut:]), None, True
            continue
        into = join_image_path(dest, item.rpartition("/")[2])
        if copy.dest_abs.endswith("/") or many or dest in known_dirs:
            yield item, into, None, False
        else:
            yield item, dest, into, False


class _Excluded:
    """The context's excluded files and skipped folders, found by the folder that holds them
    without going through all that it holds."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.by_path = {e.relpath: e for e in entries if e.excluded and e.kind != "dir"}
        self.paths = sorted(self.by_path)

    def under(self, item: str) -> Iterator[Entry]:
        """Those at `item` or below it ("" the context's root)."""
        if item in self.by_path:
            yield self.by_path[item]
        prefix = item + "/" if item else ""
        for index in range(bisect.bisect_left(self.paths, prefix), len(self.paths)):
            if not self.paths[index].startswith(prefix):
                break
            yield self.by_path[self.paths[index]]


def _expand_copy(copy: CopyInstruction, root: Path, seen: Tree, full: Tree, excluded_entries: _Excluded,
                 ignore: DockerIgnore, known_dirs: set[str]) -> CopyExpansion:
    files: list[CopiedFile] = []
    excluded: dict[str, ContextFile] = {}
    missing, empty, remote = [], [], []
    sources = [s for s in copy.sources if not is_remote(s) and "$" not in s]
    remote = [s for s in copy.sources if is_remote(s)]
    unresolved = [s for s in copy.sources if not is_remote(s) and "$" in s]
    several = len(copy.sources) + len(copy.heredocs) > 1
    for source in sources:
        items = seen.resolve(source)
        candidates = full.resolve(source) or []
        for item in candidates:
            for entry in excluded_entries.under(item):
                excluded[entry.relpath] = entry.as_context_file()
        if items is None:
            clean = normalize_relpath(source)
            on_disk = os.path.lexists(root / clean)
            reason = ignore.match(clean) if on_disk else None
            missing.append(source if not (reason and reason.excluded)
                           else f"{source} (excluded by {str(reason.pattern)!r})")
            continue
        if not items and has_wildcards(source):
            empty.append(source)
            continue
        many = several or len(items) > 1
        adding = copy.instruction == "ADD"
        for path, image_path, alt_image_path, in_directory in _place(copy, seen, items, many, known_dirs):
            kind = seen.kind[path]
            unpacked = adding and kind == "file" and not in_directory and _is_archive(root / path)
            files.append(_new(CopiedFile, (path, image_path, copy.stage, copy.line, copy.instruction,
                                           alt_image_path, unpacked, kind == "symlink")))
    return CopyExpansion(copy, tuple(files), tuple(sorted(excluded.values())), tuple(missing), tuple(empty),
                         tuple(remote), tuple(unresolved))


def _parents(path: str) -> Iterator[str]:
    while path not in ("/", ""):
        path = path.rpartition("/")[0] or "/"
        yield path


def _overlaps(path: str, dest: str) -> bool:
    return dest == "/" or path == dest or path.startswith(dest.rstrip("/") + "/")


def analyze_context(context_dir: str | os.PathLike[str], dockerfile: str | os.PathLike[str] = "Dockerfile",
                    *, target: str | int | None = None, flavor: str = DEFAULT_FLAVOR) -> ContextAnalysis:
    """Parse the Dockerfile, read the .dockerignore, walk the context and follow every context
    file that a COPY/ADD takes through the stages the build runs, up to the target stage."""
    root = Path(context_dir)
    if not root.is_dir():
        raise ContextError(f"build context {root} is not a directory")
    dockerfile_path = Path(dockerfile) if Path(dockerfile).is_absolute() else root / dockerfile
    parsed = read_dockerfile(dockerfile_path)
    ignore_path = find_dockerignore(root, dockerfile_path)
    ignore = DockerIgnore.from_file(ignore_path, flavor) if ignore_path else DockerIgnore(flavor=flavor)
    unreadable: list[str] = []
    entries = tuple(walk_context(root, ignore, unreadable))
    excluded_entries = _Excluded(entries)
    # What the builder sees, and the whole context (the excluded parts too, to say why a source
    # names nothing): the second is the first plus the few excluded entries.
    seen = Tree()
    for e in entries:
        if not e.excluded:
            seen.add(e.relpath, e.kind)
    full = seen.copy()
    for e in entries:
        if e.excluded:
            full.add(e.relpath, "dir" if e.kind == "pruned" else e.kind)
            if e.kind == "pruned":
                full.kind[e.relpath] = "pruned"
    target_stage = parsed.stage(target) if target is not None else parsed.final
    if target_stage is None:
        raise DockerfileError(f"no stage {target!r} in {dockerfile_path}")
    needed = parsed.needed_stages(target_stage.index)

    expansions: list[CopyExpansion] = []
    # Per stage: the context files it holds, by image path, and the paths among them whose bytes
    # may have changed since their copy. (A set beside the files: a RUN marks every file, and a
    # project's 10,000s of them would each be remade.)
    stage_files: dict[int, dict[str, TrackedFile]] = {}
    stage_modified: dict[int, set[str]] = {}
    stage_dirs: dict[int, set[str]] = {}
    for index in needed:
        stage = parsed.stages[index]
        base = stage.base_stage
        files: dict[str, TrackedFile] = dict(stage_files.get(base, {})) if base is not None else {}
        modified: set[str] = set(stage_modified.get(base, ())) if base is not None else set()
        dirs: set[str] = set(stage_dirs.get(base, {"/"})) if base is not None else {"/"}
        copies = iter(stage.copies)
        workdirs = dict(stage.workdirs)
        for ins in stage.instructions[1:]:
            if ins.keyword == "WORKDIR":  # WORKDIR creates the directory
                dirs.add(workdirs[ins.line])
                dirs.update(_parents(workdirs[ins.line]))
                continue
            if ins.keyword == "RUN":
                modified = set(files)
                continue
            if ins.keyword not in ("COPY", "ADD"):
                continue
            copy = next(copies)
            dest = copy.dest_abs.rstrip("/") or "/"
            if copy.from_context:
                expansion = _expand_copy(copy, root, seen, full, excluded_entries, ignore, dirs)
                expansions.append(expansion)
                if expansion.remote or copy.heredocs:  # content we cannot see lands at dest too
                    modified |= _overlapping(files, dest, set())
                for f in expansion.files:
                    files[f.image_path] = _new(TrackedFile, (f.context_path, f.image_path, index, copy.line, False,
                                                             f.alt_image_path, f.unpacked, f.symlink))
                    parent = f.image_path.rpartition("/")[0] or "/"
                    if parent not in dirs:
                        _add_parents(dirs, f.image_path)
                if modified:
                    modified.difference_update(f.image_path for f in expansion.files)
            elif copy.from_stage is not None:
                written, written_modified, unknown = _copy_between_stages(
                    copy, stage_files.get(copy.from_stage, {}), stage_modified.get(copy.from_stage, set()),
                    stage_dirs.get(copy.from_stage, {"/"}), dirs)
                if unknown:  # a directory or path we do not fully track (RUN output) lands at dest
                    modified |= _overlapping(files, dest, set(written))
                files.update(written)
                modified.difference_update(written)
                modified |= written_modified
                for path in written:
                    _add_parents(dirs, path)
            else:  # from an image: unknown bytes land at dest
                modified |= _overlapping(files, dest, set())
            if copy.dest_is_dir:
                dirs.add(dest)
                dirs.update(_parents(dest))
        stage_files[index] = files
        stage_modified[index] = modified
        stage_dirs[index] = dirs
    target_modified = stage_modified[target_stage.index]
    final = tuple(sorted((f._replace(modified_later=True) if path in target_modified else f
                          for path, f in stage_files[target_stage.index].items()), key=lambda f: f.image_path))
    return ContextAnalysis(root, dockerfile_path, ignore_path, parsed, ignore, entries, tuple(expansions),
                           tuple(needed), target_stage.index, final, tuple(unreadable))


def _add_parents(dirs: set[str], path: str) -> None:
    """Add the folders above `path` to `dirs`, which holds every folder above each of its own:
    once the nearest is there, so are the rest."""
    parent = path.rpartition("/")[0] or "/"
    if parent not in dirs:
        dirs.add(parent)
        dirs.update(_parents(parent))


def _overlapping(files: dict[str, TrackedFile], dest: str, keep: set[str]) -> set[str]:
    """The files that content landing at `dest` may overwrite."""
    return {p for p in files if p not in keep and _overlaps(p, dest)}


def _copy_between_stages(copy: CopyInstruction, source_files: dict[str, TrackedFile], source_modified: set[str],
                         source_dirs: set[str], dest_dirs: set[str]) -> tuple[dict[str, TrackedFile], set[str], bool]:
    """`COPY --from=<stage>`: the context files we track in that stage, moved to their new path;
    those of them whose bytes may have changed; and whether content we do not track may come
    along (a directory, a wildcard, an unknown path)."""
    prefixes = {_literal_prefix(source) for source in copy.sources}
    folders = tuple(prefix + "/" for prefix in prefixes)

    def named(path: str) -> bool:  # only what a source can name: not a whole project's files
        return "/" in prefixes or path in prefixes or path.startswith(folders)
    tree = Tree()
    for d in source_dirs:
        if d != "/" and named(d):
            tree.add(d.lstrip("/"), "dir")
    for path, f in source_files.items():
        if named(path):
            tree.add(path.lstrip("/"), "symlink" if f.symlink else "file")
    several = len(copy.sources) > 1
    out: dict[str, TrackedFile] = {}
    out_modified: set[str] = set()
    unknown = False
    for source in copy.sources:
        resolved = tree.resolve(source)
        if resolved is None or has_wildcards(source):
            unknown = True
        items = resolved or []
        if any(tree.kind[item] == "dir" for item in items):
            unknown = True
        many = several or len(items) > 1
        for path, image_path, alt_image_path, _in_directory in _place(copy, tree, items, many, dest_dirs):
            origin = "/" + path
            out[image_path] = source_files[origin]._replace(image_path=image_path, alt_image_path=alt_image_path)
            if origin in source_modified:
                out_modified.add(image_path)
            else:
                out_modified.discard(image_path)
    return out, out_modified, unknown


def _literal_prefix(source: str) -> str:
    """The absolute folder or path a source names before its first wildcard ("/" for all)."""
    parts = []
    for part in go_clean("/" + source).strip("/").split("/"):
        if not part or has_wildcards(part):
            break
        parts.append(part)
    return "/" + "/".join(parts)


def verbatim_files(context_dir: str | os.PathLike[str], dockerfile: str | os.PathLike[str] = "Dockerfile",
                   *, target: str | int | None = None, include_modified: bool = False,
                   flavor: str = DEFAULT_FLAVOR) -> list[VerbatimFile]:
    """(context path, absolute image path) of each context file the final image holds unchanged.

    A file a later RUN (or a COPY of content we cannot see) may have rewritten is left out unless
    `include_modified`: its bytes may differ for a good reason. ADD-extracted archives and symlinks
    are never verbatim.
    """
    return analyze_context(context_dir, dockerfile, target=target, flavor=flavor).verbatim(include_modified)


def copied_context_files(context_dir: str | os.PathLike[str], dockerfile: str | os.PathLike[str] = "Dockerfile",
                         *, honour_dockerignore: bool = True, target: str | int | None = None,
                         flavor: str = DEFAULT_FLAVOR) -> list[str]:
    """Context paths some COPY/ADD of the stages the build runs includes.

    With `honour_dockerignore=False`, what the sources name before .dockerignore filters them
    (an excluded directory the walk skips is listed once, with a trailing `/`).
    """
    analysis = analyze_context(context_dir, dockerfile, target=target, flavor=flavor)
    out: set[str] = set()
    for expansion in analysis.copies:
        out.update(f.context_path for f in expansion.files)
        if not honour_dockerignore:
            out.update(e.relpath + ("/" if e.is_dir else "") for e in expansion.excluded)
    return sorted(out)


def covering_copies(dockerfile: Dockerfile, relpath: str, stages: Iterable[int] | None = None) -> list[CopyInstruction]:
    """The context COPY/ADD instructions whose sources name `relpath`, whether or not it exists
    or is excluded: by path alone (a literal source covers itself and everything below it)."""
    path = normalize_relpath(relpath)
    wanted = set(stages) if stages is not None else None
    out = []
    for stage in dockerfile.stages:
        if wanted is not None and stage.index not in wanted:
            continue
        for copy in stage.copies:
            if any(_source_covers(source, path) for source in copy.context_sources()):
                out.append(copy)
    return out


def _source_covers(source: str, path: str) -> bool:
    if "$" in source:  # not expanded: cannot tell
        return False
    clean = go_clean("/" + source).lstrip("/")
    if not clean:
        return True
    source_parts = clean.split("/")
    path_parts = path.split("/")
    if len(path_parts) < len(source_parts):
        return False
    if not has_wildcards(clean):
        return path_parts[: len(source_parts)] == source_parts
    try:
        return all(go_match(s, p) if has_wildcards(s) else s == p for s, p in zip(source_parts, path_parts, strict=False))
    except BadPattern:
        return False
