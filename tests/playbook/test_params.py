"""Params: validated against their declared type before anything runs, substituted into
argument lists as exactly one argument each."""

from __future__ import annotations

import sys

import pytest

from runner.checks.command import command
from runner.checks.kinds import CommandArgs
from runner.checks.result import CheckContext
from runner.errors import ParamError
from runner.playbook.model import Playbook
from runner.playbook.params import resolve_params, substitute, unresolved

PLAYBOOK = Playbook.model_validate({
    "id": "p", "title": "t", "summary": "s", "symptoms": [{"text": "x"}],
    "params": {
        "image": {"type": "image", "description": "tag", "required": True},
        "context": {"type": "directory", "description": "dir", "default": "."},
        "container": {"type": "container", "description": "name"},
        "count": {"type": "int", "description": "n", "default": 3},
        "fetch": {"type": "bool", "description": "b", "default": False},
        "url": {"type": "url", "description": "u"},
        "value": {"type": "string", "description": "anything"},
    },
})


def test_defaults_fill_in_and_directories_resolve(tmp_path):
    values = resolve_params(PLAYBOOK, {"image": "app:staging"}, tmp_path)
    assert values == {"image": "app:staging", "context": str(tmp_path), "count": "3", "fetch": "false"}


@pytest.mark.parametrize("given, message", [
    ({}, "param 'image' is required"),
    ({"image": "App Staging"}, "not an image reference"),
    ({"image": "a:b", "context": "nope"}, "no such directory"),
    ({"image": "a:b", "container": "x; rm -rf /"}, "not a container name"),
    ({"image": "a:b", "count": "three"}, "not an integer"),
    ({"image": "a:b", "fetch": "maybe"}, "not true or false"),
    ({"image": "a:b", "url": "ftp://x"}, "not an http(s) URL"),
    ({"image": "a:b", "imgae": "x"}, "unknown param 'imgae' for p (did you mean 'image'?)"),
])
def test_bad_values_are_refused_before_anything_runs(tmp_path, given, message):
    with pytest.raises(ParamError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        resolve_params(PLAYBOOK, given, tmp_path)


def test_context_that_is_a_file_is_not_a_directory(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ParamError, match="not a directory"):
        resolve_params(PLAYBOOK, {"image": "a:b", "context": "f"}, tmp_path)


@pytest.mark.parametrize("hostile", ["x; rm -rf /", "$(id)", "`id`", "a b\tc", "'\"", "--help", "*", "{{image}}"])
def test_a_param_value_stays_one_literal_argument(tmp_path, hostile):
    values = resolve_params(PLAYBOOK, {"image": "a:b", "value": hostile}, tmp_path)
    argv = substitute([sys.executable, "-c", "import sys, json; print(json.dumps(sys.argv[1:]))", "{{value}}"], values)
    result = command(CommandArgs(run=tuple(argv)), CheckContext(cwd=tmp_path))
    assert result.status == "pass"
    import json

    assert json.loads(result.evidence["stdout"]) == [hostile]
    assert not (tmp_path / "pwned").exists()


def test_substitute_leaves_go_templates_alone():
    assert substitute(["docker", "inspect", "-f", "{{.Image}} {{json .Config}}", "{{ image }}"], {"image": "a:b"}) \
        == ["docker", "inspect", "-f", "{{.Image}} {{json .Config}}", "a:b"]


def test_an_unset_optional_param_drops_its_argument_or_skips_a_required_one(tmp_path):
    from runner.diagnose.diagnosis import diagnose

    playbook = Playbook.model_validate({
        "id": "p", "title": "t", "summary": "s", "symptoms": [{"text": "x"}],
        "params": {"where": {"type": "directory", "description": "d"},
                   "tool": {"type": "string", "description": "t"}},
        "checks": [
            {"id": "defaulted", "kind": "command",
             "args": {"run": [sys.executable, "-c", "import os; print(os.getcwd())"], "cwd": "{{where}}"}},
            {"id": "needs-tool", "kind": "image", "args": {"image": "{{tool}}"}},
        ],
    })
    report = diagnose(playbook, {}, cwd=tmp_path)
    outcomes = {c.id: c for c in report.checks}
    assert outcomes["defaulted"].status == "pass"
    assert outcomes["defaulted"].evidence["stdout"].strip() == str(tmp_path)
    assert outcomes["needs-tool"].status == "skip" and "needs param tool" in outcomes["needs-tool"].summary


def test_param_references_anywhere_in_a_value_are_unresolved_until_given():
    value = {"run": ["docker", "build", "-t", "{{image}}", "{{ context }}"], "env": {"TAG": "v-{{tag}}"},
             "format": "{{.Image}} {{json .Config}}", "evidence": "{{evidence.source.stale_files.path}}"}
    assert unresolved(value) == ["context", "image", "tag"]
    assert unresolved(substitute(value, {"image": "a", "tag": "1"})) == ["context"]
