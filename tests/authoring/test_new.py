"""`runner new`'s skeleton: it validates as it is, with the id, the schema path and the date."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from runner.authoring.importer import ImportFailed, validate_text
from runner.authoring.new import skeleton
from runner.authoring.yaml_out import DEFAULT_SCHEMA


def test_skeleton_validates_with_its_id_schema_and_date():
    text = skeleton("port-already-allocated", "../schema.json", today=dt.date(2026, 1, 16))
    assert text.startswith("# yaml-language-server: $schema=../schema.json\n")
    data = yaml.safe_load(text)
    assert (data["id"], data["occurred"]) == ("port-already-allocated", dt.date(2026, 1, 16))
    assert validate_text(text, "port-already-allocated").id == "port-already-allocated"
    assert f"$schema={DEFAULT_SCHEMA}\n" in skeleton("draft")


@pytest.mark.parametrize("bad", ["Not An Id", "under_score", "a" * 65, ""])
def test_skeleton_refuses_a_bad_id(bad):
    with pytest.raises(ImportFailed, match="is not a valid id"):
        skeleton(bad)
