"""What a write-up's headings say: which playbook section a heading names (SECTIONS,
section_key), the title prefix of the top heading, and the marker at a heading's end
(`(❌ 실패)`, `✅`) as a verdict (split_marker, verdict_of)."""

from __future__ import annotations

import re

# section key -> the headings that name it (compared after normalise)
SECTIONS: dict[str, tuple[str, ...]] = {
    "occurred": ("발생 날짜", "발생일", "발생 일자", "날짜", "일시", "date", "occurred", "when"),
    "project": ("프로젝트", "project"),
    "summary": ("요약", "개요", "summary", "overview", "tl;dr", "tldr"),
    "symptoms": ("에러 증상", "오류 증상", "증상", "symptoms", "symptom", "error symptoms", "error"),
    "situation": ("구체적인 상황", "상황", "재현 과정", "situation", "what happened", "timeline",
                  "steps to reproduce", "context"),
    "reported_cause": ("근본 원인", "원인", "원인 분석", "root cause", "root causes", "cause", "causes"),
    "wrong_attempts": ("잘못된 해결 시도", "잘못된 시도", "실패한 시도", "시도한 방법", "wrong attempts",
                       "failed attempts", "what did not work", "what didn't work", "attempts"),
    "fix": ("올바른 해결 방법", "해결 방법", "해결책", "해결", "solution", "the fix", "fix", "resolution",
            "correct fix", "correct solution"),
    "alternatives": ("대안", "다른 방법", "alternatives", "alternative", "workarounds", "workaround"),
    "prevention": ("예방 방법", "예방", "재발 방지", "prevention", "how to prevent", "preventing it"),
    "lessons": ("학습 포인트", "교훈", "배운 점", "lessons", "lessons learned", "learning points", "takeaways"),
    "references": ("관련 문서", "참고 문서", "참고 자료", "참고", "references", "related documents",
                   "related docs", "see also", "links"),
    "tags": ("태그", "tags", "keywords"),
}
_BY_HEADING = {name: key for key, names in SECTIONS.items() for name in names}

MARKS = "❌✅⛔⚠✗✘✓✔🚫"
_NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[-*•]|step\s+\d+[:.]?)\s+", re.IGNORECASE)
TITLE_PREFIX = re.compile(
    r"^\s*(?:(?:에러|오류|장애|문제|트러블슈팅)\s*(?:케이스|사례|보고서?|기록)?|error\s+case|incident(?:\s+report)?"
    r"|troubleshooting|post-?mortem|case)\s*[:：\-–—]\s*", re.IGNORECASE)


def normalise(heading: str) -> str:
    text = _NUMBERING.sub("", heading)
    text = re.sub(r"\s*[(\[（].*?[)\]）]\s*$", "", text)  # a trailing "(...)" qualifies, not names
    text = re.sub(f"[{MARKS}\ufe0f*_`]", "", text)
    return " ".join(text.strip(" :：.").lower().split())


def section_key(heading: str) -> str | None:
    name = normalise(heading)
    if name in _BY_HEADING:
        return _BY_HEADING[name]
    for known in sorted(_BY_HEADING, key=len, reverse=True):  # "근본 원인 분석" is still the cause
        if len(known) >= 2 and name.startswith(known + " "):
            return _BY_HEADING[known]
    return None


def unnumbered(heading: str) -> str:
    """'2. 주기적인 캐시 정리' -> '주기적인 캐시 정리'; a heading that is only a number keeps it."""
    return _NUMBERING.sub("", heading).strip() or heading


# a marker's label that says no more than the verdict; a longer one is also the attempt's result
BARE_VERDICTS = {"실패", "금지", "부분", "부분 성공", "부분 실패", "fail", "fails", "failed", "forbidden", "partial",
                 "partly"}


def split_marker(heading: str) -> tuple[str, str | None, str | None]:
    """'1. 컨테이너 삭제 (❌ 실패)' -> ('컨테이너 삭제', '실패', '❌'); a heading without a mark keeps it."""
    title = _NUMBERING.sub("", heading).strip()
    marks = f"[{MARKS}]\ufe0f?"
    if found := re.search(rf"\s*[(\[（]\s*({marks})\s*([^)\]）]*?)\s*[)\]）]\s*$", title):
        return title[: found.start()].strip() or title, found.group(2) or None, found.group(1)[0]
    if found := re.match(rf"^({marks})\s*(.*)$", title):
        return found.group(2).strip() or title, None, found.group(1)[0]
    if found := re.search(rf"\s+({marks})\s*(.*)$", title):
        return title[: found.start()].strip() or title, found.group(2).strip() or None, found.group(1)[0]
    return title or heading.strip(), None, None


def verdict_of(label: str | None, symbol: str | None) -> str | None:
    text = (label or "").lower()
    if re.search(r"금지|forbidden|prohibited|never|do not|don't", text):
        return "forbidden"
    if re.search(r"부분|일부|partial|partly|half", text):
        return "partial"
    if re.search(r"실패|효과\s*없|fail|no effect|doesn't work|does not work", text):
        return "fails"
    return {"⛔": "forbidden", "🚫": "forbidden", "⚠": "partial", "✅": "partial", "✓": "partial",
            "✔": "partial"}.get(symbol or "", "fails" if symbol else None)
