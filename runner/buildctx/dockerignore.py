"""`.dockerignore` reading and matching, in the two generations of the matcher a build client
applies to the context it sends.

Follows moby/patternmatcher (`ignorefile.ReadAll`, `New`, `MatchesUsingParentResults`,
`Pattern.compile`), the matcher behind BuildKit and the docker CLI since 23, and moby
pkg/fileutils, the one of docker 20.10; Go's `filepath.Match` checks a pattern's syntax
(`runner/buildctx/gopath.py`). Also which ignore file a build reads.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from runner.buildctx import BadPattern, ContextError, OutsideContext
from runner.buildctx.gopath import go_clean, go_match

# Two generations of the matcher a build client applies to the context it sends:
LEGACY = "docker-20.10"  # docker CLI <= 20.10 (BuildKit built in): moby pkg/fileutils + old fsutil walker
MODERN = "patternmatcher"  # buildx / docker >= 23: moby/patternmatcher + fsutil MatchesUsingParentResults
FLAVORS = (LEGACY, MODERN)
DEFAULT_FLAVOR = LEGACY  # what Docker 20.10.24's built-in BuildKit was seen to do


def flavor_for_client(version: str) -> str:
    """The matcher generation of a docker CLI version ("20.10.24" -> LEGACY, "28.1.1" -> MODERN)."""
    try:
        major = int(version.split(".")[0])
    except ValueError:
        return DEFAULT_FLAVOR
    return LEGACY if major < 23 else MODERN


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


def _alternation(patterns: Sequence[IgnorePattern], last: bool = False) -> re.Pattern[str] | None:
    """One expression matching what any of `patterns` matches; group `pN` names the first that
    does (IgnorePattern.match, pattern by pattern), or the last."""
    parts = []
    numbered = list(enumerate(patterns))
    for number, pattern in reversed(numbered) if last else numbered:
        if pattern.kind == "exact":
            body = re.escape(pattern.text) + r"\Z"
        elif pattern.kind == "prefix":
            body = re.escape(pattern.text[:-2])
        elif pattern.kind == "suffix":
            suffix = pattern.text[2:]
            body = f"(?s:.*{re.escape(suffix)})\\Z"
            if suffix.startswith("/"):
                body = f"(?:{body}|{re.escape(suffix[1:])}\\Z)"
        else:
            assert pattern.regex is not None
            body = pattern.regex.pattern
            if re.search(r"\\[1-9]|\(\?P=", body):  # a back-reference would count the groups of all
                return None
        parts.append(f"(?P<p{number}>{body})")
    if not parts:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile("|".join(parts))
    except re.error:  # an expression that compiles alone but not beside the others: one by one
        return None


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
        # Without `!` lines one pattern decides (MODERN: the first that matches; LEGACY: the
        # last, its loop goes on), and nothing below an excluded directory is stepped into: one
        # regular expression finds that pattern (a context's files times its patterns took
        # seconds at 100,000 files).
        self._first_match = (None if self.has_exclusions else
                             _alternation(self.patterns, last=flavor == LEGACY))

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

    def step(self, path: str, parent: list[bool] | None) -> tuple[bool, list[bool], IgnorePattern | None]:
        """One path. MODERN: MatchesUsingParentResults, `parent` = which patterns matched the
        parent directory (None: look at every ancestor). LEGACY: fileutils Matches, which looks at
        one ancestor only, the one as deep as the pattern (`parent` only says that no pattern
        matched the parent, nor so any ancestor: then only the path itself can match)."""
        info = [False] * len(self.patterns)
        if self._first_match is not None and (parent is not None or "/" not in path) and not any(parent or ()):
            found = self._first_match.match(path)
            if found is None:
                return False, info, None
            first = int(found.lastgroup[1:])  # type: ignore[index]
            info[first] = True
            return True, info, self.patterns[first]
        matched = False
        decided: IgnorePattern | None = None
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

    def prunable(self, directory: str) -> bool:
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
            matched, info, decided = self.step(ancestor, info)
            if matched and self.prunable(ancestor):
                return IgnoreMatch(True, decided, ancestor)
        matched, info, decided = self.step(path, info)
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
