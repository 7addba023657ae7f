"""One language per page: the site is built once in Korean (the default, at the site's root) and
once in English (under en/), from the same playbooks and the same hand-written pages.

A generated page is rendered for one language when `page_language(lang)` is in force (see
runner/site/markdown_parts.py: every bilingual label, tab set and table cell then yields the
page's language only). A hand-written page holds both languages as a pair of content tabs
labelled "한국어" and "English", and its labels (titles, headings, nav entries) as
"한국어 · English"; `one_language` keeps the page's half of each.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from runner.present.labels import LANG_LABEL

SITE_LANGS = ("ko", "en")  # the first is the default: the site's root
LANG_NAMES = {"ko": "한국어", "en": "English"}
SUBSITE = {"ko": "", "en": "en/"}  # each language's folder under the site's root

_page_lang: ContextVar[str | None] = ContextVar("page_lang", default=None)
_building_others = [False]  # set while runner/site/language_builds.py builds the other languages


def building_other_languages() -> bool:
    return _building_others[0]


@contextlib.contextmanager
def other_languages_building() -> Iterator[None]:
    _building_others[0] = True
    try:
        yield
    finally:
        _building_others[0] = False


@contextlib.contextmanager
def page_language(lang: str | None) -> Iterator[None]:
    """Pages rendered inside read in `lang` alone (None: both languages, as `runner site export`)."""
    if lang is not None and lang not in SITE_LANGS:
        raise ValueError(f"no site language {lang!r}: one of {', '.join(SITE_LANGS)}")
    token = _page_lang.set(lang)
    try:
        yield
    finally:
        _page_lang.reset(token)


def current() -> str | None:
    """The language of the page being rendered; None when it holds both."""
    return _page_lang.get()


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_PAIR = " · "


def label_in(text: str, lang: str) -> str:
    """A "한국어 · English" label's half in `lang`; any other text as it is."""
    if text.count(_PAIR) != 1:
        return text
    ko, en = text.split(_PAIR)
    if not _HANGUL.search(ko) or _HANGUL.search(en):
        return text
    return ko.strip() if lang == "ko" else en.strip()


def config_in(config: Any, lang: str) -> None:
    """A site config's "한국어 · English" labels in `lang` (site name and description, nav, the
    palette's toggles) and its language links to the home pages. `config`: MkDocs' config or the
    mapping read from mkdocs.yml (runner site export), changed in place."""
    config["site_name"] = label_in(config["site_name"] or "", lang)
    if config.get("site_description"):
        config["site_description"] = label_in(config["site_description"], lang)
    if config.get("nav") is not None:
        config["nav"] = nav_in(config["nav"], lang)
    theme = config["theme"]
    for scheme in (theme["palette"] if "palette" in theme else None) or ():
        toggle = scheme.get("toggle") if isinstance(scheme, dict) else None
        if toggle and toggle.get("name"):
            toggle["name"] = label_in(toggle["name"], lang)
    config["extra"]["alternate"] = alternates("", site_root(config.get("site_url"), lang))


def nav_in(nav: object, lang: str) -> object:
    """mkdocs.yml's nav with each "한국어 · English" title in `lang`."""
    if isinstance(nav, list):
        return [nav_in(item, lang) for item in nav]
    if isinstance(nav, dict):
        return {label_in(key, lang): nav_in(value, lang) for key, value in nav.items()}
    return nav


_TAB = re.compile(r'^(?P<indent>[ ]*)===!? "(?P<label>[^"]+)"\s*$')
_HEADING = re.compile(r"^(?P<hashes>#{1,6}) (?P<text>.+?)(?P<attrs>\s*\{[^}]*\})?\s*$")


def one_language(markdown: str, lang: str) -> str:
    """A hand-written page in `lang`: of each "한국어"/"English" tab pair, the body of the tab in
    `lang` (unindented, in the tabs' place); outside the tabs, headings, table cells, link labels
    and paragraphs written "한국어 · English" in `lang` (runner/site/languages.py `_line_in`).
    Other tab sets (shell and YAML examples, say) and code stay as they are."""
    labels = {label: code for code, label in LANG_LABEL.items()}
    lines = markdown.split("\n")
    out: list[str] = []
    in_fence = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence and not in_fence:
            in_fence = fence.group(1)
        elif fence and in_fence and line.strip().startswith(in_fence):
            in_fence = ""
        tab = None if in_fence else _TAB.match(line)
        if tab and tab.group("label") in labels:
            indent = tab.group("indent")
            body_indent = indent + "    "
            i += 1
            body: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(body_indent)):
                body.append(lines[i][len(body_indent):] if lines[i].strip() else "")
                i += 1
            if labels[tab.group("label")] == lang:
                out.extend(indent + b if b else "" for b in body)
            continue
        out.append(line if in_fence or fence else _line_in(line, lang))
        i += 1
    return "\n".join(out)


def _line_in(line: str, lang: str) -> str:
    """A line outside the tabs: a heading, a table row (cell by cell), link labels and a
    paragraph written "한국어 · English" in `lang`; list items and other text as they are."""
    heading = _HEADING.match(line)
    if heading:
        return f"{heading.group('hashes')} {label_in(heading.group('text'), lang)}{heading.group('attrs') or ''}"
    if line.lstrip().startswith("|"):
        return "|".join(_cell_in(cell, lang) for cell in re.split(r"(?<!\\)\|", line))
    line = _LINK_LABEL.sub(lambda m: f"[{label_in(m.group(1), lang)}](", line)
    return line if _LIST_ITEM.match(line) else label_in(line, lang)


def _cell_in(cell: str, lang: str) -> str:
    text = cell.strip()
    if not text:
        return cell
    start = cell.index(text)
    return cell[:start] + label_in(text, lang) + cell[start + len(text):]


_LINK_LABEL = re.compile(r"\[([^\]]+)\]\(")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s")


def site_root(site_url: str | None, lang: str) -> str:
    """The path the whole site (every language) is served under, from the site_url of the build
    in `lang` (the English build's ends in en/)."""
    from urllib.parse import urlsplit

    root = urlsplit(site_url or "/").path or "/"
    sub = SUBSITE[lang]
    return root.removesuffix(sub) if sub and root.endswith(sub) else root


def alternates(url: str, root: str) -> list[dict[str, str]]:
    """Material's language selector and hreflang links for one page: its counterpart in each
    language. url: the page's URL relative to its language's root; root: the path the whole site
    is served under (site_url's). Path-absolute, because MkDocs' `url` filter, which the theme
    applies, cannot express a link up out of the English site ("../" is mangled)."""
    root = root if root.endswith("/") else root + "/"
    return [{"name": LANG_NAMES[lang], "link": root + SUBSITE[lang] + url, "lang": lang} for lang in SITE_LANGS]
