"""Values and placeholders: `{{name.field}}` looked up in an experiment's scope (its names
and what its steps saved), filled into step values and project files, and the text form of a
value when it stands inside a longer string."""

from __future__ import annotations

import json
from typing import Any

from runner.playbook.model import LAB_REF


class Missing(Exception):
    pass


def lookup(scope: dict[str, Any], ref: str) -> Any:
    """The value of `name.field.sub` in the scope; raises Missing."""
    head, *path = ref.split(".")
    if head not in scope:
        raise Missing(f"{head!r} is not defined (yet)")
    value = scope[head]
    for i, part in enumerate(path):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            where = ".".join([head, *path[:i]])
            keys = ", ".join(sorted(value)) if isinstance(value, dict) else type(value).__name__
            raise Missing(f"{where} has no {part!r} (has: {keys})")
    return value


def fill(value: Any, scope: dict[str, Any]) -> Any:
    """Placeholders replaced. A string that is exactly one reference becomes the value itself."""
    if isinstance(value, str):
        whole = LAB_REF.fullmatch(value.strip())
        if whole and value.strip() == value:
            return lookup(scope, whole.group(1))
        return LAB_REF.sub(lambda m: text(lookup(scope, m.group(1))), value)
    if isinstance(value, dict):
        return {key: fill(item, scope) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [fill(item, scope) for item in value]
    return value


def fill_text(value: str, scope: dict[str, Any]) -> str:
    return LAB_REF.sub(lambda m: text(lookup(scope, m.group(1))), value)


def text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value).lower() \
        if isinstance(value, bool) else str(value)

