"""Headings: the section a heading names, and a heading's marker as a verdict."""

from __future__ import annotations

import pytest

from runner.authoring.headings import section_key, split_marker, verdict_of


@pytest.mark.parametrize("heading, title, label, verdict", [
    ("1. 컨테이너/이미지 삭제 (❌ 실패)", "컨테이너/이미지 삭제", "실패", "fails"),
    ("2. `--no-cache` 플래그 사용 (❌ 금지)", "`--no-cache` 플래그 사용", "금지", "forbidden"),
    ("4. 더미 주석 (❌ 부분 성공하나 비권장)", "더미 주석", "부분 성공하나 비권장", "partial"),
    ("❌ Restart the daemon", "Restart the daemon", None, "fails"),
    ("Touch the file ⚠️ partly", "Touch the file", "partly", "partial"),
    ("No marker at all", "No marker at all", None, None),
])
def test_markers(heading, title, label, verdict):
    got_title, got_label, symbol = split_marker(heading)
    assert (got_title, got_label) == (title, label)
    assert verdict_of(got_label, symbol) == verdict


def test_section_keys():
    for heading, key in [("에러 증상", "symptoms"), ("## 2. 근본 원인 (추정)", None), ("근본 원인 (추정)", "reported_cause"),
                         ("What didn't work", "wrong_attempts"), ("✅ 올바른 해결 방법", "fix"), ("Lessons learned", "lessons"),
                         ("근본 원인 분석 결과", "reported_cause"), ("Unrelated", None)]:
        assert section_key(heading) == key, heading
