"""The imported playbook as YAML text: block style as people write it (literal code, folded long
sentences, one-line argument lists and tags), keys in the playbook's order (ORDER), and the
header with the `$schema=` line and the importer's warnings (dump)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

DEFAULT_SCHEMA = "../runner/schema/playbook.schema.json"  # from playbooks/, the usual place

WIDTH = 96


class Flow(list):
    """A list written on one line: `run: [docker, builder, prune, -f]`, `tags: [a, b]`."""


class Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # `- item` indented under its key, as people write


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Code and multi-paragraph text as literal blocks, long sentences folded (`>-`): the file
    # reads like the hand-written playbooks. PyYAML falls back to quotes where a style cannot
    # hold the value exactly (trailing spaces, control characters).
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if len(value) > WIDTH and " " in value.strip():
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


Dumper.add_representer(str, _str)
Dumper.add_representer(Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))

ORDER = ("id", "title", "summary", "occurred", "project", "tags", "params", "symptoms", "situation", "reported_cause",
         "wrong_attempts", "alternatives", "prevention", "lessons", "references", "notes")


def dump(data: dict[str, Any], header: Iterable[str], schema: str = DEFAULT_SCHEMA) -> str:
    ordered = {key: data[key] for key in ORDER if key in data and data[key] not in ([], {})}
    body = yaml.dump(ordered, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=WIDTH)
    comments = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header)
    return f"# yaml-language-server: $schema={schema}\n#\n{comments}\n{body}"
