"""Which context files reach the builder: tonistiigi/fsutil's walk of the context (an excluded
directory is not descended into while every exception pattern is a plain prefix; see
`DockerIgnore.prunable`), and the context as a tree that COPY sources are resolved against."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from runner.buildctx.dockerignore import (
    DEFAULT_FLAVOR,
    MODERN,
    DockerIgnore,
    IgnorePattern,
)
from runner.buildctx.gopath import go_clean, go_match, has_wildcards


class ContextFile(NamedTuple):
    relpath: str
    excluded: bool
    pattern: str | None  # the deciding pattern (`!x` for a re-included file), None if none matched
    is_dir: bool = False  # an excluded directory the builder never enters (its files are not listed)


class Entry(NamedTuple):
    """(A tuple: a context has 10,000s of them, and a frozen dataclass is slower to make.)"""

    relpath: str
    kind: str  # "file", "symlink", "dir", "pruned" (an excluded directory the walk skips)
    excluded: bool
    pattern: IgnorePattern | None

    def as_context_file(self) -> ContextFile:
        return ContextFile(self.relpath, self.excluded, str(self.pattern) if self.pattern else None,
                           self.kind == "pruned")


_new = tuple.__new__  # an Entry without the named tuple's Python-level __new__: one per file


def walk_context(root: Path, ignore: DockerIgnore, unreadable: list[str] | None = None) -> Iterator[Entry]:
    """fsutil's walk of the context: lexical order, excluded directories skipped when no exception
    can reach inside them, parent match results passed down (MODERN)."""

    def visit(directory: str, parent: list[bool] | None) -> Iterator[Entry]:
        try:
            with os.scandir(root / directory if directory else root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            if unreadable is not None:
                unreadable.append(directory)
            return
        for entry in entries:
            rel = f"{directory}/{entry.name}" if directory else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_link = entry.is_symlink()
            except OSError:
                continue
            if ignore.patterns:
                matched, info, decided = ignore.step(rel, parent)
            else:
                matched, info, decided = False, [], None
            if is_dir:
                if matched and ignore.prunable(rel):
                    yield _new(Entry, (rel, "pruned", True, decided))
                    continue
                # An excluded directory entered for an exception: the old walker sends it
                # (`goto passedFilter`), the new one only as the parent of what it sends.
                yield _new(Entry, (rel, "dir", matched and ignore.flavor == MODERN, decided))
                yield from visit(rel, info)
            else:
                yield _new(Entry, (rel, "symlink" if is_link else "file", matched, decided))

    yield from visit("", None)


def context_files(context_dir: str | os.PathLike[str], dockerignore: DockerIgnore | None = None,
                  flavor: str = DEFAULT_FLAVOR) -> list[ContextFile]:
    """Every file of the context with whether the build sees it; skipped directories as one entry.

    `dockerignore=None` reads `<context>/.dockerignore` with `flavor`. Dockerfile and .dockerignore
    are listed as the patterns decide: an excluded Dockerfile is still read by the builder, but no
    COPY sees it (verified on 20.10: neither builder re-adds them for COPY).
    """
    root = Path(context_dir)
    if dockerignore is None:
        dockerignore = DockerIgnore.from_file(root / ".dockerignore", flavor)
    return [e.as_context_file() for e in walk_context(root, dockerignore) if e.kind != "dir"]


class Tree:
    """Paths (no leading `/`) with their kind; directories implied by their contents."""

    def __init__(self) -> None:
        self.kind: dict[str, str] = {"": "dir"}
        self.children: dict[str, list[str]] = {"": []}

    def add(self, path: str, kind: str) -> None:
        if path in self.kind:
            if kind != "dir":
                self.kind[path] = kind
            return
        parent = path.rpartition("/")[0]
        if parent not in self.kind:
            self.add(parent, "dir")
        self.kind[path] = kind
        self.children[parent].append(path)
        if kind == "dir":
            self.children.setdefault(path, [])

    def copy(self) -> Tree:
        twin = Tree()
        twin.kind = dict(self.kind)
        twin.children = {path: list(children) for path, children in self.children.items()}
        return twin

    def resolve(self, source: str) -> list[str] | None:
        """The paths a COPY source names: None if a literal path does not exist, [] if a wildcard
        matches nothing. Literal components come first, then Go filepath.Match per component."""
        path = go_clean("/" + source).lstrip("/")
        if not has_wildcards(path):
            return [path] if path in self.kind else None
        parts = path.split("/")
        literal: list[str] = []
        while parts and not has_wildcards(parts[0]):
            literal.append(parts.pop(0))
        base = "/".join(literal)
        if self.kind.get(base) != "dir":
            return []
        current = [base]
        for component in parts:
            found = []
            for directory in current:
                if self.kind.get(directory) != "dir":
                    continue
                for child in self.children.get(directory, ()):
                    if go_match(component, child.rpartition("/")[2]):
                        found.append(child)
            current = found
        return sorted(current)

    def below(self, path: str) -> list[str]:
        """Non-directory paths at or under `path` (a pruned directory counts as one)."""
        if self.kind.get(path) != "dir":
            return [path] if path in self.kind else []
        out: list[str] = []
        stack = [path]
        while stack:
            directory = stack.pop()
            for child in self.children.get(directory, ()):
                if self.kind[child] == "dir":
                    stack.append(child)
                else:
                    out.append(child)
        return sorted(out)
