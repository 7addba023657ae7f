"""Playbooks as terminal text (runner/present/show.py), rendered from a playbook made in the
test: the header and its metadata, how steps, wrong attempts, claims and params read, and the
list table. That each section gets its heading, through `runner show`, is in
tests/commands/test_catalogue.py."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from runner.playbook.model import Playbook
from runner.present.labels import TERMINAL_HEADINGS as HEADINGS
from runner.present.show import command_line, playbook_renderables, playbook_table

PLAYBOOK = Playbook.model_validate({
    "id": "stale-image", "title": {"ko": "예전 이미지가 실행됨", "en": "The old image runs"}, "summary": "s",
    "severity": "high", "occurred": "2024-04-01", "project": "shop", "tags": ["docker", "buildkit"],
    "applies_to": [{"tool": "docker", "versions": ">=20.10"}],
    "params": {"image": {"type": "image", "description": "the tag", "required": True, "example": "app:staging"},
               "context": {"type": "directory", "description": "the folder", "default": "."}},
    "symptoms": [{"text": "old page", "signatures": ["CACHED$"]}],
    "reported_cause": {"points": ["the cache"], "claims": ["rmi-keeps-cache"]},
    "wrong_attempts": [{"id": "prune", "title": "Prune everything", "why": ["it loses the cache"],
                        "verdict": "forbidden", "result": "still old"}],
    "fixes": [{"id": "rebuild", "title": "Rebuild", "benefits": ["fresh"], "cost": "a minute", "steps": [
        {"title": "build", "run": ["docker", "build", "-t", "{{image}}", "."], "env": {"NOTE": "a b"},
         "effect": "write"},
        {"title": "recreate", "action": {"name": "recreate-container", "args": {"container": "app"}},
         "effect": "write"},
        {"title": "prune", "run": ["docker", "builder", "prune", "-f"], "effect": "destructive",
         "loses": "every cache record"}]}],
    "references": [{"title": "Build cache", "url": "https://docs.docker.com/build/cache/"}],
    "claims": [{"id": "rmi-keeps-cache", "statement": "rmi keeps the cache", "status": "confirmed",
                "note": "measured twice", "verified": [{"on": "2024-04-02", "engine": "Docker Engine 20.10.24"}]}],
})


def rendered(lang: str = "en") -> list[str]:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    for renderable in playbook_renderables(PLAYBOOK, lang):
        console.print(renderable)
    return [line.rstrip() for line in console.file.getvalue().splitlines()]


def test_command_lines_quote_like_a_shell():
    assert command_line(["docker", "build", "-t", "my app", "$HOME", "it's"]) == \
        "docker build -t 'my app' '$HOME' 'it'\"'\"'s'"


def test_both_languages_have_every_heading():
    assert set(HEADINGS["ko"]) == set(HEADINGS["en"])
    assert all(HEADINGS["ko"].values()) and all(HEADINGS["en"].values())


@pytest.mark.parametrize("lang, title", [("en", "The old image runs"), ("ko", "예전 이미지가 실행됨")])
def test_the_header_says_title_id_and_metadata(lang, title):
    lines = rendered(lang)
    assert lines[:4] == [f"{title}  (stale-image)", "high  2024-04-01  shop  #docker  #buildkit", "s",
                         "docker >=20.10"]


def test_steps_read_as_commands_actions_and_what_they_lose():
    lines = rendered()
    assert any("│ NOTE='a b' docker build -t '{{image}}' .  " in line for line in lines)
    assert any("action: recreate-container {'container': 'app'}" in line for line in lines)
    assert any("[destructive] prune" in line for line in lines)
    assert any("loses: every cache record" in line for line in lines)
    assert any("+ fresh" in line for line in lines) and any("cost: a minute" in line for line in lines)


def test_a_wrong_attempt_shows_its_verdict_result_and_why():
    text = "\n".join(rendered())
    assert "⛔ forbidden  Prune everything" in text
    assert "result: still old" in text and "• it loses the cache" in text


def test_claims_show_status_note_and_where_they_were_verified():
    lines = rendered()
    [claim] = [line for line in lines if "rmi keeps the cache" in line]
    assert claim.split() == ["confirmed", "rmi", "keeps", "the", "cache", "Docker", "Engine", "20.10.24",
                             "(2024-04-02)"]
    assert "measured twice" in lines[lines.index(claim) + 1]
    assert "→ rmi-keeps-cache: confirmed" in lines


def test_params_show_type_default_requirement_and_example():
    lines = rendered()
    assert "image (image (required), e.g. app:staging): the tag" in lines
    assert "context (directory = .): the folder" in lines
    assert "• Build cache  https://docs.docker.com/build/cache/" in lines


def test_the_list_table_shows_each_playbook_in_both_languages():
    console = Console(file=io.StringIO(), width=200, color_system=None)
    playbook_table([PLAYBOOK], console)
    lines = [line.rstrip() for line in console.file.getvalue().splitlines()]
    assert lines[0].split() == ["id", "severity", "tags", "title"]
    assert lines[1].split() == ["stale-image", "high", "docker", "buildkit", "예전", "이미지가", "실행됨"]
    assert lines[2].split() == ["The", "old", "image", "runs"]
