"""The published JSON Schema of a playbook, generated from the models."""

from __future__ import annotations

import json
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schema" / "playbook.schema.json"
SCHEMA_ID = "https://runner.invalid/schema/playbook.schema.json"


def generate() -> str:
    from runner.checks.kinds import CHECK_KINDS
    from runner.playbook.model import Playbook

    schema = Playbook.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    # Each kind's arguments, so that an editor completes `args:` once `kind:` is set.
    branches = []
    for name, kind in sorted(CHECK_KINDS.items()):
        args_schema = kind.args.model_json_schema()
        for def_name, definition in args_schema.pop("$defs", {}).items():
            defs.setdefault(def_name, definition)
        args_schema["description"] = kind.summary
        branches.append({"if": {"properties": {"kind": {"const": name}}},
                         "then": {"properties": {"args": args_schema}}})
    defs["Check"]["allOf"] = branches
    _describe_actions(defs["Action"])
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _describe_actions(action: dict) -> None:
    """The registered action names, and each one's argument names, so that an editor completes
    them and marks a misspelt one. The arguments carry no types here: a playbook often gives a
    list as one `{{evidence...}}` string, which the runner fills in before it checks them."""
    from runner.fix.actions import ACTIONS

    action["properties"]["name"]["enum"] = sorted(ACTIONS)
    branches = []
    for name, kind in sorted(ACTIONS.items()):
        fields = kind.args.model_fields
        arguments = {field: {"description": info.description or field} for field, info in fields.items()}
        required = sorted(field for field, info in fields.items() if info.is_required())
        branches.append({"if": {"properties": {"name": {"const": name}}},
                         "then": {"description": kind.summary,
                                  "properties": {"args": {"type": "object", "properties": arguments,
                                                          "required": required, "additionalProperties": False}}}})
    action["allOf"] = branches
