"""runner/present/labels.py: one table of the words the site and the terminal show."""

from __future__ import annotations

import pytest

from runner.playbook.model import LANGS, ClaimStatus, Effect, Verdict
from runner.present import labels
from runner.present.labels import Label

TABLES = {"SECTION": labels.SECTION, "DATA_SECTION": labels.DATA_SECTION, "WORD": labels.WORD,
          "EFFECT_LABEL": labels.EFFECT_LABEL, "VERDICT_LABEL": labels.VERDICT_LABEL,
          "CLAIM_LABEL": labels.CLAIM_LABEL, "TERMINAL_VARIANT": labels.TERMINAL_VARIANT}


@pytest.mark.parametrize("name", TABLES)
def test_every_label_has_both_languages(name: str) -> None:
    for key, label in TABLES[name].items():
        assert isinstance(label, Label), (name, key)
        for lang in LANGS:
            text = label.text(lang)
            assert isinstance(text, str) and text.strip() == text and text, (name, key, lang)
    assert set(labels.LANG_LABEL) == set(LANGS)


def test_every_effect_verdict_and_claim_status_has_a_label() -> None:
    assert set(labels.EFFECT_LABEL) == set(Effect)
    assert set(labels.VERDICT_LABEL) == set(Verdict)
    assert set(labels.CLAIM_LABEL) == set(ClaimStatus)


def test_a_label_unpacks_as_korean_then_english() -> None:
    ko, en = labels.SECTION["fixes"]
    assert (ko, en) == ("해결 방법", "Fixes") == (labels.SECTION["fixes"].text("ko"), labels.SECTION["fixes"].text("en"))


def test_the_terminals_variants_are_of_labels_the_table_has() -> None:
    assert set(labels.TERMINAL_VARIANT) <= set(labels.SECTION) | set(labels.WORD)
    assert set(labels.TERMINAL_SECTIONS) <= set(labels.SECTION)
    assert set(labels.TERMINAL_WORDS) <= set(labels.WORD)


def test_the_terminal_says_what_it_said_before_the_table() -> None:
    """`runner show`'s headings and words, as show.py held them: the site's, but for its variants
    and the lower-case words."""
    assert labels.TERMINAL_HEADINGS == {
        "ko": {"symptoms": "증상", "situation": "구체적인 상황", "reported": "보고된 근본 원인 (검증 전 주장)",
               "causes": "원인과 확인 방법", "wrong": "잘못된 해결 시도", "fixes": "해결 방법", "alternatives": "대안",
               "prevention": "예방 방법", "lessons": "학습 포인트", "references": "관련 문서", "claims": "주장과 검증",
               "params": "매개변수", "notes": "메모", "why": "이유", "result": "결과", "recognise": "확인 방법",
               "fix": "해결", "loses": "잃는 것", "cost": "비용"},
        "en": {"symptoms": "Symptoms", "situation": "What happened",
               "reported": "Root cause as reported (a claim, not verified)",
               "causes": "Causes and how to recognise them", "wrong": "Wrong attempts", "fixes": "Fixes",
               "alternatives": "Alternatives", "prevention": "Prevention", "lessons": "Lessons",
               "references": "References", "claims": "Claims and their verification", "params": "Parameters",
               "notes": "Notes", "why": "why", "result": "result", "recognise": "recognise it",
               "fix": "fix", "loses": "loses", "cost": "cost"},
    }


def test_the_diagnosis_report_has_a_word_for_each_outcome() -> None:
    from runner.present.report import VERDICT_STYLE

    assert set(labels.DIAGNOSIS_VERDICT) == set(VERDICT_STYLE) == {"ok", "problem", "error"}
