"""The words a reader sees around a playbook's own text, in Korean and English: one table for
the site (runner/site/) and the terminal (runner/present/show.py, runner/present/report.py).

A label is a `Label(ko, en)`. The site writes both languages (`ko · en`) or one per language
tab; the terminal writes the one `--lang` asks for. Where the terminal says a thing otherwise
than the site, the table holds one entry and the terminal's variant is named beside it
(`TERMINAL_VARIANT`, and the lower-case rule in `terminal_label`), so the two outputs stay
what they are and a new label has one place to go. Styles and colours stay with the code that
draws them.
"""

from __future__ import annotations

from typing import NamedTuple

from runner.playbook.model import LANGS, ClaimStatus, Effect, Verdict


class Label(NamedTuple):
    """One label in both languages; unpacks as `ko, en`."""

    ko: str
    en: str

    def text(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en


# The name of each language, as its tab says it
LANG_LABEL = {"ko": "한국어", "en": "English"}

# The headings of a playbook's sections (the keys are the site's anchors).
SECTION = {
    "run": Label("실행하기", "Run it"),
    "symptoms": Label("증상", "Symptoms"),
    "situation": Label("구체적인 상황", "What happened"),
    "reported": Label("보고된 원인 (검증 전 주장)", "Root cause as reported (a claim to verify)"),
    "checks": Label("진단 검사", "Checks"),
    "causes": Label("원인과 확인 방법", "Causes and how to recognise them"),
    "wrong": Label("잘못된 해결 시도", "Wrong attempts"),
    "fixes": Label("해결 방법", "Fixes"),
    "alternatives": Label("대안", "Alternatives"),
    "prevention": Label("예방 방법", "Prevention"),
    "lessons": Label("학습 포인트", "Lessons"),
    "references": Label("관련 문서", "References"),
    "claims": Label("주장과 검증", "Claims and their verification"),
    "params": Label("매개변수", "Parameters"),
    "notes": Label("메모", "Notes"),
}

# Headings of the playbook fields the site shows as data (YAML)
DATA_SECTION = {"lab": Label("재현 실험", "Lab reproduction")}

# The words before a field's text ("Why it fails: ...", "Loses: ...")
WORD = {
    "why": Label("실패하는 이유", "Why it fails"),
    "result": Label("결과", "Result"),
    "recognise": Label("확인 방법", "Recognise it"),
    "fix": Label("해결", "Fix"),
    "loses": Label("잃는 것", "Loses"),
    "cost": Label("비용", "Cost"),
    "benefits": Label("장점", "Benefits"),
    "verify": Label("확인 검사", "Verified by"),
    "evidence": Label("근거 검사", "Evidence"),
    "claims": Label("관련 주장", "Claims"),
    "when": Label("조건", "When"),
    "requires": Label("먼저 통과해야 할 검사", "Requires"),
    "action": Label("러너 동작", "Runner action"),
    "manual": Label("직접 할 일", "By hand"),
    "timeout": Label("제한 시간", "timeout"),
    "signatures": Label("로그에서 찾을 패턴", "Log patterns"),
    "project": Label("프로젝트", "Project"),
    "reported_title": Label("보고서의 제목", "The report's title"),
    "applies": Label("적용 대상", "Applies to"),
    "refuted_here": Label("랩이 반박한 주장에 기대는 항목", "The lab refuted what this rests on"),
    "refuted_kept": Label("보고서의 말은 보고서의 것으로 그대로 둔다. 대신", "The report's words are kept as the report's. Do instead"),
    "fixes": Label("해결 방법", "the fixes"),
}

EFFECT_LABEL = {
    Effect.read: Label("읽기", "read"),
    Effect.write: Label("쓰기", "write"),
    Effect.destructive: Label("파괴적", "destructive"),
}
# What a wrong attempt did; the terminal writes the English word whatever the language
VERDICT_LABEL = {
    Verdict.fails: Label("실패", "fails"),
    Verdict.partial: Label("부분적", "partial"),
    Verdict.forbidden: Label("금지", "forbidden"),
}
CLAIM_LABEL = {
    ClaimStatus.confirmed: Label("확인됨", "confirmed"),
    ClaimStatus.refuted: Label("반박됨", "refuted"),
    ClaimStatus.unverified: Label("미검증", "unverified"),
    ClaimStatus.depends: Label("엔진에 따라 다름", "depends on the engine"),
}

# --------------------------------------------------------------------------- the terminal's variants

# Where `runner show` words a heading or a word otherwise than the site does.
TERMINAL_VARIANT = {
    "reported": Label("보고된 근본 원인 (검증 전 주장)", "Root cause as reported (a claim, not verified)"),
    "why": Label("이유", "why"),
}
# The sections `runner show` draws a rule for, and the words it writes before a field's text
TERMINAL_SECTIONS = ("symptoms", "situation", "reported", "causes", "wrong", "fixes", "alternatives",
                     "prevention", "lessons", "references", "claims", "params", "notes")
TERMINAL_WORDS = ("why", "result", "recognise", "fix", "loses", "cost")


def terminal_label(key: str, lang: str) -> str:
    """A heading or word as `runner show` writes it: its variant where it has one, else the
    site's heading, or the site's word in lower case (`cost: ...` on a line of its own)."""
    if key in TERMINAL_VARIANT:
        return TERMINAL_VARIANT[key].text(lang)
    if key in SECTION:
        return SECTION[key].text(lang)
    return WORD[key].text(lang).lower()


# lang -> key -> text, for every heading and word of `runner show`
TERMINAL_HEADINGS = {lang: {key: terminal_label(key, lang) for key in (*TERMINAL_SECTIONS, *TERMINAL_WORDS)}
                     for lang in LANGS}

# --------------------------------------------------------------------------- the diagnosis report

# `runner diagnose` reports in English whatever the language: these have no Korean yet.
DIAGNOSIS_VERDICT = {"ok": "nothing wrong found", "problem": "problem found", "error": "could not diagnose"}
