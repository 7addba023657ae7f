"""Playbook files -> validated, immutable Playbook models, or Problems with file:line:col.

YAML is composed into nodes (which keep their positions) and built into plain data by
hand, so that duplicate keys, non-standard tags and alias bombs are refused before any
object exists, and every pydantic error can be pointed back at its line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from runner.errors import PlaybookError, Problem
from runner.playbook.folders import SUFFIXES, Unreadable, read_playbook_bytes
from runner.playbook.model import ID_PATTERN, PARAM_PATTERN, TAG_PATTERN, Playbook
from runner.playbook.references import cross_reference_problems

_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built in: ~10x faster
MAX_NODES = 50_000  # more than any real playbook; stops "billion laughs" alias expansion
MAX_DEPTH = 64

_STANDARD_TAGS = {
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"

Loc = tuple[str | int, ...]


@dataclass
class Positions:
    """Where each key path of a document starts (1-based line and column)."""

    of_value: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    of_key: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def find(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        table = self.of_key if key else self.of_value
        for end in range(len(loc), -1, -1):
            if loc[:end] in table:
                return table[loc[:end]]
            if loc[:end] in self.of_value:
                return self.of_value[loc[:end]]
        return (1, 1)


class _Invalid(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None, hint: str = "", loc: Loc = (),
                 position: tuple[int, int] | None = None):
        self.message, self.mark, self.hint, self.loc = message, mark, hint, loc
        self.position = position or _mark(mark)


def _mark(mark: yaml.Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


class _Builder:
    def __init__(self, lines: list[str] | None = None) -> None:
        self.lines = lines or []  # the source, for what the composed nodes no longer hold: comments
        self.positions = Positions()
        self.count = 0
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used
        self.seen: set[int] = set()
        self.alias_at: Loc | None = None  # where the outermost alias being expanded is used

    def build(self, node: yaml.Node, loc: Loc, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            # Name the key whose aliases blow up, not a node deep inside the anchored value.
            where = self.alias_at if self.alias_at is not None else loc
            while where and where not in self.positions.of_key:
                where = where[:-1]
            raise _Invalid(f"document expands to more than {MAX_NODES} values", node.start_mark,
                           "aliases expanding without bound?", where, self.positions.of_key.get(where))
        if depth > MAX_DEPTH:
            raise _Invalid(f"nested deeper than {MAX_DEPTH} levels", node.start_mark, loc=loc)
        self.positions.of_value.setdefault(loc, _mark(node.start_mark))
        if node.tag not in _STANDARD_TAGS:
            raise _Invalid(f"tag {node.tag!r} is not allowed", node.start_mark,
                           "playbooks hold plain data: strings, numbers, lists and mappings", loc)
        if isinstance(node, yaml.CollectionNode):
            outermost = id(node) in self.seen and self.alias_at is None
            self.seen.add(id(node))
            if outermost:
                self.alias_at = loc
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, loc, depth)
                return [self.build(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
            finally:
                if outermost:
                    self.alias_at = None
        if not node.style and node.tag == "tag:yaml.org,2002:str":  # plain: None, or "" from libyaml
            self._refuse_a_cut(node, loc)
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception as exc:  # noqa: BLE001 - the safe constructors also fail with AttributeError, ...
            kind = node.tag.rsplit(":", 1)[-1]
            detail = f": {exc}" if isinstance(exc, ValueError) else ""
            hint = "write dates as YYYY-MM-DD" if kind == "timestamp" else ""
            raise _Invalid(f"cannot read {node.value!r} as {kind}{detail}", node.start_mark, hint, loc) from None

    def _refuse_a_cut(self, node: yaml.ScalarNode, loc: Loc) -> None:
        """` #` ends an unquoted value: `... (moby/buildkit#4817, #1368).` silently lost its end.
        A comment right after a plain text value (words, or a `#` followed by no space), on its
        line or indented as its continuation, is refused; a comment after a one-word value, and
        comments on lines of their own at the key's indentation, are fine."""
        end = node.end_mark
        if end.line >= len(self.lines):
            return
        hint = "quote the value, or write it as a block (>-): a YAML comment needs its own line"
        # `severity: medium  # low | high` is a comment on purpose; prose, or `#1368`, is a cut.
        comment = re.match(r"\s+#(\S?)", self.lines[end.line][end.column:])
        if comment and (comment.group(1) or " " in node.value):
            raise _Invalid("the text after ' #' is a YAML comment and is cut from this value", end, hint, loc)
        start_line = self.lines[node.start_mark.line]
        indent = len(start_line) - len(start_line.lstrip(" "))
        following = self.lines[end.line + 1] if end.line + 1 < len(self.lines) else ""
        if node.end_mark.line > node.start_mark.line or following.strip().startswith("#"):
            deeper = re.match(r"( +)#", following)
            if deeper and len(deeper.group(1)) > indent:
                raise _Invalid("a line starting with '#' right after this value is a YAML comment: the value "
                               "ends before it", node.end_mark, hint, loc)

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self._key(key_node, loc)
            if key in result:
                first = self.positions.of_key[(*loc, key)][0]
                raise _Invalid(f"duplicate key {key!r}", key_node.start_mark,
                               f"first defined on line {first}", (*loc, key))
            self.positions.of_key[(*loc, key)] = _mark(key_node.start_mark)
            result[key] = self.build(value_node, (*loc, key), depth + 1)
        for value_node in merges:  # `<<: *anchor`: keys written here win, then earlier merges
            for key, value in self._merged(value_node, loc, depth).items():
                result.setdefault(key, value)
        return result

    def _key(self, node: yaml.Node, loc: Loc) -> str:
        # A key is its text as written: `on:` is the key "on", not the YAML 1.1 boolean true.
        if not isinstance(node, yaml.ScalarNode):
            raise _Invalid("a key must be a plain string", node.start_mark, loc=loc)
        if node.tag not in _STANDARD_TAGS:
            raise _Invalid(f"tag {node.tag!r} is not allowed", node.start_mark,
                           "playbooks hold plain data: strings, numbers, lists and mappings", loc)
        return node.value

    def _merged(self, node: yaml.Node, loc: Loc, depth: int) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise _Invalid("'<<' merges a mapping or a list of mappings", source.start_mark,
                               "e.g. <<: *defaults", loc)
            for key, value in self.build(source, loc, depth + 1).items():
                merged.setdefault(key, value)
        return merged


def _compose(text: str) -> list[yaml.Node]:
    try:
        return list(yaml.compose_all(text, Loader=_FAST_LOADER))
    except yaml.YAMLError:
        # The pure-Python parser words its errors better ("but got ':'") and they are rare.
        return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def parse_yaml(text: str) -> tuple[Any, Positions]:
    """Compose and build one YAML document; raises _Invalid with a position."""
    try:
        nodes = _compose(text)
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "syntax error"
        hint = "indent with spaces, not tabs" if "'\\t'" in problem else ""
        start, end = exc.context_mark, exc.problem_mark
        if exc.context and start and end and start.line != end.line:  # e.g. an unclosed [ or "
            hint = f"{exc.context} started on line {start.line + 1}"
        raise _Invalid(f"not valid YAML: {problem}", end or start, hint) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids; it has no line, only a position
        before = text[: exc.position]
        where = (before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise _Invalid(f"not valid YAML: character U+{char:04X} is not allowed", None,
                       "remove control characters", position=where) from None
    except yaml.YAMLError as exc:
        raise _Invalid(f"not valid YAML: {exc}", None) from None
    except RecursionError:
        raise _Invalid(f"nested deeper than {MAX_DEPTH} levels", None) from None
    if len(nodes) > 1:
        raise _Invalid("more than one YAML document", nodes[1].start_mark,
                       "one playbook per file; remove the '---' separator")
    if not nodes or nodes[0] is None:
        raise _Invalid("the file is empty", None, "a playbook needs at least id, title, summary, symptoms")
    builder = _Builder(text.split("\n"))
    data = builder.build(nodes[0], ())
    return data, builder.positions


def read_text(path: Path) -> str:
    """The file's text (see `read_playbook_bytes` for what is refused before reading)."""
    try:
        return _decoded(read_playbook_bytes(path))
    except Unreadable as exc:
        raise _Invalid(exc.message, None, exc.hint) from None


def _decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _Invalid(f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", None,
                       "save the file as UTF-8", position=(line, col)) from None


def load_file(path: Path) -> Playbook:
    """Load and validate one playbook file; raises PlaybookError."""
    path = Path(path)
    return _load(path, lambda: read_text(path))


def load_bytes(path: Path, raw: bytes) -> Playbook:
    """Validate `raw`, the bytes read from `path` (named in problems); raises PlaybookError."""
    return _load(Path(path), lambda: _decoded(raw))


def _load(path: Path, text: Callable[[], str]) -> Playbook:
    try:
        data, positions = parse_yaml(text())
    except _Invalid as exc:
        raise PlaybookError([Problem(path, exc.message, *exc.position, _dotted(exc.loc), exc.hint)]) from None
    except OSError as exc:
        raise PlaybookError([Problem(path, f"cannot read: {exc.strerror or exc}")]) from None
    return validate_data(data, positions, path)


def validate_data(data: Any, positions: Positions, path: Path) -> Playbook:
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({_yaml_kind(data)})"
        line, col = positions.find(())
        raise PlaybookError([Problem(path, f"the top level is {kind}, not a mapping", line, col,
                                     hint="a playbook is a mapping: id: ..., title: ..., ...")])
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        raise PlaybookError(_problems_from(exc, data, positions, path)) from None
    except RecursionError:
        raise PlaybookError([Problem(path, "conditions nested too deeply", 1, 1)]) from None
    problems = [
        Problem(path, message, *positions.find(loc, key=key), _dotted(loc), hint)
        for loc, message, hint, key in cross_reference_problems(playbook, data)
    ]
    if path.stem != playbook.id and path.suffix in SUFFIXES:
        line, col = positions.find(("id",))
        problems.append(Problem(path, f"id {playbook.id!r} differs from the file name", line, col, "id",
                                f"rename the file to {playbook.id}{path.suffix} or change the id"))
    if problems:
        raise PlaybookError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))
    return playbook


def playbook_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            # Anything named *.yaml but a folder: a FIFO or a device there is refused by name, not skipped.
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and not p.is_dir()))
        else:
            files.append(path)
    return files


def load_all(paths: list[Path]) -> tuple[list[Playbook], list[Problem]]:
    """Validate every playbook under `paths` together: ids must be unique across files."""
    playbooks: list[Playbook] = []
    problems: list[Problem] = []
    first_file: dict[str, Path] = {}
    for path in playbook_files(paths):
        if not path.exists():
            problems.append(Problem(path, "no such file or directory"))
            continue
        try:
            playbook = load_file(path)
        except PlaybookError as exc:
            problems.extend(exc.problems)
            continue
        if playbook.id in first_file:
            problems.append(Problem(path, f"id {playbook.id!r} is already used", *_id_position(path), "id",
                                    f"by {first_file[playbook.id]}"))
            continue
        first_file[playbook.id] = path
        playbooks.append(playbook)
    return playbooks, problems


def _id_position(path: Path) -> tuple[int, int]:
    try:
        return parse_yaml(read_text(path))[1].find(("id",))
    except (_Invalid, OSError):
        return (1, 1)


def _yaml_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (dt.date, dt.datetime)):
        return "a date"
    return "a string" if isinstance(value, str) else "null"


# --- pydantic errors -> problems -------------------------------------------------------

_PATTERN_HINTS = {
    ID_PATTERN: "ids are kebab-case: lowercase letters, digits and single hyphens, e.g. buildkit-stale",
    PARAM_PATTERN: "param names are lowercase letters, digits and underscores, e.g. image",
    TAG_PATTERN: "tags are lowercase, e.g. docker",
}


def _problems_from(exc: ValidationError, data: dict, positions: Positions, path: Path) -> list[Problem]:
    errors = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    above = {loc[:end] for loc in locs for end in range(len(loc))}  # strict prefixes: linear, not n²
    problems: dict[tuple, Problem] = {}
    meant: set[Loc] = set()  # `symptom:` for `symptoms:` is one mistake: say it once
    for error, raw_loc in zip(errors, locs):
        # A union's wrapper error repeats what a deeper error already says.
        if raw_loc in above:
            continue
        loc, is_text = _data_loc(raw_loc, data)
        if error["type"] == "extra_forbidden" and loc and (close := _close_field(raw_loc)):
            meant.add((*loc[:-1], close))
        message, hint = _explain(error, loc, raw_loc, is_text, data)
        key = error["type"] in ("extra_forbidden",)
        line, col = positions.find(loc, key=key)
        problem = Problem(path, message, line, col, _dotted(loc), hint)
        problems.setdefault((loc, message), problem)
    kept = [p for (loc, message), p in problems.items()
            if not (message == "required field is missing" and loc in meant)]
    return sorted(kept, key=lambda p: (p.line or 0, p.column or 0))


def _data_loc(raw_loc: tuple, data: Any) -> tuple[Loc, bool]:
    """Drop pydantic's union tags from a location, keeping only real keys and indexes."""
    loc: list[str | int] = []
    node = data
    is_text = False
    for part in raw_loc:
        if isinstance(node, dict) and part in node:
            loc.append(part)
            node = node[part]
        elif isinstance(node, dict) and part == "not_" and "not" in node:
            loc.append("not")
            node = node["not"]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            loc.append(part)
            node = node[part]
        elif part in ("string", "mapping"):
            is_text = True
        elif isinstance(node, dict) and isinstance(part, str) and not part[:1].isupper():
            loc.append(part)  # a missing key: name it
            node = None
    return tuple(loc), is_text


def _explain(error: dict, loc: Loc, raw_loc: tuple, is_text: bool, data: Any) -> tuple[str, str]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing", ""
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        known = _known_fields(raw_loc[:-1])
        close = _close_field(raw_loc)
        hint = f"did you mean {close!r}?" if close else ("expected one of: " + ", ".join(known)
                                                         if known else "")
        return f"unknown key {name!r}", hint
    if is_text and kind in ("string_type", "model_type", "model_attributes_type", "dict_type"):
        return "expected text", "a string, or a mapping with ko and/or en"
    if kind in ("tuple_type", "list_type", "set_type"):
        given = error.get("input")
        plain = isinstance(given, (int, float)) or (isinstance(given, str) and _PLAIN_KEY.fullmatch(given)
                                                    and given.isprintable() and len(given) <= 40)
        return "expected a list", (f"e.g. [{given}]" if plain else "e.g. [a, b], or one '- item' per line")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "expected a mapping", "key: value pairs"
    if kind == "string_type":
        return "expected a string", ""
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return f"{error['input']!r} is not a valid name", _PATTERN_HINTS.get(pattern, f"must match {pattern}")
    if kind == "enum" or kind == "literal_error":
        return f"{error['input']!r} is not allowed", f"expected {ctx.get('expected', '')}".strip()
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return "not a valid condition", "use check+status, check+field, all, any or not"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return message[:1].lower() + message[1:], ""


def _close_field(raw_loc: tuple) -> str | None:
    """The accepted field an unknown key at `raw_loc` most likely meant."""
    close = difflib.get_close_matches(str(raw_loc[-1]), _known_fields(raw_loc[:-1]), n=1, cutoff=0.6)
    return close[0] if close else None


def _known_fields(raw_loc: tuple) -> list[str]:
    """Field names accepted at a pydantic location (walking models, unions and containers)."""
    candidates: list[Any] = [Playbook]
    for part in raw_loc:
        following: list[Any] = []
        for tp in candidates:
            for model in _models_in(tp):
                field_info = model.model_fields.get(part) or next(
                    (f for f in model.model_fields.values() if f.alias == part), None)
                if field_info is not None:
                    following.append(field_info.annotation)
                elif model.__name__ == part:
                    following.append(model)
            if not _models_in(tp):
                following.extend(_containers_inner(tp, part))
        candidates = following or candidates
    names: set[str] = set()
    for tp in candidates:
        for model in _models_in(tp):
            names.update(f.alias or n for n, f in model.model_fields.items())
    return sorted(names)


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [inner for arg in typing.get_args(tp) for inner in _unwrap(arg)]
    return [tp]


def _models_in(tp: Any) -> list[type[BaseModel]]:
    return [t for t in _unwrap(tp) if isinstance(t, type) and issubclass(t, BaseModel)]


def _containers_inner(tp: Any, part: Any) -> list[Any]:
    inner: list[Any] = []
    for t in _unwrap(tp):
        origin = typing.get_origin(t)
        args = typing.get_args(t)
        if origin is tuple and args and isinstance(part, int):
            inner.append(args[0])
        elif origin is dict and len(args) == 2:
            inner.append(args[1])
    return inner


_PLAIN_KEY = re.compile(r"[^\s.\[\]'\"]+")


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not (_PLAIN_KEY.fullmatch(part) and part.isprintable()):
            text += f"[{part!r}]"  # keeps a problem on one line whatever the key holds
        else:
            text += f".{part}" if text else part
    return text


def format_problems(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


__all__ = ["load_file", "load_all", "playbook_files", "PlaybookError", "Problem", "parse_yaml"]
