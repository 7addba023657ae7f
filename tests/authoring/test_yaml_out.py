"""The imported playbook as YAML: the header, keys in the playbook's order, block style."""

from __future__ import annotations

import yaml

from runner.authoring.yaml_out import DEFAULT_SCHEMA, Flow, dump


def test_header_then_keys_in_order_without_empty_ones():
    data = {"notes": ["n"], "title": "T", "id": "x", "tags": Flow(["a", "b"]), "params": {}, "symptoms": []}
    text = dump(data, ["Imported from x.md.", "", "- a warning"])
    assert text == (f"# yaml-language-server: $schema={DEFAULT_SCHEMA}\n#\n"
                    "# Imported from x.md.\n#\n# - a warning\n\n"
                    "id: x\ntitle: T\ntags: [a, b]\nnotes:\n  - n\n")
    assert dump({"id": "x"}, [], schema="other.json").startswith("# yaml-language-server: $schema=other.json\n#\n\n")


def test_block_styles():
    long = "word " * 30
    text = dump({"id": "x", "summary": long.strip(), "notes": ["line one\nline two\n", "trailing space \nx"],
                 "symptoms": [{"run": Flow(["docker", "ps"])}]}, [])
    body = text.split("\n\n", 1)[1]
    assert "summary: >-\n" in body  # a long sentence folded
    assert "  - |\n    line one\n    line two\n" in body  # code as a literal block
    assert "symptoms:\n  - run: [docker, ps]\n" in body  # `- item` indented under its key
    assert "\\u" not in dump({"id": "x", "title": "캐시"}, [])  # unicode as it is
    assert yaml.safe_load(body) == {"id": "x", "summary": long.strip(),
                                    "notes": ["line one\nline two\n", "trailing space \nx"],
                                    "symptoms": [{"run": ["docker", "ps"]}]}
