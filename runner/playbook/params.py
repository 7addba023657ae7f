"""Playbook parameters: checked against their declared type, then substituted into
argument lists. Never into a shell string: a value stays exactly one argument."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from runner.errors import ParamError
from runner.playbook.model import ParamType, Playbook
from runner.playbook.placeholders import Unknown, fill, paths, whole_path

# Docker's reference grammar, simplified: [registry[:port]/]name[:tag][@digest], or an ID.
IMAGE_REF = re.compile(
    r"^(?:sha256:)?[a-f0-9]{12,64}$|"
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")
CONTAINER_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def resolve_params(playbook: Playbook, given: dict[str, str], cwd: Path) -> dict[str, str]:
    """Given values plus defaults, each checked against its declared type; raises ParamError."""
    unknown = sorted(set(given) - set(playbook.params))
    if unknown:
        name = unknown[0]
        import difflib  # only for a mistyped name

        close = difflib.get_close_matches(name, list(playbook.params), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"this playbook takes: {', '.join(playbook.params) or 'none'}"
        raise ParamError(f"unknown param {name!r} for {playbook.id} ({hint})")
    values: dict[str, str] = {}
    for name, param in playbook.params.items():
        if name in given:
            value = given[name]
        elif param.default is not None:
            value = str(param.default).lower() if isinstance(param.default, bool) else str(param.default)
        elif param.required:
            example = f" e.g. --param {name}={param.example}" if param.example else ""
            raise ParamError(f"param {name!r} is required ({_describe(param.description)}){example}")
        else:
            continue
        values[name] = _checked(name, param.type, value, cwd)
    return values


def _describe(text: Any) -> str:
    from runner.playbook.model import localize

    return localize(text, "en")


def _checked(name: str, kind: ParamType, value: str, cwd: Path) -> str:
    def bad(why: str) -> ParamError:
        return ParamError(f"param {name}={value!r}: {why}")

    if kind is ParamType.int:
        if not re.fullmatch(r"-?\d+", value):
            raise bad("not an integer")
    elif kind is ParamType.bool:
        lowered = value.lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise bad("not true or false")
        return "true" if lowered in ("true", "1", "yes") else "false"
    elif kind is ParamType.directory:
        path = (cwd / value).resolve()
        if not path.is_dir():
            raise bad("not a directory" if path.exists() else "no such directory")
        return str(path)
    elif kind is ParamType.image:
        if not IMAGE_REF.match(value):
            raise bad("not an image reference (like app:staging or registry:5000/team/app:1.2)")
    elif kind is ParamType.container:
        if not CONTAINER_NAME.match(value):
            raise bad("not a container name or ID")
    elif kind is ParamType.url:
        if not URL.match(value):
            raise bad("not an http(s) URL")
    elif kind is ParamType.path and "\x00" in value:
        raise bad("contains a NUL byte")
    if "\x00" in value:
        raise bad("contains a NUL byte")
    return value


def substitute(value: Any, params: dict[str, str]) -> Any:
    """`{{name}}` placeholders of the given params filled in (lists and dicts walked); each value
    stays inside the one string it replaces. Other placeholders stay as written: evidence, for
    a later scope, or params not given, which `unresolved` reports."""

    def param(path: str) -> str:
        if path not in params:  # a dotted path is never a param: params are text
            raise Unknown(path)
        return params[path]

    return fill(value, param, partial=True)


def unset_reference(value: Any, unset: Collection[str]) -> str | None:
    """The param's name when `value` is exactly a reference to one of the optional params left
    `unset` (such an argument is dropped, so that it takes its default)."""
    path = whole_path(value)
    return path if path in unset else None


def unresolved(value: Any) -> list[str]:
    """Params referred to and not filled in: neither given nor defaulted."""
    return sorted({path for path in paths(value) if "." not in path})
