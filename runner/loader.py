"""Playbook files -> validated, immutable Playbook models, or Problems with file:line:col.

YAML is composed into nodes (which keep their positions) and built into plain data by
hand, so that duplicate keys, non-standard tags and alias bombs are refused before any
object exists, and every pydantic error can be pointed back at its line.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from runner.errors import PlaybookError, Problem
from runner.model import ID_PATTERN, PARAM_PATTERN, TAG_PATTERN, Playbook
from runner.references import cross_reference_problems

MAX_NODES = 50_000  # more than any real playbook; stops "billion laughs" alias expansion
MAX_DEPTH = 64
MAX_BYTES = 2_000_000
SUFFIXES = (".yaml", ".yml")

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
    def __init__(self, message: str, mark: yaml.Mark | None, hint: str = "", loc: Loc = ()):
        self.message, self.mark, self.hint, self.loc = message, mark, hint, loc


def _mark(mark: yaml.Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


class _Builder:
    def __init__(self) -> None:
        self.positions = Positions()
        self.count = 0
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used

    def build(self, node: yaml.Node, loc: Loc, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Invalid(f"document expands to more than {MAX_NODES} values",
                           node.start_mark, "aliases expanding without bound?", loc)
        if depth > MAX_DEPTH:
            raise _Invalid(f"nested deeper than {MAX_DEPTH} levels", node.start_mark, loc=loc)
        self.positions.of_value.setdefault(loc, _mark(node.start_mark))
        if node.tag not in _STANDARD_TAGS:
            raise _Invalid(f"tag {node.tag!r} is not allowed", node.start_mark,
                           "playbooks hold plain data: strings, numbers, lists and mappings", loc)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError) as exc:
            raise _Invalid(f"cannot read value: {exc}", node.start_mark, loc=loc) from None

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        self.constructor.flatten_mapping(node)  # resolves `<<:` merge keys
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Invalid("a key must be a plain string", key_node.start_mark, loc=loc)
            key = self.constructor.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key).lower() if isinstance(key, bool) else str(key)
            if key in result:
                first = self.positions.of_key[(*loc, key)][0]
                raise _Invalid(f"duplicate key {key!r}", key_node.start_mark,
                               f"first defined on line {first}", (*loc, key))
            self.positions.of_key[(*loc, key)] = _mark(key_node.start_mark)
            result[key] = self.build(value_node, (*loc, key), depth + 1)
        return result


def parse_yaml(text: str) -> tuple[Any, Positions]:
    """Compose and build one YAML document; raises _Invalid with a position."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        raise _Invalid(f"not valid YAML: {exc.problem}", exc.problem_mark) from None
    except yaml.YAMLError as exc:
        raise _Invalid(f"not valid YAML: {exc}", None) from None
    except RecursionError:
        raise _Invalid(f"nested deeper than {MAX_DEPTH} levels", None) from None
    if len(nodes) > 1:
        raise _Invalid("more than one YAML document", nodes[1].start_mark,
                       "one playbook per file; remove the '---' separator")
    if not nodes or nodes[0] is None:
        raise _Invalid("the file is empty", None, "a playbook needs at least id, title, summary, symptoms")
    builder = _Builder()
    data = builder.build(nodes[0], ())
    return data, builder.positions


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise _Invalid(f"the file is larger than {MAX_BYTES // 1_000_000} MB", None)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _Invalid(f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", None,
                       "save the file as UTF-8", loc=("__pos__", line, col)) from None


def load_file(path: Path) -> Playbook:
    """Load and validate one playbook file; raises PlaybookError."""
    path = Path(path)
    try:
        data, positions = parse_yaml(read_text(path))
    except _Invalid as exc:
        line, col = _mark(exc.mark)
        if exc.loc[:1] == ("__pos__",):
            _, line, col = exc.loc
            loc: Loc = ()
        else:
            loc = exc.loc
        raise PlaybookError([Problem(path, exc.message, line, col, _dotted(loc), exc.hint)]) from None
    except OSError as exc:
        raise PlaybookError([Problem(path, f"cannot read: {exc.strerror or exc}")]) from None
    return validate_data(data, positions, path)


def validate_data(data: Any, positions: Positions, path: Path) -> Playbook:
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single {type(data).__name__} value"
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
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()))
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
            problems.append(Problem(path, f"id {playbook.id!r} is already used", 1, 1, "id",
                                    f"by {first_file[playbook.id]}"))
            continue
        first_file[playbook.id] = path
        playbooks.append(playbook)
    return playbooks, problems


# --- pydantic errors -> problems -------------------------------------------------------

_PATTERN_HINTS = {
    ID_PATTERN: "ids are kebab-case: lowercase letters, digits and single hyphens, e.g. buildkit-stale",
    PARAM_PATTERN: "param names are lowercase letters, digits and underscores, e.g. image",
    TAG_PATTERN: "tags are lowercase, e.g. docker",
}


def _problems_from(exc: ValidationError, data: dict, positions: Positions, path: Path) -> list[Problem]:
    errors = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    problems: dict[tuple, Problem] = {}
    for error, raw_loc in zip(errors, locs):
        # A union's wrapper error repeats what a deeper error already says.
        if any(other != raw_loc and other[: len(raw_loc)] == raw_loc for other in locs):
            continue
        loc, is_text = _data_loc(raw_loc, data)
        message, hint = _explain(error, loc, raw_loc, is_text, data)
        key = error["type"] in ("extra_forbidden",)
        line, col = positions.find(loc, key=key)
        problem = Problem(path, message, line, col, _dotted(loc), hint)
        problems.setdefault((loc, message), problem)
    return sorted(problems.values(), key=lambda p: (p.line or 0, p.column or 0))


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
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else ("expected one of: " + ", ".join(sorted(known))
                                                             if known else "")
        return f"unknown key {name!r}", hint
    if is_text and kind in ("string_type", "model_type", "model_attributes_type", "dict_type"):
        return "expected text", "a string, or a mapping with ko and/or en"
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


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def format_problems(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


__all__ = ["load_file", "load_all", "playbook_files", "PlaybookError", "Problem", "parse_yaml"]
