"""runner/site/languages.py: a hand-written page, a label and a generated page in one language."""

from __future__ import annotations

import pytest

from runner.site.languages import alternates, label_in, nav_in, one_language, page_language
from runner.site.markdown_parts import bilingual, per_lang, table_cell, tabs, text_of

PAGE = '''# 러너 사용법 · Using the runner

=== "한국어"

    진단은 읽기만 한다.

    - 목록 항목

=== "English"

    A diagnosis only reads.

    - a list item

[전체 목록 · The whole list](index.md), [태그별 · by tag](tags.md).

플레이북 3개, 심각한 것부터 · 3 playbooks, most severe first.

| 코드 · Code | 뜻 · Meaning |
|---|---|
| 0 | 문제 없음 · nothing wrong |

- [시작하기](onboarding/index.md): 빌드 · builds, left as written

```bash
runner list   # 모든 플레이북 · every playbook
```

=== "bash"

    echo shell tabs stay
'''


def test_a_hand_written_page_keeps_its_language_only():
    korean, english = one_language(PAGE, "ko"), one_language(PAGE, "en")
    assert korean.startswith("# 러너 사용법\n") and english.startswith("# Using the runner\n")
    assert "진단은 읽기만 한다.\n\n- 목록 항목" in korean and "A diagnosis" not in korean
    assert "A diagnosis only reads.\n\n- a list item" in english and "진단" not in english
    assert '=== "' + "한국어" not in korean + english
    assert "[The whole list](index.md), [by tag](tags.md)." in english
    assert "3 playbooks, most severe first." in english and "플레이북 3개, 심각한 것부터\n" in korean
    assert "| Code | Meaning |" in english and "| 0 | nothing wrong |" in english
    assert "| 0 | 문제 없음 |" in korean
    # a list item is not split (the text after its link would lose the link); code is never touched
    assert "- [시작하기](onboarding/index.md): 빌드 · builds, left as written" in english
    assert "runner list   # 모든 플레이북 · every playbook" in english
    assert '=== "bash"\n\n    echo shell tabs stay' in english


@pytest.mark.parametrize("text", ["a · b", "한국어 · 한국어", "English · 한국어", "확인됨 · 반박됨 · 미검증", "no dot"])
def test_only_a_korean_english_pair_is_a_label(text):
    assert label_in(text, "en") == text == label_in(text, "ko")


def test_the_nav_and_the_language_links():
    nav = [{"홈 · Home": "index.md"}, {"참고 · Reference": [{"명령줄 · CLI": "reference/cli.md"}, "x.md"]}]
    assert nav_in(nav, "en") == [{"Home": "index.md"}, {"Reference": [{"CLI": "reference/cli.md"}, "x.md"]}]
    assert [a["link"] for a in alternates("playbooks/x/", "/kb")] == ["/kb/playbooks/x/", "/kb/en/playbooks/x/"]
    assert [a["lang"] for a in alternates("", "/")] == ["ko", "en"]


def test_generated_parts_read_in_the_page_language():
    from runner.playbook.model import LocalizedText

    value = LocalizedText(ko="이미지", en="the image")
    assert bilingual("가", "b") == "가 · b" and "=== \"English\"" in per_lang(lambda lang: text_of(value, lang))
    with page_language("en"):
        assert bilingual("가", "b") == "b"
        assert text_of(value, "both") == "the image" and table_cell(value) == "the image"
        assert tabs({"ko": "가", "en": "b"}) == "b"
        assert per_lang(lambda lang: text_of(value, lang)) == "the image"
    with page_language("ko"):
        assert table_cell(value) == "이미지"
    assert "<small>the image</small>" in table_cell(value)  # both, outside a page language
    with pytest.raises(ValueError, match="no site language"):
        with page_language("fr"):
            pass
