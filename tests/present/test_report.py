"""Diagnoses as text and JSON (runner/present/report.py), from diagnoses made in the test: the
JSON's shape, one line per check, the evidence a person sees, the fix command to run next."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

from rich.console import Console

from runner.diagnose.diagnosis import CheckOutcome, Diagnosis
from runner.playbook.model import Playbook
from runner.present.machine import to_json
from runner.present.report import (
    _evidence_lines,
    check_line,
    fix_command,
    print_verdict,
)

PLAYBOOK = Playbook.model_validate({
    "id": "stale", "title": "t", "summary": "s", "symptoms": [{"text": "x"}],
    "params": {"image": {"type": "image", "description": "tag", "required": True},
               "context": {"type": "string", "description": "dir", "default": "."}},
    "fixes": [{"id": "rebuild", "title": {"ko": "다시 빌드", "en": "Rebuild"}, "steps": [
        {"title": "build", "run": ["docker", "build", "-t", "{{image}}", "{{context}}"], "effect": "write",
         "env": {"DOCKER_BUILDKIT": "1", "NOTE": "a b"}},
        {"title": "check the page", "manual": "look", "effect": "read"}]}],
})
OUTCOME = CheckOutcome("image", "image", "fail", "app:1 is 3 days old", {"id": "sha256:abc"}, 12)


def diagnosis(status: str, cause: dict | None = None, errors: tuple[str, ...] = (),
              params: dict[str, str] | None = None) -> Diagnosis:
    return Diagnosis("stale", status, cause, (OUTCOME,), "rebuild" if cause else None, 40,
                     params or {"image": "app:1", "context": "."}, "unix:///var/run/docker.sock", errors)


def printed(found: Diagnosis, docker_host: str | None = None) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    print_verdict(console, PLAYBOOK, found, "en", docker_host)
    return console.file.getvalue()


def test_the_json_is_the_diagnosis_with_korean_kept_and_paths_as_text():
    outcome = CheckOutcome("a", "fake", "pass", "이미지 최신", {"at": Path("/app")}, 3)
    found = Diagnosis("stale", "ok", None, (outcome,), None, 40, {"image": "app:1"})
    text = to_json(found)
    assert "이미지 최신" in text
    data = json.loads(text)
    assert list(data) == ["playbook", "status", "cause", "checks", "fix", "ms", "params", "engine", "errors",
                         "unexplained", "interrupted_fixes"]
    assert data["checks"] == [{"id": "a", "status": "pass", "summary": "이미지 최신", "evidence": {"at": "/app"},
                               "ms": 3}]


def test_a_check_line_is_its_mark_id_summary_and_time():
    line = check_line(OUTCOME, width=8)
    assert line.plain == "✗ image   app:1 is 3 days old  12 ms"
    assert check_line(CheckOutcome("x", "k", "odd", "s", {}, 1)).plain.startswith("? x ")


def test_evidence_shows_the_headline_keys_at_most_five_items_each():
    lines = _evidence_lines({"image_id": "sha256:abc", "behind": 0, "error": "", "other": "hidden",
                             "stale_files": [{"path": f"f{i}"} for i in range(7)], "upstream": "x" * 300})
    assert lines[0] == "    image_id: sha256:abc"
    assert lines[1] == "    upstream: " + "x" * 200
    assert lines[2:7] == [f'    stale_files: {{"path": "f{i}"}}' for i in range(5)]
    assert lines[7:] == ["    stale_files: ... 2 more (see --json)"]


def test_the_fix_command_names_only_params_that_differ_from_their_default():
    assert fix_command(PLAYBOOK, diagnosis("problem", params={"image": "app:1", "context": "."}), None) == \
        "runner fix stale --param image=app:1"
    assert fix_command(PLAYBOOK, diagnosis("problem", params={"image": "my app", "context": "src"}), "ssh://h") == \
        "runner fix stale --param 'image=my app' --param context=src --docker-host ssh://h"


def test_a_verdict_without_a_cause():
    assert "nothing wrong found (40 ms)" in printed(diagnosis("ok"))
    assert "Every check passed and no cause holds" in printed(diagnosis("ok"))
    failed = printed(diagnosis("error", errors=("engine: no Docker Engine answers",)))
    assert "could not diagnose (40 ms)" in failed and "  engine: no Docker Engine answers" in failed
    assert "Every check passed" not in failed


def test_a_verdict_with_a_cause_names_it_its_evidence_and_the_fix_to_run():
    cause = {"id": "image-not-rebuilt", "title": "Not rebuilt", "explanation": "  The tag is old.\n",
             "evidence": {"image": {"summary": "app:1 is 3 days old", "id": "sha256:abc"}}}
    out = printed(diagnosis("problem", cause, params={"image": "app:1", "context": "src"}), "tcp://h:2375")
    lines = out.splitlines()
    assert "problem found (40 ms)" in out
    assert "cause: image-not-rebuilt   Not rebuilt" in lines
    assert "  The tag is old." in lines
    assert lines[lines.index("evidence:") + 1:lines.index("evidence:") + 3] == [
        "  image: app:1 is 3 days old", "    id: sha256:abc"]
    assert "fix: Rebuild" in lines
    assert "  runner fix stale --param image=app:1 --param context=src --docker-host tcp://h:2375" in lines
    assert "    [write] DOCKER_BUILDKIT=1 NOTE='a b' docker build -t app:1 src" in lines
    assert "    [read] check the page" in lines


def test_step_titles_are_text_not_markup():
    playbook = PLAYBOOK.model_copy(update={"fixes": (PLAYBOOK.fixes[0].model_copy(update={"steps": (
        PLAYBOOK.fixes[0].steps[1].model_copy(update={"title": "check [the] page [bold]now[/bold]"}),)}),)})
    console = Console(file=io.StringIO(), width=200, color_system=None)
    cause = {"id": "c", "title": "t", "explanation": "e", "evidence": {}}
    print_verdict(console, playbook, diagnosis("problem", cause), "en", None)
    assert "    [read] check [the] page [bold]now[/bold]" in console.file.getvalue().splitlines()


def test_a_failed_check_no_cause_explains_is_printed_as_such():
    found = dataclasses.replace(diagnosis("ok"), status="problem",
                                unexplained=("source: the context does not build now",))
    out = printed(found)
    assert "no cause of this playbook explains it" in out and "source: the context does not build now" in out
    assert "Every check passed" not in out
