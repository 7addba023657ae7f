"""Placeholders filled from an experiment's scope."""

from __future__ import annotations

from runner.lab.placeholders import fill, lookup


def test_placeholders_fill_values_and_keep_go_templates():
    scope = {"image": "runner-lab-1-image", "b1": {"image_id": "sha256:abc", "steps": [{"n": 1}]}}
    assert fill(["docker", "inspect", "-f", "{{.Image}}", "{{image}}"], scope) == \
        ["docker", "inspect", "-f", "{{.Image}}", "runner-lab-1-image"]
    assert fill("{{b1.steps}}", scope) == [{"n": 1}]  # a whole reference keeps its type
    assert fill("id={{b1.image_id}}", scope) == "id=sha256:abc"
    assert lookup(scope, "b1.steps.0.n") == 1
