"""The playbook's one language for naming values: dotted paths and `{{path}}` placeholders.

Conditions, lab assertions, fix steps (commands, texts, action arguments) and check arguments
all name values this way; docs/onboarding/writing-playbooks.md is the guide for authors.

A path is a name followed by keys, `name.key.key`. Each key steps into the value so far:

* a mapping: the value under that key;
* a list: an index (`0`, or `-1` for the last item), `length` (how many items), or any other
  key, which is taken from every item (`stale_files.path` is the list of each file's path;
  lists of lists are flattened);
* a string or a mapping without such a key: `length` is its length.

A placeholder is a path in double braces inside a string. A string that is exactly one
placeholder becomes the value itself (a list stays a list, a number a number); inside longer
text the value is written out: a list as its items joined by ", ", a mapping as JSON, true and
false in lower case. In an argument list, a placeholder whose value is a list becomes that many
arguments. Go templates such as `{{.Image}}` or `{{json .Config}}` are not
placeholders (a path starts with a lower-case letter), so docker --format strings stay as
written.

Which names a placeholder may use depends on where it stands, the scope: params in checks;
params and `evidence.<check id>` in fixes; unique names, built-ins and saved observations in
a lab. This module knows nothing of them: callers give the scope.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

NAME = r"[a-z][a-z0-9_]*"
PLACEHOLDER = re.compile(r"\{\{\s*(" + NAME + r"(?:\.[A-Za-z0-9_-]+)*)\s*\}\}")
# A placeholder of a single name: how params are written (`{{image}}`).
NAME_PLACEHOLDER = re.compile(r"\{\{\s*(" + NAME + r")\s*\}\}")

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


class Missing(LookupError):
    """A path names nothing: its first name is not in the scope, or a key is not there."""


class Unknown(Missing):
    """The path's first name is not in the scope at all (another scope may know it)."""


def walk(value: Any, keys: list[str], where: str) -> Any:
    """Step through `keys` from `value`; raises Missing naming `where` the path broke off."""
    for i, key in enumerate(keys):
        if isinstance(value, (list, tuple)):
            if _is_index(key):
                index = int(key)
                if not -len(value) <= index < len(value):
                    raise Missing(f"{where} has no item {key} (it has {len(value)})")
                value = value[index]
            elif key == "length":
                value = len(value)
            else:
                mapped: list[Any] = []
                for item in value:
                    found = walk(item, keys[i:], f"{where}[]")
                    mapped.extend(found if isinstance(found, list) else [found])
                return mapped
        elif isinstance(value, Mapping) and key in value:
            value = value[key]
        elif isinstance(value, (str, Mapping)) and key == "length":
            value = len(value)
        else:
            has = ", ".join(sorted(map(str, value))) if isinstance(value, Mapping) else type(value).__name__
            raise Missing(f"{where} has no {key!r} (has: {has})")
        where = f"{where}.{key}"
    return value


def _is_index(key: str) -> bool:
    return key.lstrip("-").isdigit() and key.count("-") <= 1


def resolve(scope: Mapping[str, Any], path: str) -> Any:
    """The value `path` names in the scope; raises Unknown or Missing."""
    head, *keys = path.split(".")
    if head not in scope:
        raise Unknown(f"{head!r} is not defined (yet)")
    return walk(scope[head], keys, head)


def get(value: Any, path: str) -> Any:
    """The value at `path` (keys only, no leading name) inside `value`, or MISSING."""
    try:
        return walk(value, path.split("."), "")
    except Missing:
        return MISSING


Resolver = Callable[[str], Any]


def fill(value: Any, scope: Mapping[str, Any] | Resolver, *, partial: bool = False) -> Any:
    """`value` with its placeholders replaced (strings inside mappings and lists too).

    `scope` is a mapping of names, or a function from a path to its value that raises
    Unknown or Missing. With `partial`, a placeholder whose name the scope does not know is
    left as written (for a later scope, or to be reported); otherwise Unknown is raised."""
    lookup: Resolver = scope if callable(scope) else (lambda path: resolve(scope, path))  # type: ignore[arg-type]

    def one(match: re.Match[str], whole: bool) -> Any:
        try:
            found = lookup(match.group(1))
        except Unknown:
            if partial:
                return match.group(0)
            raise
        return found if whole else as_text(found)

    def fill_any(item: Any) -> Any:
        if isinstance(item, str):
            whole = PLACEHOLDER.fullmatch(item)
            if whole:
                return one(whole, True)
            return PLACEHOLDER.sub(lambda m: one(m, False), item)
        if isinstance(item, Mapping):
            return {key: fill_any(inner) for key, inner in item.items()}
        if isinstance(item, (list, tuple)):
            return [fill_any(inner) for inner in item]
        return item

    return fill_any(value)


def fill_text(text: str, scope: Mapping[str, Any] | Resolver) -> str:
    """`text` with every placeholder written out as text, even one that is the whole string
    (a file's content, a working directory)."""
    lookup: Resolver = scope if callable(scope) else (lambda path: resolve(scope, path))  # type: ignore[arg-type]
    return PLACEHOLDER.sub(lambda m: as_text(lookup(m.group(1))), text)


def as_arguments(values: list[Any]) -> list[str]:
    """A filled-in argument list as text: a value that is a list becomes that many arguments."""
    arguments: list[str] = []
    for value in values:
        arguments.extend(as_text(item) for item in (value if isinstance(value, list) else [value]))
    return arguments


def as_text(value: Any) -> str:
    """A value as it is written inside longer text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(as_text(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def paths(value: Any) -> Iterator[str]:
    """The path of every placeholder inside a value (strings inside mappings and lists too)."""
    return (path for _, path in located_paths(value, ()))


def located_paths(value: Any, loc: tuple) -> Iterator[tuple[tuple, str]]:
    """(where, path) of every placeholder inside a value; `where` extends `loc` with the keys
    and indices that lead to its string."""
    if isinstance(value, str):
        for path in PLACEHOLDER.findall(value):
            yield loc, path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from located_paths(item, (*loc, key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from located_paths(item, (*loc, i))


def whole_path(value: Any) -> str | None:
    """The path when `value` is a string that is exactly one placeholder, else None."""
    match = PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
    return match.group(1) if match else None


# --- where a placeholder must not be ----------------------------------------------------------

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh", "busybox"})


def parameters_in_shell_code(argv: tuple[str, ...] | None) -> list[str]:
    """The `-c` strings of a shell command that hold a `{{parameter}}`: the person's value would
    run as shell code there (a default of `$(touch pwned)` ran)."""
    if not argv or argv[0].rsplit("/", 1)[-1] not in SHELLS:
        return []
    words = list(argv[1:])
    return [code for flag, code in zip(words, words[1:]) if _COMMAND_FLAG.match(flag) and "{{" in code]


_COMMAND_FLAG = re.compile(r"^-[A-Za-z]*c[A-Za-z]*$")  # -c, -lc, -ec, -xc


SHELL_CODE_HINT = ("pass the value as an argument (`sh -c 'echo \"$1\"' sh '{{name}}'`) or in `env:`, and "
                   "use \"$1\" or \"$NAME\" in the script")
