"""The pieces of Markdown the site's pages are made of: fences, content tabs, list items,
badges, headings, and the choice between one text for both readers and a tab per language.

Text fields hold Markdown as the team writes it. The site's pages read in one language
(runner/site/languages.py: `page_language`): every label, text and table cell below then yields
that language alone. Without a page language (`runner site export`, for a generator that runs
no hooks) a text that differs between Korean and English is shown in content tabs labelled
"한국어" and "English", and labels carry both ("한국어 · English"). Either way what reads the same
in both languages is written once: code blocks, commands and log lines sit outside any tabs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runner.playbook.model import LANGS, Claim, ClaimStatus, CodeBlock, Effect, localize
from runner.present.labels import CLAIM_LABEL, EFFECT_LABEL, LANG_LABEL, WORD
from runner.site.languages import current, label_in


def indent(text: str, spaces: int = 4) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in text.split("\n"))


def bilingual(ko: str, en: str) -> str:
    """One label for both readers: 'ko · en', or one of them when they are the same; the page's
    language's alone on a page in one language."""
    lang = current()
    if lang is not None:
        return ko if lang == "ko" else en
    return ko if ko == en else f"{ko} · {en}"


def heading(level: int, ko: str, en: str, anchor: str) -> str:
    return f"{'#' * level} {bilingual(ko, en)} {{#{anchor}}}"


# The `lang` of a text rendered once for both readers: it holds no translated text, and its
# labels carry both languages. `per_lang` tries it first.
BOTH = "both"


class _Differs(Exception):
    """Raised by text_of(value, BOTH) when the value reads differently in Korean and English."""


def text_of(value: Any, lang: str) -> str:
    if lang == BOTH:
        lang = current() or BOTH
    if lang == BOTH:
        ko, en = in_words(localize(value, "ko").strip(), "ko"), in_words(localize(value, "en").strip(), "en")
        if ko != en:
            raise _Differs
        return ko
    return in_words(localize(value, lang).strip(), lang)


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")


def in_words(text: str, lang: str) -> str:
    """A reader's text never shows the runner's placeholders: `{{evidence.port.process_name}}`
    reads "‹process name, as the port check finds it›", `{{image}}` reads "‹image›"."""
    def words(match: re.Match[str]) -> str:
        parts = match.group(1).split(".")
        if parts[0] == "evidence" and len(parts) >= 3:
            what = " ".join(parts[2:]).replace("_", " ")
            return f"‹{parts[1]} 검사가 찾은 {what}›" if lang == "ko" else f"‹{what}, as the {parts[1]} check finds it›"
        return f"‹{match.group(1)}›"

    return _PLACEHOLDER.sub(words, text) if "{{" in text else text


def word(lang: str, key: str) -> str:
    """A label in `lang`; both languages ('ko · en') for BOTH."""
    return bilingual(*WORD[key]) if lang == BOTH else WORD[key].text(lang)


def inline_both(value: Any) -> str:
    """A short text (a title) on one line in both languages: 'ko · en', or once when the same."""
    ko, en = both_texts(value)
    return bilingual(one_line(ko), one_line(en))


def both_texts(value: Any) -> tuple[str, str]:
    return text_of(value, "ko"), text_of(value, "en")


def one_line(text: str) -> str:
    """Text fit for a table cell or a list item's first line."""
    return text.strip().replace("|", "\\|").replace("\n\n", "<br>").replace("\n", " ")


def table_cell(value: Any) -> str:
    """A text in a table cell for both readers: the Korean, the English below it in small type;
    once when they read the same."""
    if current() is not None:
        return one_line(text_of(value, current()))
    ko, en = both_texts(value)
    return one_line(ko) if ko == en else f"{one_line(ko)}<br><small>{one_line(en)}</small>"


def table_head(*labels: str) -> list[str]:
    """A table's header row and rule; each label written "한국어 · English", in the page's language."""
    lang = current()
    cells = [label_in(label, lang) if lang else label for label in labels]
    return ["| " + " | ".join(cells) + " |", "|---" * len(cells) + "|"]


def tabs(by_lang: Mapping[str, str]) -> str:
    """Content tabs, or the text alone when both languages read the same (or the page reads in one)."""
    if current() is not None:
        return by_lang[current()].strip()
    bodies = [by_lang[lang].strip() for lang in LANGS]
    if bodies[0] == bodies[1]:
        return bodies[0]
    # `===!` starts a new tab set even right after another one
    return "\n\n".join(f'{"===!" if lang == LANGS[0] else "==="} "{LANG_LABEL[lang]}"\n\n{indent(body)}'
                       for lang, body in zip(LANGS, bodies))


def per_lang(render: Callable[[str], str]) -> str:
    """render(lang) once when every text it reads is the same in both languages (labels then
    carry both), else once per language in content tabs."""
    try:
        return render(BOTH)
    except _Differs:
        return tabs({lang: render(lang) for lang in LANGS})


def fence(code: str, lang: str = "text", title: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    ticks = "`" * max(3, longest + 1)
    lexer = lang or "text"
    attrs = f' title="{title}"' if title and '"' not in title else ""
    return f"{ticks}{lexer}{attrs}\n{code.rstrip(chr(10))}\n{ticks}"


def code_block(block: CodeBlock) -> str:
    """A code block, once, under its caption (a line; both languages when they differ)."""
    body = fence(block.code, block.lang)
    return f"{inline_both(block.caption)}\n\n{body}" if block.caption else body


def list_item(marker: str, parts: Iterable[str]) -> str:
    """A list item ('-' or '1.') holding blocks; the first may be a tab set."""
    return f"{marker} " + indent("\n\n".join(p for p in parts if p), 4).lstrip()


def badge(kind: str, value: str, label: str) -> str:
    return f'<span class="pb-badge pb-{kind}-{value}">{label}</span>'


def severity_badge(severity: str) -> str:
    return badge("severity", severity, severity)


def claim_badge(status: ClaimStatus, lang: str | None = None) -> str:
    ko, en = CLAIM_LABEL[status]
    label = {"ko": ko, "en": en}.get(lang or "", bilingual(ko, en))
    return badge("claim", status.value, label)


def verification_text(claim: Claim) -> str:
    if not claim.verified:
        return "—"
    return "<br>".join(
        f"{v.engine} · {v.on.isoformat()} · {v.by}" + (f" · client {v.client}" if v.client else "")
        for v in claim.verified)


def manual_badge() -> str:
    """A step the reader does by hand: the runner only shows it, whatever it changes."""
    return badge("effect", "manual", bilingual(*WORD["manual"]))


def effect_badge(effect: Effect, lang: str = BOTH) -> str:
    ko, en = EFFECT_LABEL[effect]
    return badge("effect", effect.value, {"ko": ko, "en": en}.get(lang, bilingual(ko, en)))
