"""The published JSON Schema (runner/playbook/schema.py): the committed file is what the models
generate, it accepts every valid playbook as an editor reads it, and it names the registered
actions and their arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests/examples/valid"


def test_committed_schema_is_up_to_date():
    from runner.playbook.schema import SCHEMA_PATH, generate

    assert SCHEMA_PATH.read_text(encoding="utf-8") == generate(), "stale: run `runner schema --write`"


def _as_an_editor_reads(path: Path) -> object:
    """The playbook as a YAML 1.2 editor hands it to the schema: dates are strings."""
    from runner.playbook.loader import parse_yaml, read_text

    data, _ = parse_yaml(read_text(path))
    return json.loads(json.dumps(data, default=str))


def schema_validator():
    import jsonschema

    from runner.playbook.schema import SCHEMA_PATH

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", sorted([*(ROOT / "playbooks").glob("*.yaml"), *VALID.glob("*.yaml")]),
                         ids=lambda p: p.stem)
def test_the_schema_accepts_every_valid_playbook(path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in schema_validator().iter_errors(_as_an_editor_reads(path))]
    assert errors == []


def test_the_schema_names_the_actions_and_their_arguments():
    data = _as_an_editor_reads(ROOT / "playbooks/buildkit-stale.yaml")

    def actions(node):
        if isinstance(node, dict):
            if isinstance(node.get("action"), dict):
                yield node["action"]
            for value in node.values():
                yield from actions(value)
        elif isinstance(node, list):
            for value in node:
                yield from actions(value)

    def messages(errors):  # an action sits in an anyOf (or null): its errors are in the context
        for error in errors:
            yield error.message
            yield from messages(error.context)

    action = next(action for action in actions(data) if action["name"] == "unexclude-paths")
    validator = schema_validator()
    assert list(validator.iter_errors(data)) == []
    action["name"] = "unexclude-path"
    assert any("'unexclude-path' is not one of" in m for m in messages(validator.iter_errors(data)))
    action["name"] = "unexclude-paths"
    action["args"]["dockerfle"] = "Dockerfile"
    assert any("'dockerfle' was unexpected" in m for m in messages(validator.iter_errors(data)))
