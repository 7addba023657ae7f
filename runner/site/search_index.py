"""Korean search for Material's built-in search: index-time splitting of Hangul compounds.

Material (lunr) splits Korean on its separator only and matches each query term as a
prefix, so `캐시` finds `캐시를` but not `빌드캐시`. After the search plugin writes
`search/search_index.json`, `tokenise_index` rewrites it:

* every Hangul word is split into parts the site itself uses as words (its vocabulary:
  each Hangul word of the index with a trailing particle or `하다` ending removed), by the
  splitter of runner/triage/korean.py: `빌드캐시를` becomes `빌드|캐시를` but `리소스` stays
  whole even though `소스` is a word;
* a split is marked with U+200B (zero-width space), which the search separator includes, so
  the parts become tokens, the result text looks unchanged and highlighting marks the part;
* each split word is also kept whole in an extra field `kw` (indexed, never shown), so the
  query `빌드캐시` still finds it.

Nothing here imports MkDocs; `evaluate` replays lunr's matching in Python to measure what
the splitting does to precision and recall (see tests/site/test_search_index.py).

`sections` divides a page's HTML into the sections Material's search plugin indexes, exactly
as its HTML parser does but several times faster; the hook uses it for every page, leaving
out the labels of content tabs (the language tabs' `한국어` and `English`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape, unescape
from itertools import islice
from typing import Any

from runner.triage.korean import (
    ENDINGS,
    HANGUL,
    LOANWORDS,
    MIN_PART,
    PREFIXES,
    ZWSP,
    Splitter,
    plain_text,
    vocabulary,
)

# The separator mkdocs.yml sets; U+200B is what makes the index-time splits count.
SEPARATOR = r"[\s\u200b\-,:;!=\[\]()\"'/|`·、。]+|\.(?!\d)"


def index_vocabulary(index: dict[str, Any]) -> frozenset[str]:
    """The Hangul words the indexed pages use (runner/triage/korean.py's vocabulary)."""
    return vocabulary(_searched_text(d) for d in index.get("docs", []))


def _searched_text(doc: dict[str, Any]) -> str:
    """An index entry's title and text, as searched (the text still holds HTML)."""
    return f"{doc.get('title', '')} {doc.get('text', '')}"


# How many times more a query's word counts where a page has it whole than where a page has a
# longer word it begins (Material searches every term as a prefix: `build` finds `buildx`, and
# the short title "BuildKit is requested but the client has no buildx" outranked "The build
# cache fills the disk" for "build cache keeps growing"), by the site's language. English
# words are indexed whole. Korean ones keep their particles (`용량이`), so there a prefix is how
# a word matches: on the judged queries (tests/site/test_search_quality.py) the exact word,
# weighed 2x, raised the English site's MRR from 0.829 to 0.856 and lowered the Korean site's
# from 0.860 to 0.81-0.82, whether for every word or for Latin ones only.
EXACT_WORD_BOOST = {"en": 2}


def query_vocabulary(words: frozenset[str], index: dict[str, Any] | None = None,
                     pages: str = "playbooks/", lang: str = "ko") -> dict[str, Any]:
    """search/vocabulary.json: what docs/javascripts/search-query.js splits a query's Hangul
    compounds with in the browser (the same words and endings the index was split with), the
    words a query is better without (stop words, and the Latin words every page under `pages`
    uses, which tell no page from another), and how much more a whole word counts (`lang`)."""
    return {"words": sorted(words), "endings": list(ENDINGS), "prefixes": sorted(PREFIXES), "min_part": MIN_PART,
            "loanwords": LOANWORDS, "stop_words": sorted(QUERY_STOP_WORDS),
            "common": sorted(common_words(index, pages)) if index else [],
            "exact_boost": EXACT_WORD_BOOST.get(lang, 0)}


def common_words(index: dict[str, Any], pages: str, share: float = 0.5, sample: int = 50) -> set[str]:
    """Latin words (lower case) on every page under `pages` (there are several) and in at least
    `share` of their sections: `docker` and `image` on this site. A word every page uses only
    somewhere (`buildx`, in a lab's output) still tells pages apart by where it stands. The
    first `sample` pages tell: a large catalogue's index is tens of MB (~0.06 s a MB)."""
    on_page: dict[str, set[str]] = {}
    sections: Counter[str] = Counter()
    counted = 0
    for doc in index.get("docs", []):
        location = doc.get("location", "")
        page = location.split("#")[0]
        if not location.startswith(pages) or page == pages or (page not in on_page and len(on_page) >= sample):
            continue
        words = set(_LATIN_WORD.findall(plain_text(_searched_text(doc)).lower()))
        on_page.setdefault(page, set()).update(words)
        sections.update(words)
        counted += 1
    if len(on_page) < 3:
        return set()  # two pages share words by chance
    return {word for word in set.intersection(*on_page.values()) if sections[word] >= share * counted}


_LATIN_WORD = re.compile(r"[a-z0-9]{2,}")


# English words that name nothing a page is about: in a sentence typed or pasted as a query
# they match every page, and Material ranks by the share of the query's terms a page matches.
QUERY_STOP_WORDS = frozenset(
    "a an the and or but of in on at to for from by with as is are was were be been it its this that "
    "has have had do does did so".split())


def tokenise_index(index: dict[str, Any], words: frozenset[str] | None = None) -> dict[str, Any]:
    """Material's search_index.json with Hangul compounds split (see the module's docstring);
    `words`: the vocabulary, if already learnt from this index."""
    docs = index.get("docs", [])
    splitter = Splitter(index_vocabulary(index) if words is None else words)
    for doc in docs:
        compounds: list[str] = []
        for field in ("title", "text"):
            if doc.get(field):
                doc[field], whole = splitter.split_text(doc[field])
                compounds += whole
        if compounds:
            doc["kw"] = " ".join(dict.fromkeys(compounds))
    config = index.setdefault("config", {})
    separator = config.get("separator") or SEPARATOR
    if ZWSP not in separator and "\\u200b" not in separator:
        separator = f"[{ZWSP}]+|{separator}"
    config["separator"] = separator
    config.setdefault("fields", {}).setdefault("kw", {"boost": 1.0})
    return index


# --------------------------------------------------------------------------- sections of a page

# Material's search plugin (material/plugins/search/plugin.py, class Parser) runs Python's
# HTMLParser over every page and keeps a stack of Element objects, comparing them by tag name.
# `sections` replays the same rules on a regular-expression tokenisation of the page, with the
# stack kept as tag names, and yields the same sections; it returns None for any HTML outside
# what that tokenisation covers exactly (comments, scripts, styles, a stray `<`, unquoted
# values with a slash...), and the hook then lets Material's own parser index the page.
# tests/site/test_search_index.py compares both parsers on the real pages and tricky HTML.

_TOKEN = re.compile(
    r"<(?:/([a-zA-Z][-.:\w]*)\s*"                                            # 1: end tag
    r"|([a-zA-Z][-.:\w]*)"                                                   # 2: start tag
    r"((?:\s+[^\s/>\"'=<]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`/]+))?)*)"  # 3: attributes
    r"\s*(/?))>"                                                             # 4: self-closing
    r"|([^<]+)")                                                              # 5: text
_ATTR = re.compile(r"([^\s/>\"'=<]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`/]+))?")
_UNSURE = re.compile(r"<[!?]|<(?:script|style)\b", re.I)
_HEADINGS = frozenset(f"h{level}" for level in range(1, 7))
_KEEP = frozenset({"p", "code", "pre", "li", "ol", "ul", "sub", "sup"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                   "source", "track", "wbr"})
_CDATA_SKIP = ("script", "style", "object")


class Section:
    """A heading's section as Material's parser collects it (`id`, `title` and `text` are what
    its `create_entry_for_section` reads)."""

    __slots__ = ("tag", "excluded", "depth", "id", "title", "text")

    def __init__(self, tag: str, excluded: bool = False, depth: float = 0) -> None:
        self.tag, self.excluded, self.depth = tag, excluded, depth
        self.id: str | None = None
        self.title: list[str] = []
        self.text: list[str] = []


# The labels of a set of content tabs (pymdownx.tabbed, alternate style), when they are plain text
TAB_LABELS = re.compile(r'<div class="tabbed-labels">(?:<label(?: for="[^"<>]*")?>[^<]*</label>)*</div>')


def sections(html: str, tab_labels: bool = True) -> list[Section] | None:
    """The search sections of a page's HTML, as Material's search plugin finds them; None when
    the HTML holds anything this tokenisation does not reproduce exactly. `tab_labels=False`:
    as Material finds them in the HTML without the labels of content tabs, which would start
    most sections of a bilingual page with `한국어English` (in the result previews, too)."""
    if _UNSURE.search(html):
        return None
    if not tab_labels:
        html = TAB_LABELS.sub("", html)
    tags: list[str] = []                     # the open elements (Material's context)
    attrs_of: list[dict[str, str | None]] = []
    count: dict[str, int] = {}               # open elements by tag name
    skip = set(_CDATA_SKIP)                  # Material's skip set: its elements compare by tag
    skipped = 0                              # open elements whose tag is in `skip`
    data: list[Section] = []
    section: Section | None = None
    pos = 0
    for match in _TOKEN.finditer(html):
        if match.start() != pos:
            return None
        pos = match.end()
        end_tag, tag, attr_text, self_closing, text = match.groups()

        if text is not None:                                          # handle_data
            if skipped:
                continue
            if "&" in text:
                text = unescape(text)
            in_pre = count.get("pre")
            if not in_pre:
                text = " " if text.isspace() else text.replace("\n", " ")
            if section is None:
                section = Section("hx")
                data.append(section)
            if count.get(section.tag):
                if not any(t == "a" and a.get("class") == "headerlink" for t, a in zip(tags, attrs_of)):
                    section.title.append(escape(text, quote=False))
            elif text.isspace():
                if not section.text or not section.text[-1].isspace() or in_pre:
                    section.text.append(text)
            else:
                section.text.append(escape(text, quote=False))
            continue

        if tag is not None:                                           # handle_starttag
            tag = tag.lower()
            attrs: dict[str, str | None] = {}
            for name, value in _ATTR.findall(attr_text) if attr_text else ():
                if value:
                    if value[0] in "\"'":
                        value = value[1:-1]
                    attrs[name.lower()] = unescape(value) if "&" in value else value
                else:
                    attrs[name.lower()] = None
            if tag not in _VOID:
                tags.append(tag)
                attrs_of.append(attrs)
                count[tag] = count.get(tag, 0) + 1
                if tag in skip:
                    skipped += 1
                if tag in _HEADINGS and "id" in attrs:
                    depth = len(tags)
                    if tag != "h1" and not data:
                        section = Section("hx", False, depth)
                        data.append(section)
                    section = Section(tag, "data-search-exclude" in attrs, depth)
                    if data:
                        section.id = attrs["id"]
                    data.append(section)
                if section is None:
                    section = Section("hx")
                    data.append(section)
                if "data-search-exclude" in attrs or attrs.get("class") == "linenodiv":
                    if tag not in skip:
                        skip.add(tag)
                        skipped += count[tag]
                elif tag in _KEEP and not skipped:
                    (section.title if count.get(section.tag) else section.text).append(f"<{tag}>")
            if not self_closing:
                continue
            end_tag = tag
        # handle_endtag
        end_tag = end_tag.lower()
        if not tags or tags[-1] != end_tag:
            continue
        assert section is not None
        if section.depth > len(tags):
            for candidate in reversed(data):
                if candidate.depth <= len(tags):
                    section.depth = float("inf")
                    section = candidate
                    break
        tags.pop()
        attrs_of.pop()
        count[end_tag] -= 1
        if end_tag in skip:
            skipped -= 1
            if end_tag not in _CDATA_SKIP:
                skip.discard(end_tag)
                skipped -= count[end_tag]
            continue
        if end_tag in _KEEP and not skipped:
            out = section.title if count.get(section.tag) else section.text
            index = out.index(f"<{end_tag}>")  # the first one, as Material does
            for piece in islice(out, index + 1, None):
                if not piece.isspace():
                    out.append(f"</{end_tag}>")
                    break
            else:
                del out[index:]  # an element with nothing in it is dropped
    return data if pos == len(html) else None


# --------------------------------------------------------------------------- measuring it


def tokens(text: str, separator: str = SEPARATOR) -> list[str]:
    return [t.lower() for t in re.split(separator, plain_text(text)) if t]


def query_terms(query: str, separator: str = SEPARATOR) -> list[str]:
    return [t.lower() for part in query.split() for t in re.split(separator, part) if t]


def doc_tokens(doc: Mapping[str, Any], mode: str, separator: str = SEPARATOR) -> set[str]:
    """The tokens lunr indexes for one section. mode: 'whitespace' (Material as shipped, on the
    index before `tokenise_index`), 'split' (after it), 'substring' (every suffix of every Hangul
    token: what splitting at every syllable would do)."""
    fields = ["title", "text", "kw"] + (["tags"] if doc.get("tags") else [])
    found: set[str] = set()
    for field in fields:
        value = doc.get(field)
        if not value:
            continue
        for token in tokens(" ".join(value) if isinstance(value, list) else value, separator):
            found.add(token)
            if mode == "substring":
                found.update(token[i:] for i in range(1, len(token)) if HANGUL.match(token[i:]))
    return found


def matches(doc_tokens_: set[str], query: str, separator: str = SEPARATOR) -> bool:
    """Material's query semantics: terms are OR-ed and each is a prefix (`term*`)."""
    terms = query_terms(query, separator)
    return any(token.startswith(term) for term in terms for token in doc_tokens_)


@dataclass(frozen=True)
class Score:
    mode: str
    matched: int
    relevant_matched: int
    relevant: int

    @property
    def precision(self) -> float:
        return self.relevant_matched / self.matched if self.matched else 1.0

    @property
    def recall(self) -> float:
        return self.relevant_matched / self.relevant if self.relevant else 1.0


def is_relevant(doc: Mapping[str, Any], glosses: Iterable[str]) -> bool:
    """Judged by the English side: a section is about `캐시` when its English (its own, or its
    counterpart's on the English site) says `cache...`. Independent of how Korean is tokenised,
    so it can judge every tokeniser."""
    words = re.findall(r"[a-z]+", plain_text(_searched_text(doc)).lower())
    return any(word.startswith(gloss) for gloss in glosses for word in words)


def evaluate(raw_docs: list[Mapping[str, Any]], split_docs: list[Mapping[str, Any]],
             queries: Mapping[str, Iterable[str]],
             judges: list[Mapping[str, Any]] | None = None) -> dict[str, Score]:
    """Micro-averaged precision and recall of each tokeniser over (query, section) pairs.

    raw_docs: the index as Material writes it; split_docs: the same after tokenise_index
    (same order). queries: Korean query -> English glosses that mark a relevant section.
    judges: each section's English counterpart (same order), which says whether it is relevant;
    by default the section itself.
    """
    modes = {"whitespace": raw_docs, "substring": raw_docs, "split": split_docs}
    prepared = {mode: [doc_tokens(d, mode) for d in docs] for mode, docs in modes.items()}
    totals = {mode: [0, 0, 0] for mode in modes}
    for query, glosses in queries.items():
        glosses = tuple(g.lower() for g in glosses)
        relevant = [is_relevant(d, glosses) for d in (judges or raw_docs)]
        for mode in modes:
            hits = [matches(t, query) for t in prepared[mode]]
            totals[mode][0] += sum(hits)
            totals[mode][1] += sum(h and r for h, r in zip(hits, relevant))
            totals[mode][2] += sum(relevant)
    return {mode: Score(mode, *values) for mode, values in totals.items()}


# Korean queries a reader of the BuildKit playbooks types, with the English words whose
# presence in the same section marks it as relevant.
QUERIES: dict[str, tuple[str, ...]] = {
    "캐시": ("cache",),
    "빌드": ("build",),
    "이미지": ("image",),
    "삭제": ("delete", "remove", "rmi", "prune", "deleted"),
    "컨테이너": ("container",),
    "재생성": ("recreat",),
    "볼륨": ("volume",),
    "마운트": ("mount",),
    "태그": ("tag",),
    "레이어": ("layer",),
    "컨텍스트": ("context",),
    "원인": ("cause",),
    "파일": ("file",),
    "변경": ("chang", "edit", "modif"),
    "엔진": ("engine", "daemon"),
    "소스": ("source",),
    "명령": ("command",),
    "검증": ("verif", "confirm", "check"),
    "빌드 캐시": ("build", "cache"),
    "이미지 삭제": ("image", "rmi", "delete", "remove"),
}
