"""runner/triage/search.py: finding playbooks by Korean or English words (the command,
`runner search`, is tested in tests/commands/test_triage.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.playbook.catalogue import load_catalogue
from runner.playbook.model import Playbook
from runner.triage.search import search, terms

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"


@pytest.fixture(scope="module")
def shipped() -> list[Playbook]:
    return load_catalogue(PLAYBOOKS)


def make(pid: str, **fields) -> Playbook:
    data = {"id": pid, "title": f"title {pid}", "summary": "summary", "symptoms": [{"text": "symptom"}]}
    data.update(fields)
    return Playbook.model_validate(data)


def ids(playbooks, query: str, lang: str = "en") -> list[str]:
    return [m.id for m in search(playbooks, query, lang)]


@pytest.mark.parametrize("query", ["BuildKit", "CACHED", "builder prune", "캐시", "빌드 캐시", "이미지 삭제",
                                   "buildkit cache", "캐시를", "빌드캐시", "--no-cache", "컨테이너 다시"])
def test_finds_buildkit_stale(shipped, query):
    assert "buildkit-stale" in ids(shipped, query)


@pytest.mark.parametrize("query", ["xyzzy", "탐사선", "cache xyzzy", "ache", "빌드 화성"])
def test_nonsense_finds_nothing(shipped, query):
    assert ids(shipped, query) == []


def test_empty_query_finds_nothing(shipped):
    assert search(shipped, "  `` ", "en") == []


def test_query_terms():
    assert [(t.text, t.hangul) for t in terms("BuildKit캐시 `--no-cache` 빌드")] == [
        ("BuildKit", False), ("캐시", True), ("no-cache", False), ("빌드", True)]


def test_hangul_matches_inside_compounds_and_without_particles():
    compound = make("compound", title={"ko": "빌드캐시가 가득 참"})
    spaced = make("spaced", title={"ko": "빌드 캐시 정리"})
    other = make("other", title={"ko": "포트 충돌"})
    catalogue = [compound, spaced, other]
    assert ids(catalogue, "캐시") == ["compound", "spaced"]
    assert ids(catalogue, "캐시를") == ["compound", "spaced"]  # the particle is not required
    # whole, else split into its words, which then count as one term (a tie, broken by id)
    assert ids(catalogue, "빌드캐시") == ["compound", "spaced"]
    assert len({m.score for m in search(catalogue, "빌드캐시")}) == 1
    assert ids(catalogue, "빌드 캐시") == ["spaced", "compound"]  # the phrase as typed ranks first


def test_latin_words_match_at_a_word_start_ignoring_case():
    cached = make("cached", summary="every layer shows as CACHED")
    mustache = make("mustache", summary="a mustache template")
    assert ids([cached, mustache], "cache") == ["cached"]
    assert ids([cached, mustache], "Cached layer") == ["cached"]


def test_every_term_must_occur_somewhere():
    pb = make("p", title="docker build", tags=["cache"])
    assert ids([pb], "docker cache") == ["p"]
    assert ids([pb], "docker volume") == []


def test_title_outranks_lesson_and_phrase_counts():
    in_title = make("in-title", title="port is already allocated")
    in_lesson = make("in-lesson", lessons=[{"title": "port allocation", "points": ["already seen"]}])
    scattered = make("scattered", title="port", summary="it is allocated already")
    matches = search([in_lesson, scattered, in_title], "port already", "en")
    assert [m.id for m in matches] == ["in-title", "scattered", "in-lesson"]
    assert matches[0].score > matches[1].score  # the phrase occurs as written in the title


def test_snippets_prefer_the_requested_language(shipped):
    ko = search(shipped, "BuildKit", "ko")[0].lines
    en = search(shipped, "BuildKit", "en")[0].lines
    # buildkit-stale's title names the symptom; "BuildKit" is in the report's own title
    assert ko[0].field == "reported_title.ko" and ko[0].text == "Docker BuildKit 캐시 문제"
    assert en[0].field == "reported_title.en" and en[0].text == "Docker BuildKit cache problem"


def test_symptom_matches_are_named(shipped):
    [match] = search(shipped, "브라우저 404", "ko")
    assert match.symptoms == (2,)
    assert match.to_json()["symptoms"][0]["id"] == "browser-404"


