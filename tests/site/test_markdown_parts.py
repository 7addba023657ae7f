"""runner/site/markdown_parts.py: the Markdown pieces of a page, and one text or a tab per language."""

from __future__ import annotations

import datetime as dt

from runner.playbook.model import (
    Claim,
    ClaimStatus,
    CodeBlock,
    Effect,
    LocalizedText,
    Verification,
)
from runner.site.markdown_parts import (
    BOTH,
    claim_badge,
    code_block,
    effect_badge,
    fence,
    per_lang,
    table_cell,
    tabs,
    text_of,
    verification_text,
    word,
)

BILINGUAL = LocalizedText(ko="캐시", en="cache")


def test_a_fence_is_longer_than_any_backtick_run_in_the_code() -> None:
    assert fence("echo hi", "bash") == "```bash\necho hi\n```"
    assert fence("a ```` b\n\n") == "`````text\na ```` b\n`````"
    assert fence("x", "yaml", title="f.yaml") == '```yaml title="f.yaml"\nx\n```'
    assert fence("x", "yaml", title='say "hi"') == "```yaml\nx\n```"  # a quote would end the title


def test_one_text_for_both_readers_or_a_tab_per_language() -> None:
    assert tabs({"ko": "같다\n", "en": "같다"}) == "같다"
    assert tabs({"ko": "캐시", "en": "cache\n\nmore"}) == '===! "한국어"\n\n    캐시\n\n=== "English"\n\n    cache\n\n    more'
    assert per_lang(lambda lang: f"{word(lang, 'cost')}: {text_of('docker', lang)}") == "비용 · Cost: docker"
    assert per_lang(lambda lang: f"{word(lang, 'cost')}: {text_of(BILINGUAL, lang)}") == \
        '===! "한국어"\n\n    비용: 캐시\n\n=== "English"\n\n    Cost: cache'


def test_code_is_written_once_under_its_caption() -> None:
    block = CodeBlock(code="docker ps\n", lang="bash", caption=LocalizedText(ko="목록", en="list"))
    assert code_block(block) == "목록 · list\n\n```bash\ndocker ps\n```"


def test_badges_and_table_cells_carry_both_languages() -> None:
    assert claim_badge(ClaimStatus.confirmed) == '<span class="pb-badge pb-claim-confirmed">확인됨 · confirmed</span>'
    assert claim_badge(ClaimStatus.refuted, "en") == '<span class="pb-badge pb-claim-refuted">refuted</span>'
    assert effect_badge(Effect.destructive) == '<span class="pb-badge pb-effect-destructive">파괴적 · destructive</span>'
    assert effect_badge(Effect.read, "ko") == '<span class="pb-badge pb-effect-read">읽기</span>'
    assert table_cell(BILINGUAL) == "캐시<br><small>cache</small>"
    assert table_cell("a | b") == "a \\| b"
    assert word(BOTH, "when") == "조건 · When" and word("en", "when") == "When"


def test_a_claims_verification_in_words() -> None:
    claim = Claim(id="c", statement="s")
    assert verification_text(claim) == "—"
    claim = Claim(id="c", statement="s", verified=(
        Verification(on=dt.date(2024, 4, 1), engine="Docker Engine 25.0.3"),
        Verification(on=dt.date(2024, 5, 2), engine="Docker Engine 20.10", client="24.0", by="manual")))
    assert verification_text(claim) == ("Docker Engine 25.0.3 · 2024-04-01 · lab<br>"
                                        "Docker Engine 20.10 · 2024-05-02 · manual · client 24.0")
