"""The registry of fix actions and the evidence references (runner/fix/actions/__init__.py):
references map over lists and flatten; `runner validate` flags an unknown action, argument or
evidence check."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from runner import exitcodes
from runner.cli import cli
from runner.fix.actions import (
    EvidenceMissing,
    evidence_refs,
    lookup_evidence,
    substitute_evidence,
)

EVIDENCE = {"source": {"stale_files": [{"path": "a.ts", "same_size": True}, {"path": "b.ts"}],
                       "excluded_changes": []},
            "mounts": {"shadowing": [{"name": "v1", "differing": ["/x", "/y"]}, {"name": "v2", "differing": ["/z"]}]}}


def test_evidence_references_map_over_lists_and_flatten():
    assert lookup_evidence(EVIDENCE, "source", "stale_files.path") == ["a.ts", "b.ts"]
    assert lookup_evidence(EVIDENCE, "mounts", "shadowing.differing") == ["/x", "/y", "/z"]
    assert substitute_evidence({"paths": "{{evidence.source.stale_files.path}}", "ctx": "/c"}, EVIDENCE) == \
        {"paths": ["a.ts", "b.ts"], "ctx": "/c"}
    assert substitute_evidence("hides {{ evidence.mounts.shadowing.name }}", EVIDENCE) == "hides v1, v2"
    assert evidence_refs({"a": ["{{evidence.source.x}}"], "b": "{{param}}"}) == [("source", "x")]
    with pytest.raises(EvidenceMissing, match="no evidence from check 'git'"):
        lookup_evidence(EVIDENCE, "git", "behind")
    with pytest.raises(EvidenceMissing, match="has no 'stale_files.size'"):
        lookup_evidence(EVIDENCE, "source", "stale_files.size")


def test_validate_flags_unknown_actions_arguments_and_evidence(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "id: bad\ntitle: t\nsummary: s\nsymptoms: [{text: s}]\n"
        "checks: [{id: source, kind: engine}]\n"
        "fixes:\n  - id: f\n    title: t\n    steps:\n"
        "      - {title: a, action: {name: recreate-contianer, args: {container: x}}, effect: write}\n"
        "      - {title: b, action: {name: touch-files, args: {context: c, path: p}}, effect: write}\n"
        "      - {title: c, action: {name: touch-files, args: {context: c, paths: '{{evidence.sorce.x}}'}}, "
        "effect: write}\n")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == exitcodes.INVALID_PLAYBOOK
    out = result.output
    assert "fixes[0].steps[0].action.name: unknown action 'recreate-contianer' (did you mean 'recreate-container'?)" \
        in out
    assert "fixes[0].steps[1].action.args.path: unknown argument 'path' (did you mean 'paths'?)" in out
    assert "fixes[0].steps[1].action.args.paths: required argument is missing" in out
    assert "evidence of check 'sorce' is used but there is no such check (did you mean 'source'?)" in out
