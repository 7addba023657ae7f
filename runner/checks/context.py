"""The build context as a build sees it: `.dockerignore` matching and Dockerfile COPY/ADD sources.

Pure code: reads files, never talks to an engine. Three ports, each citing what it follows:

* `.dockerignore` reading and matching: moby/patternmatcher (`ignorefile.ReadAll`, `New`,
  `MatchesUsingParentResults`, `Pattern.compile`), the matcher behind BuildKit and the docker CLI;
  Go's `filepath.Match` (pattern syntax check) and `filepath.Clean`.
* which context files reach the builder: tonistiigi/fsutil's walker (an excluded directory is
  not descended into while every exception pattern is a plain prefix; see `_prunable`).
* where COPY/ADD puts things: BuildKit's Dockerfile parser (line continuations, parser
  directives, heredocs, builder flags) and `dispatchCopy` (sources are relative to the root of
  the context or stage, the destination to WORKDIR; a directory source copies its contents;
  wildcards may match nothing).

Verified on Docker 20.10 (ARCHITECTURE.md): `*.ts` matches at the context root only, `**/*.ts`
everywhere; excluding a whole copied folder fails the build with `"/server" not found`.
"""

from __future__ import annotations

import json
import os
import re
import tarfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from runner.checks.kinds import ContextArgs, DockerignoreArgs
from runner.checks.result import CheckContext, CheckResult

EVIDENCE_LIMIT = 200  # longest list a check puts in its evidence; the count is always given

# Two generations of the matcher a build client applies to the context it sends:
LEGACY = "docker-20.10"  # docker CLI <= 20.10 (BuildKit built in): moby pkg/fileutils + old fsutil walker
MODERN = "patternmatcher"  # buildx / docker >= 23: moby/patternmatcher + fsutil MatchesUsingParentResults
FLAVORS = (LEGACY, MODERN)
DEFAULT_FLAVOR = LEGACY  # what the engine of ARCHITECTURE.md (Docker 20.10.24) was seen to do


def flavor_for_client(version: str) -> str:
    """The matcher generation of a docker CLI version ("20.10.24" -> LEGACY, "28.1.1" -> MODERN)."""
    try:
        major = int(version.split(".")[0])
    except ValueError:
        return DEFAULT_FLAVOR
    return LEGACY if major < 23 else MODERN


class ContextError(Exception):
    """The context, its .dockerignore or its Dockerfile cannot be read as a build would."""


class BadPattern(ContextError):
    """A pattern Go's filepath.Match or regexp rejects (the build would fail the same way)."""


class DockerfileError(ContextError):
    pass


class OutsideContext(ContextError, ValueError):
    """A path that leaves the context (`../x`): the old builder refuses it, BuildKit reads
    it from the context root. Still a ValueError for callers that check paths."""


# --------------------------------------------------------------------------- Go path helpers


def go_clean(path: str) -> str:
    """Go's `path.Clean`: `posixpath.normpath` differs on a leading `//` and on `..` past `/`."""
    if not path:
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    text = "/".join(out)
    if rooted:
        return "/" + text
    return text or "."


def _get_esc(chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise BadPattern("syntax error in pattern")
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise BadPattern("syntax error in pattern")
    char, rest = chunk[0], chunk[1:]
    if not rest:
        raise BadPattern("syntax error in pattern")
    return char, rest


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif ch == "[":
            in_range = True
        elif ch == "]":
            in_range = False
        elif ch == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _match_chunk(chunk: str, s: str) -> tuple[str, bool]:
    """Go's matchChunk: keeps checking the chunk's syntax after the match has failed."""
    failed = False
    while chunk:
        if not failed and not s:
            failed = True
        head = chunk[0]
        if head == "[":
            char = ""
            if not failed:
                char, s = s[0], s[1:]
            chunk = chunk[1:]
            negated = False
            if chunk.startswith("^"):
                negated, chunk = True, chunk[1:]
            matched = False
            ranges = 0
            while True:
                if chunk.startswith("]") and ranges > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = _get_esc(chunk[1:])
                if not failed and lo <= char <= hi:
                    matched = True
                ranges += 1
            if matched == negated:
                failed = True
        elif head == "?":
            if not failed:
                if s[0] == "/":
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
        else:
            if head == "\\":
                chunk = chunk[1:]
                if not chunk:
                    raise BadPattern("syntax error in pattern")
            if not failed:
                if chunk[0] != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return "", False
    return s, True


def go_match(pattern: str, name: str) -> bool:
    """Go's `filepath.Match` on a `/` system: `*` and `?` never match `/`; raises BadPattern."""
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            return "/" not in name
        rest, ok = _match_chunk(chunk, name)
        if ok and (not rest or pattern):
            name = rest
            continue
        if star:
            found = False
            i = 0
            while i < len(name) and name[i] != "/":
                rest, ok = _match_chunk(chunk, name[i + 1:])
                if ok:
                    if not pattern and rest:
                        i += 1
                        continue
                    name = rest
                    found = True
                    break
                i += 1
            if found:
                continue
        while pattern:  # fail, but only after checking the rest of the pattern's syntax
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, "")
        return False
    return not name


def _has_wildcards(text: str) -> bool:
    """BuildKit's containsWildcards: `*`, `?` or `[` not escaped by a backslash."""
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in "*?[":
            return True
        i += 1
    return False


# --------------------------------------------------------------------------- .dockerignore

_REGEX_ESCAPE = frozenset(".+()|{}$")  # patternmatcher's shouldEscape set
_FSUTIL_PATTERN_CHARS = frozenset("*[]?^\\")  # fsutil's patternChars on a '/' system


@dataclass(frozen=True)
class IgnorePattern:
    """One pattern as the matcher keeps it: cleaned, without its `!`."""

    text: str
    exclusion: bool = False  # a `!` line: re-includes what earlier lines excluded
    line: int | None = None  # 1-based line in the .dockerignore; None when not from a file
    flavor: str = DEFAULT_FLAVOR
    kind: str = field(default="exact", compare=False)
    regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return ("!" if self.exclusion else "") + self.text

    @classmethod
    def parse(cls, pattern: str, line: int | None = None, flavor: str = DEFAULT_FLAVOR) -> IgnorePattern:
        """NewPatternMatcher / New for one entry: trim, Clean, split off `!`, check, compile."""
        if flavor not in FLAVORS:
            raise ValueError(f"unknown flavor {flavor!r}: one of {', '.join(FLAVORS)}")
        text = go_clean(pattern.strip())
        exclusion = text.startswith("!")
        if exclusion:
            text = text[1:]
            if not text:
                raise BadPattern('illegal exclusion pattern: "!"')
        go_match(text, ".")  # filepath.Match's syntax check, as New does
        if flavor == LEGACY:
            kind, regex = "regexp", _compile_legacy(text)
        else:
            kind, regex = _compile(text)
        return cls(text, exclusion, line, flavor, kind, regex)

    @property
    def depth(self) -> int:
        return len(self.text.split("/"))

    def match(self, path: str) -> bool:
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":  # "dir/**"
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":  # "**/name", "**name"
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
        assert self.regex is not None
        return self.regex.match(path) is not None

    def without_trailing_glob(self) -> str:
        text = self.text
        for tail in ("/**", "/*"):
            if text.endswith(tail):
                text = text[: -len(tail)]
        return text


def _regex(pattern: str, reg: str) -> re.Pattern[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Python warns on "[[" that Go reads as a literal
            return re.compile(reg + r"\Z")  # Go's `$` without (?m): the very end
    except re.error as exc:
        raise BadPattern(f"syntax error in pattern {pattern!r}: {exc}") from None


def _compile_legacy(pattern: str) -> re.Pattern[str]:
    """moby pkg/fileutils (20.10) Pattern.compile: always a regexp, only `.` and `$` escaped, so
    `+ ( ) | { }` keep their regexp meaning."""
    reg = "^"
    pos, n = 0, len(pattern)
    while pos < n:
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < n and pattern[pos] == "*":
                pos += 1
                if pos < n and pattern[pos] == "/":
                    pos += 1
                reg += ".*" if pos >= n else "(.*/)?"
            else:
                reg += "[^/]*"
        elif ch == "?":
            reg += "[^/]"
        elif ch in ".$":
            reg += "\\" + ch
        elif ch == "\\":
            if pos < n:
                nxt = pattern[pos]
                pos += 1
                reg += ("\\" + nxt) if nxt.isalnum() else re.escape(nxt)
            else:
                reg += "\\\\"
        else:
            reg += ch
    return _regex(pattern, reg)


def _compile(pattern: str) -> tuple[str, re.Pattern[str] | None]:
    """moby/patternmatcher Pattern.compile: exact, prefix (`dir/**`), suffix (`**/x`) or a regexp."""
    reg = "^"
    kind = "exact"
    pos, n, step = 0, len(pattern), 0
    while pos < n:
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < n and pattern[pos] == "*":
                pos += 1
                if pos < n and pattern[pos] == "/":  # "**/" is "**"
                    pos += 1
                if pos >= n:  # "**" at the end matches everything, as in .gitignore
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        reg += ".*"
                        kind = "regexp"
                else:  # any number of directories, even none
                    reg += "(.*/)?"
                    kind = "regexp"
                if step == 0:
                    kind = "suffix"
            else:
                reg += "[^/]*"
                kind = "regexp"
        elif ch == "?":
            reg += "[^/]"
            kind = "regexp"
        elif ch in _REGEX_ESCAPE:
            reg += "\\" + ch
        elif ch == "\\":
            if pos < n:
                nxt = pattern[pos]
                pos += 1
                reg += ("\\" + nxt) if nxt.isalnum() else re.escape(nxt)
                kind = "regexp"
            else:
                reg += "\\\\"
        elif ch in "[]":
            reg += ch
            kind = "regexp"
        else:
            reg += ch
        step += 1
    if kind != "regexp":
        return kind, None
    return kind, _regex(pattern, reg)


def read_ignore_lines(lines: Iterable[str]) -> list[tuple[int, str]]:
    """ignorefile.ReadAll: (line number, pattern) with comments and blanks dropped, `!` kept."""
    out = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n").rstrip("\r")
        if number == 1:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):  # only in column 1: " # x" is a pattern
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):  # "/foo" means "foo"
                pattern = pattern[1:]
        out.append((number, ("!" if invert else "") + pattern))
    return out


class IgnoreMatch(NamedTuple):
    excluded: bool
    pattern: IgnorePattern | None  # the last pattern that decided; `!x` when re-included
    pruned_at: str | None = None  # an excluded directory the walk does not enter


class DockerIgnore:
    """A `.dockerignore` as a build client applies it: last match wins, a matching parent directory
    excludes what is below it, `!` re-includes; `flavor` picks the matcher generation."""

    def __init__(self, patterns: Sequence[IgnorePattern] = (), source: Path | None = None,
                 flavor: str = DEFAULT_FLAVOR):
        if flavor not in FLAVORS:
            raise ValueError(f"unknown flavor {flavor!r}: one of {', '.join(FLAVORS)}")
        self.patterns = tuple(patterns)
        self.source = source
        self.flavor = flavor
        self.has_exclusions = any(p.exclusion for p in self.patterns)
        self.only_prefix_exceptions = not any(
            p.exclusion and set(p.without_trailing_glob()) & _FSUTIL_PATTERN_CHARS for p in self.patterns)

    @classmethod
    def from_lines(cls, lines: Iterable[str], source: Path | None = None,
                   flavor: str = DEFAULT_FLAVOR) -> DockerIgnore:
        patterns = []
        for number, text in read_ignore_lines(lines):
            try:
                patterns.append(IgnorePattern.parse(text, number, flavor))
            except BadPattern as exc:
                where = f"{source or '.dockerignore'}:{number}"
                raise BadPattern(f"{where}: {exc} ({text!r})") from None
        return cls(patterns, source, flavor)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], flavor: str = DEFAULT_FLAVOR) -> DockerIgnore:
        """A missing file is an empty .dockerignore, as for the docker CLI."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return cls((), None, flavor)
        except OSError as exc:
            raise ContextError(f"cannot read {path}: {exc.strerror}") from None
        return cls.from_lines(data.decode("utf-8", "surrogateescape").split("\n"), path, flavor)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def _step(self, path: str, parent: list[bool] | None) -> tuple[bool, list[bool], IgnorePattern | None]:
        """One path. MODERN: MatchesUsingParentResults, `parent` = which patterns matched the
        parent directory (None: look at every ancestor). LEGACY: fileutils Matches, which looks at
        one ancestor only, the one as deep as the pattern (`parent` unused)."""
        matched = False
        decided: IgnorePattern | None = None
        info = [False] * len(self.patterns)
        parent_dirs = path.split("/")[:-1]
        for i, pattern in enumerate(self.patterns):
            if self.flavor == LEGACY:
                hit = pattern.match(path)
                if not hit and parent_dirs and pattern.depth <= len(parent_dirs):
                    hit = pattern.match("/".join(parent_dirs[: pattern.depth]))
            else:
                hit = bool(parent) and parent[i]
                if not hit:
                    if pattern.exclusion != matched:
                        continue
                    hit = pattern.match(path)
                    if not hit and not parent:
                        hit = any(pattern.match("/".join(parent_dirs[: j + 1])) for j in range(len(parent_dirs)))
            info[i] = hit
            if hit:
                matched = not pattern.exclusion
                decided = pattern
        return matched, info, decided

    def _prunable(self, directory: str) -> bool:
        """fsutil does not enter an excluded directory unless an exception pattern may reach
        inside it: one that starts with the directory (MODERN: also any with a wildcard)."""
        if not self.has_exclusions:
            return True
        if self.flavor == MODERN and not self.only_prefix_exceptions:
            return False
        prefix = directory + "/"
        for p in self.patterns:
            text = p.without_trailing_glob() if self.flavor == MODERN else p.text
            if p.exclusion and (text + "/").startswith(prefix):
                return False
        return True

    def match(self, relpath: str) -> IgnoreMatch:
        """Is `relpath` (relative to the context, `/`-separated) kept out of the build?"""
        path = normalize_relpath(relpath)
        if path == "" or not self.patterns:
            return IgnoreMatch(False, None)
        parts = path.split("/")
        info: list[bool] | None = None
        for depth in range(1, len(parts)):
            ancestor = "/".join(parts[:depth])
            matched, info, decided = self._step(ancestor, info)
            if matched and self._prunable(ancestor):
                return IgnoreMatch(True, decided, ancestor)
        matched, info, decided = self._step(path, info)
        return IgnoreMatch(matched, decided)

    def excluded(self, relpath: str) -> tuple[bool, str | None]:
        """(excluded, the deciding pattern, `!x` when an exception re-included the path)."""
        result = self.match(relpath)
        return result.excluded, (str(result.pattern) if result.pattern else None)


def ignore_for_build(context_dir: str | os.PathLike[str], dockerfile: str | os.PathLike[str] = "Dockerfile",
                     flavor: str = DEFAULT_FLAVOR) -> DockerIgnore:
    """The ignore file this build uses (`<Dockerfile>.dockerignore` first), empty if none."""
    root = Path(context_dir)
    path = find_dockerignore(root, Path(dockerfile) if Path(dockerfile).is_absolute() else root / dockerfile)
    return DockerIgnore.from_file(path, flavor) if path else DockerIgnore(flavor=flavor)


def normalize_relpath(relpath: str) -> str:
    """A context-relative path, cleaned, `""` for the root; ValueError if it leaves the context."""
    path = go_clean(relpath.replace(os.sep, "/")).lstrip("/")
    if path == ".":
        return ""
    if path == ".." or path.startswith("../"):
        raise OutsideContext(f"{relpath!r} is outside the build context")
    return path


def find_dockerignore(context_dir: Path, dockerfile: Path | None = None) -> Path | None:
    """`<Dockerfile>.dockerignore` beside the Dockerfile wins over `<context>/.dockerignore` (BuildKit)."""
    if dockerfile is not None:
        specific = dockerfile.with_name(dockerfile.name + ".dockerignore")
        if specific.is_file():
            return specific
    default = context_dir / ".dockerignore"
    return default if default.exists() else None


# --------------------------------------------------------------------------- the context walk


class ContextFile(NamedTuple):
    relpath: str
    excluded: bool
    pattern: str | None  # the deciding pattern (`!x` for a re-included file), None if none matched
    is_dir: bool = False  # an excluded directory the builder never enters (its files are not listed)


@dataclass(frozen=True)
class _Entry:
    relpath: str
    kind: str  # "file", "symlink", "dir", "pruned" (an excluded directory the walk skips)
    excluded: bool
    pattern: IgnorePattern | None


def _walk(root: Path, ignore: DockerIgnore, unreadable: list[str] | None = None) -> Iterator[_Entry]:
    """fsutil's walk of the context: lexical order, excluded directories skipped when no exception
    can reach inside them, parent match results passed down (MODERN)."""

    def visit(directory: str, parent: list[bool] | None) -> Iterator[_Entry]:
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
                matched, info, decided = ignore._step(rel, parent)
            else:
                matched, info, decided = False, [], None
            if is_dir:
                if matched and ignore._prunable(rel):
                    yield _Entry(rel, "pruned", True, decided)
                    continue
                # An excluded directory entered for an exception: the old walker sends it
                # (`goto passedFilter`), the new one only as the parent of what it sends.
                yield _Entry(rel, "dir", matched and ignore.flavor == MODERN, decided)
                yield from visit(rel, info)
            else:
                yield _Entry(rel, "symlink" if is_link else "file", matched, decided)

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
    return [
        ContextFile(e.relpath, e.excluded, str(e.pattern) if e.pattern else None, e.kind == "pruned")
        for e in _walk(root, dockerignore) if e.kind != "dir"
    ]


class _Tree:
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

    def resolve(self, source: str) -> list[str] | None:
        """The paths a COPY source names: None if a literal path does not exist, [] if a wildcard
        matches nothing. Literal components come first, then Go filepath.Match per component."""
        path = go_clean("/" + source).lstrip("/")
        if not _has_wildcards(path):
            return [path] if path in self.kind else None
        parts = path.split("/")
        literal: list[str] = []
        while parts and not _has_wildcards(parts[0]):
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


# --------------------------------------------------------------------------- Dockerfile parser

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]+)$")
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    args: str  # the text after the keyword, continuation lines joined, flags included
    line: int  # 1-based line where the instruction starts
    end_line: int
    heredocs: tuple[str, ...] = ()


@dataclass(frozen=True)
class CopyInstruction:
    instruction: str  # "COPY" or "ADD"
    line: int
    end_line: int
    stage: int
    sources: tuple[str, ...]  # as written, quotes removed; $VARS not expanded
    dest: str  # as written
    dest_abs: str  # absolute in the image: WORKDIR applied, cleaned, "/" kept at the end of a directory
    workdir: str
    from_: str | None = None  # --from as written
    from_stage: int | None = None  # the stage --from names; None for the context or an image
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    flags: tuple[tuple[str, str | bool], ...] = ()
    json_form: bool = False
    heredocs: tuple[str, ...] = ()  # inline sources (COPY <<EOF ...): not from the context
    has_variables: bool = False  # a `$` in a source or the destination: reported raw

    @property
    def from_context(self) -> bool:
        return self.from_ is None

    @property
    def from_image(self) -> bool:
        return self.from_ is not None and self.from_stage is None

    @property
    def dest_is_dir(self) -> bool:
        """A directory by the Dockerfile's syntax: trailing `/`, `.` or several sources."""
        return self.dest_abs.endswith("/") or len(self.sources) + len(self.heredocs) > 1

    def context_sources(self) -> tuple[str, ...]:
        if not self.from_context:
            return ()
        return tuple(s for s in self.sources if not _is_remote(s))

    def to_evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "line": self.line, "instruction": self.instruction, "sources": list(self.sources),
            "dest": self.dest, "dest_abs": self.dest_abs, "from": self.from_,
            "from_stage": self.from_stage, "from_context": self.from_context,
        }
        for key in ("chown", "chmod"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.link:
            out["link"] = True
        if self.json_form:
            out["json"] = True
        if self.heredocs:
            out["heredocs"] = list(self.heredocs)
        if self.has_variables:
            out["has_variables"] = True
        return out


@dataclass(frozen=True)
class Stage:
    index: int
    base: str  # FROM's image as written
    line: int
    name: str | None = None  # lower case, as BuildKit compares them
    base_stage: int | None = None  # when FROM names an earlier stage
    platform: str | None = None
    instructions: tuple[Instruction, ...] = ()
    copies: tuple[CopyInstruction, ...] = ()
    workdir: str = "/"  # at the end of the stage
    workdirs: tuple[tuple[int, str], ...] = ()  # (line, absolute directory) of each WORKDIR

    @property
    def label(self) -> str:
        return self.name or str(self.index)


@dataclass(frozen=True)
class Dockerfile:
    stages: tuple[Stage, ...]
    directives: tuple[tuple[str, str], ...] = ()
    escape: str = "\\"
    meta_args: tuple[Instruction, ...] = ()  # ARGs before the first FROM

    def stage(self, ref: str | int) -> Stage | None:
        """A stage by name (any case) or index, as `--from` and `--target` name them."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            index = int(ref)
            return self.stages[index] if 0 <= index < len(self.stages) else None
        for stage in self.stages:
            if stage.name == ref.lower():
                return stage
        return None

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def needed_stages(self, target: str | int | None = None) -> list[int]:
        """Indices of the stages a build of `target` runs (BuildKit skips the others)."""
        final = self.stage(target) if target is not None else self.final
        if final is None:
            raise DockerfileError(f"no stage {target!r} in the Dockerfile")
        needed: set[int] = set()
        todo = [final.index]
        while todo:
            index = todo.pop()
            if index in needed:
                continue
            needed.add(index)
            stage = self.stages[index]
            if stage.base_stage is not None:
                todo.append(stage.base_stage)
            todo.extend(c.from_stage for c in stage.copies if c.from_stage is not None)
            for ins in stage.instructions:  # RUN --mount=from=<stage>
                for match in re.finditer(r"(?:^|[\s,])from=([^\s,]+)", ins.args) if ins.keyword == "RUN" else ():
                    dep = self.stage(match.group(1).strip("\"'"))
                    if dep is not None and dep.index < index:
                        todo.append(dep.index)
        return sorted(needed)


def _is_remote(source: str) -> bool:
    return source.startswith(("http://", "https://", "git@", "git://")) or (
        "://" in source and source.split("://", 1)[0] in ("ssh", "git+ssh"))


def extract_flags(line: str) -> tuple[str, list[str]]:
    """BuildKit's extractBuilderFlags: leading `--name[=value]` words, quotes and `\\` honoured."""
    words: list[str] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase, word, quote, blank_ok = in_spaces, "", "", False
    pos, n = 0, len(line)
    while pos <= n:
        ch = line[pos] if pos < n else ""
        if phase == in_spaces:
            if pos == n:
                break
            if ch.isspace():
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return line[pos:], words
            phase = in_word
        if phase in (in_word, in_quote) and pos == n:
            if word != "--" and (blank_ok or word):
                words.append(word)
            break
        if phase == in_word:
            if ch.isspace():
                phase = in_spaces
                if word == "--":
                    return line[pos:], words
                if blank_ok or word:
                    words.append(word)
                word, blank_ok = "", False
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok, phase = ch, True, in_quote
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += ch
            pos += 1
            continue
        if phase == in_quote:
            if ch == quote:
                phase = in_word
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    phase = in_word
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += ch
            pos += 1
    return "", words


def _parse_flags(words: list[str]) -> dict[str, str | bool]:
    flags: dict[str, str | bool] = {}
    for word in words:
        name, eq, value = word[2:].partition("=")
        flags[name.lower()] = value if eq else True
    return flags


def _unquote(word: str, escape: str) -> str:
    """What the shell lexer leaves of one word: quotes removed, escapes applied ($ not expanded)."""
    out, quote, i = [], "", 0
    while i < len(word):
        ch = word[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"' and i + 1 < len(word):
                i += 1
                out.append(word[i])
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        elif ch == escape and i + 1 < len(word):
            i += 1
            out.append(word[i])
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _shell_words(text: str, escape: str) -> list[str]:
    """Words split on blanks outside quotes, quotes kept (BuildKit's lexer with RawQuotes)."""
    words, word, quote, i, in_word = [], [], "", 0, False
    while i < len(text):
        ch = text[i]
        if quote:
            word.append(ch)
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"' and i + 1 < len(text):
                i += 1
                word.append(text[i])
        elif ch.isspace():
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        else:
            in_word = True
            word.append(ch)
            if ch in "'\"":
                quote = ch
            elif ch == escape and i + 1 < len(text):
                i += 1
                word.append(text[i])
        i += 1
    if in_word:
        words.append("".join(word))
    return words


def _heredoc_names(args: str, escape: str = "\\") -> list[tuple[str, bool]]:
    """(name, chomp) for each `<<NAME`, `<<-NAME`, `<<"NAME"` word: BuildKit's ParseHeredoc.
    A quoted word is not a heredoc: `RUN echo "a <<EOF"` reads on."""
    found = []
    for word in _shell_words(args, escape):
        m = _HEREDOC_WORD.match(word)
        if not m:
            continue
        name = _unquote(m.group(3), escape)
        if name:
            found.append((name, m.group(2) == "-"))
    return found


def _split_lines(text: str) -> list[str]:
    return [line.removesuffix("\r") for line in text.split("\n")]


def parse_instructions(text: str) -> tuple[list[Instruction], dict[str, str], str]:
    """Logical instructions with their lines, the parser directives and the escape character."""
    lines = _split_lines(text.removeprefix("\ufeff"))
    directives: dict[str, str] = {}
    index = 0
    while index < len(lines):
        m = _DIRECTIVE.match(lines[index])
        if not m:
            break
        key = m.group(1).lower()
        if key in directives:
            raise DockerfileError(f"line {index + 1}: only one {key} parser directive can be used")
        directives[key] = m.group(2)
        index += 1
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileError(f"invalid escape token {escape!r}: does not validate as a single character")
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")

    instructions: list[Instruction] = []
    while index < len(lines):
        raw = lines[index].lstrip()
        index += 1
        if not raw or raw.startswith("#"):
            continue
        start = index
        logical, more = _trim_continuation(raw, continuation)
        while more and index < len(lines):
            nxt = lines[index]
            index += 1
            stripped = nxt.lstrip()
            if stripped.startswith("#") or not stripped:
                continue
            part, more = _trim_continuation(nxt, continuation)
            logical += part
        if not logical.strip():
            continue
        keyword, _, args = logical.strip().partition(" ")
        if "\t" in keyword:
            keyword, _, tail = keyword.partition("\t")
            args = tail + " " + args
        keyword = keyword.upper()
        args = args.strip()
        heredocs: list[str] = []
        if keyword in _HEREDOC_INSTRUCTIONS:
            for name, chomp in _heredoc_names(args, escape):
                heredocs.append(name)
                while index < len(lines):
                    body = lines[index]
                    index += 1
                    if (body.lstrip("\t") if chomp else body) == name:
                        break
        instructions.append(Instruction(keyword, args, start, index, tuple(heredocs)))
    return instructions, directives, escape


def _trim_continuation(line: str, pattern: re.Pattern[str]) -> tuple[str, bool]:
    m = pattern.search(line)
    if m:
        return line[: m.start()], True
    return line, False


def _join_image_path(workdir: str, path: str) -> str:
    joined = go_clean(path if path.startswith("/") else f"{workdir}/{path}")
    return joined


def _parse_copy(ins: Instruction, stage_index: int, workdir: str, stages: list[Stage], escape: str) -> CopyInstruction:
    rest, flag_words = extract_flags(ins.args)
    flags = _parse_flags(flag_words)
    heredoc_names = set(ins.heredocs)
    json_form = False
    words: list[str]
    stripped = rest.strip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(w, str) for w in parsed):
            words, json_form = parsed, True
        else:
            words = [_unquote(w, escape) for w in stripped.split()]
    else:
        words = []
        for w in stripped.split():
            m = _HEREDOC_WORD.match(w)
            if m and _unquote(m.group(3), "\\") in heredoc_names:
                continue
            words.append(_unquote(w, escape))
    if not words or (len(words) < 2 and not heredoc_names):
        raise DockerfileError(f"line {ins.line}: {ins.keyword} requires at least two arguments")
    *sources, dest = words
    dest_abs = _join_image_path(workdir, dest)
    if dest in (".", "") or dest.endswith("/") or len(sources) + len(heredoc_names) > 1:
        dest_abs = dest_abs.rstrip("/") + "/"
    from_ = flags.get("from")
    from_stage = None
    if isinstance(from_, str):
        ref = _unquote(from_, escape)
        from_ = ref
        if ref.isdigit():
            if int(ref) >= stage_index:
                raise DockerfileError(f"line {ins.line}: --from={ref} names this stage or a later one")
            from_stage = int(ref)
        else:
            for stage in stages:
                if stage.name == ref.lower():
                    from_stage = stage.index
    elif from_ is True:
        raise DockerfileError(f"line {ins.line}: --from needs a value")

    def text_flag(name: str) -> str | None:
        value = flags.get(name)
        return value if isinstance(value, str) else None

    return CopyInstruction(
        instruction=ins.keyword, line=ins.line, end_line=ins.end_line, stage=stage_index,
        sources=tuple(sources), dest=dest, dest_abs=dest_abs, workdir=workdir,
        from_=from_ if isinstance(from_, str) else None, from_stage=from_stage,
        chown=text_flag("chown"), chmod=text_flag("chmod"), link=flags.get("link") not in (None, False, "false"),
        flags=tuple(sorted(flags.items())), json_form=json_form, heredocs=tuple(ins.heredocs),
        has_variables=any("$" in w for w in words),
    )


def parse_dockerfile(text: str) -> Dockerfile:
    """Stages with their COPY/ADD instructions; raises DockerfileError where BuildKit would fail."""
    instructions, directives, escape = parse_instructions(text)
    stages: list[Stage] = []
    meta_args: list[Instruction] = []
    current: dict[str, Any] | None = None

    def close() -> None:
        if current is not None:
            stages.append(Stage(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in current.items()}))

    for ins in instructions:
        if ins.keyword == "FROM":
            close()
            rest, flag_words = extract_flags(ins.args)
            flags = _parse_flags(flag_words)
            words = rest.split()
            if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
                raise DockerfileError(f"line {ins.line}: FROM requires either one or three arguments")
            base = words[0]
            name = words[2].lower() if len(words) == 3 else None
            base_stage = next((s.index for s in stages if s.name == base.lower()), None)
            workdir = stages[base_stage].workdir if base_stage is not None else "/"
            platform = flags.get("platform")
            current = {
                "index": len(stages), "base": base, "line": ins.line, "name": name, "base_stage": base_stage,
                "platform": platform if isinstance(platform, str) else None,
                "instructions": [ins], "copies": [], "workdir": workdir, "workdirs": [],
            }
            continue
        if current is None:
            if ins.keyword == "ARG":
                meta_args.append(ins)
                continue
            raise DockerfileError(f"line {ins.line}: {ins.keyword} before the first FROM")
        current["instructions"].append(ins)
        if ins.keyword == "WORKDIR":
            value = _unquote(ins.args.strip(), escape)
            if not value:
                raise DockerfileError(f"line {ins.line}: WORKDIR requires exactly one argument")
            current["workdir"] = _join_image_path(current["workdir"], value)
            current["workdirs"].append((ins.line, current["workdir"]))
        elif ins.keyword in ("COPY", "ADD"):
            current["copies"].append(_parse_copy(ins, current["index"], current["workdir"], stages, escape))
    close()
    if not stages:
        raise DockerfileError("the Dockerfile has no FROM")
    return Dockerfile(tuple(stages), tuple(directives.items()), escape, tuple(meta_args))


def read_dockerfile(path: str | os.PathLike[str]) -> Dockerfile:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        raise ContextError(f"no Dockerfile at {path}") from None
    except IsADirectoryError:
        raise ContextError(f"{path} is a directory, not a Dockerfile") from None
    except OSError as exc:
        raise ContextError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return parse_dockerfile(text)
    except DockerfileError as exc:
        raise DockerfileError(f"{path}: {exc}") from None


# --------------------------------------------------------------------------- COPY expansion


@dataclass(frozen=True)
class CopiedFile:
    """One context file that a context COPY/ADD puts into a stage."""

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


@dataclass(frozen=True)
class TrackedFile:
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
    entries: tuple[_Entry, ...]
    copies: tuple[CopyExpansion, ...]  # context COPY/ADD of the stages the build runs, in order
    needed_stages: tuple[int, ...]
    target: int
    final_files: tuple[TrackedFile, ...]  # context files in the target stage, by image path
    unreadable: tuple[str, ...] = ()

    def files(self) -> list[ContextFile]:
        return [ContextFile(e.relpath, e.excluded, str(e.pattern) if e.pattern else None, e.kind == "pruned")
                for e in self.entries if e.kind != "dir"]

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


def _expand_copy(copy: CopyInstruction, root: Path, seen: _Tree, full: _Tree, entries: dict[str, _Entry],
                 ignore: DockerIgnore, known_dirs: set[str]) -> CopyExpansion:
    files: list[CopiedFile] = []
    excluded: dict[str, ContextFile] = {}
    missing, empty, remote = [], [], []
    sources = [s for s in copy.sources if not _is_remote(s) and "$" not in s]
    remote = [s for s in copy.sources if _is_remote(s)]
    unresolved = [s for s in copy.sources if not _is_remote(s) and "$" in s]
    several = len(copy.sources) + len(copy.heredocs) > 1
    dest = copy.dest_abs.rstrip("/") or "/"
    for source in sources:
        items = seen.resolve(source)
        candidates = full.resolve(source) or []
        for item in candidates:
            for path in full.below(item):
                entry = entries.get(path)
                if entry is not None and entry.excluded:
                    excluded[path] = ContextFile(path, True, str(entry.pattern) if entry.pattern else None,
                                                 entry.kind == "pruned")
        if items is None:
            clean = normalize_relpath(source)
            on_disk = os.path.lexists(root / clean)
            reason = ignore.match(clean) if on_disk else None
            missing.append(source if not (reason and reason.excluded)
                           else f"{source} (excluded by {str(reason.pattern)!r})")
            continue
        if not items and _has_wildcards(source):
            empty.append(source)
            continue
        many = several or len(items) > 1
        for item in items:
            kind = seen.kind[item]
            if kind == "dir":
                for path in seen.below(item):
                    rel = path[len(item) + 1:] if item else path
                    files.append(CopiedFile(path, _join_image_path(dest, rel), copy.stage, copy.line,
                                            copy.instruction, symlink=seen.kind[path] == "symlink"))
                continue
            name = item.rpartition("/")[2]
            into = _join_image_path(dest, name)
            alt = None
            if copy.dest_abs.endswith("/") or many or dest in known_dirs:
                image_path = into
            else:
                image_path, alt = dest, into
            unpacked = copy.instruction == "ADD" and kind == "file" and _is_archive(root / item)
            files.append(CopiedFile(item, image_path, copy.stage, copy.line, copy.instruction, alt,
                                    unpacked=unpacked, symlink=kind == "symlink"))
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
    entries = tuple(_walk(root, ignore, unreadable))
    by_path = {e.relpath: e for e in entries}
    seen, full = _Tree(), _Tree()
    for e in entries:
        full.add(e.relpath, "dir" if e.kind == "pruned" else e.kind)
        if e.kind == "pruned":
            full.kind[e.relpath] = "pruned"
        if not e.excluded:
            seen.add(e.relpath, e.kind)
    target_stage = parsed.stage(target) if target is not None else parsed.final
    if target_stage is None:
        raise DockerfileError(f"no stage {target!r} in {dockerfile_path}")
    needed = parsed.needed_stages(target_stage.index)

    expansions: list[CopyExpansion] = []
    stage_files: dict[int, dict[str, TrackedFile]] = {}
    stage_dirs: dict[int, set[str]] = {}
    for index in needed:
        stage = parsed.stages[index]
        base = stage.base_stage
        files: dict[str, TrackedFile] = dict(stage_files.get(base, {})) if base is not None else {}
        dirs: set[str] = set(stage_dirs.get(base, {"/"})) if base is not None else {"/"}
        copies = iter(stage.copies)
        workdirs = dict(stage.workdirs)
        for ins in stage.instructions[1:]:
            if ins.keyword == "WORKDIR":  # WORKDIR creates the directory
                dirs.add(workdirs[ins.line])
                dirs.update(_parents(workdirs[ins.line]))
                continue
            if ins.keyword == "RUN":
                files = {p: _replace(f, modified_later=True) for p, f in files.items()}
                continue
            if ins.keyword not in ("COPY", "ADD"):
                continue
            copy = next(copies)
            dest = copy.dest_abs.rstrip("/") or "/"
            if copy.from_context:
                expansion = _expand_copy(copy, root, seen, full, by_path, ignore, dirs)
                expansions.append(expansion)
                if expansion.remote or copy.heredocs:  # content we cannot see lands at dest too
                    files = _mark_overlapping(files, dest, set())
                for f in expansion.files:
                    files[f.image_path] = TrackedFile(f.context_path, f.image_path, index, copy.line,
                                                      alt_image_path=f.alt_image_path, unpacked=f.unpacked,
                                                      symlink=f.symlink)
                    dirs.update(_parents(f.image_path))
            elif copy.from_stage is not None:
                written, unknown = _copy_between_stages(copy, stage_files.get(copy.from_stage, {}),
                                                        stage_dirs.get(copy.from_stage, {"/"}), dirs)
                if unknown:  # a directory or path we do not fully track (RUN output) lands at dest
                    files = _mark_overlapping(files, dest, set(written))
                files.update(written)
                for path in written:
                    dirs.update(_parents(path))
            else:  # from an image: unknown bytes land at dest
                files = _mark_overlapping(files, dest, set())
            if copy.dest_is_dir:
                dirs.add(dest)
                dirs.update(_parents(dest))
        stage_files[index] = files
        stage_dirs[index] = dirs
    final = tuple(sorted(stage_files[target_stage.index].values(), key=lambda f: f.image_path))
    return ContextAnalysis(root, dockerfile_path, ignore_path, parsed, ignore, entries, tuple(expansions),
                           tuple(needed), target_stage.index, final, tuple(unreadable))


def _replace(f: TrackedFile, **changes: Any) -> TrackedFile:
    from dataclasses import replace

    return replace(f, **changes)


def _mark_overlapping(files: dict[str, TrackedFile], dest: str, keep: set[str]) -> dict[str, TrackedFile]:
    return {p: (_replace(f, modified_later=True) if p not in keep and _overlaps(p, dest) else f)
            for p, f in files.items()}


def _copy_between_stages(copy: CopyInstruction, source_files: dict[str, TrackedFile], source_dirs: set[str],
                         dest_dirs: set[str]) -> tuple[dict[str, TrackedFile], bool]:
    """`COPY --from=<stage>`: the context files we track in that stage, moved to their new path,
    and whether content we do not track may come along (a directory, a wildcard, an unknown path)."""
    tree = _Tree()
    for d in source_dirs:
        if d != "/":
            tree.add(d.lstrip("/"), "dir")
    for path, f in source_files.items():
        tree.add(path.lstrip("/"), "symlink" if f.symlink else "file")
    dest = copy.dest_abs.rstrip("/") or "/"
    several = len(copy.sources) > 1
    out: dict[str, TrackedFile] = {}
    unknown = False
    for source in copy.sources:
        resolved = tree.resolve(source)
        if resolved is None or _has_wildcards(source):
            unknown = True
        items = resolved or []
        many = several or len(items) > 1
        for item in items:
            if tree.kind[item] == "dir":
                unknown = True
                for path in tree.below(item):
                    rel = path[len(item) + 1:] if item else path
                    new = _join_image_path(dest, rel)
                    out[new] = _replace(source_files["/" + path], image_path=new, alt_image_path=None)
                continue
            name = item.rpartition("/")[2]
            into = _join_image_path(dest, name)
            alt = None
            if copy.dest_abs.endswith("/") or many or dest in dest_dirs:
                new = into
            else:
                new, alt = dest, into
            out[new] = _replace(source_files["/" + item], image_path=new, alt_image_path=alt)
    return out, unknown


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
    if not _has_wildcards(clean):
        return path_parts[: len(source_parts)] == source_parts
    try:
        return all(go_match(s, p) if _has_wildcards(s) else s == p for s, p in zip(source_parts, path_parts, strict=False))
    except BadPattern:
        return False


# --------------------------------------------------------------------------- the checks


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

    entries = list(_walk(root, ignore))
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
