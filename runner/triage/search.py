"""Find playbooks by words, in Korean or English. Data only: no printing, no exits.

A query is split on whitespace into terms; a playbook matches when every term occurs in one
of its texts (titles, summary, symptoms, causes, the report's root cause, wrong attempts,
fixes, prevention, lessons, tags), in either language. Terms are matched

* in Latin script, case-insensitively at the start of a word: `cache` finds `cached`, `CACHED`
  and `build-cache`, not `mustache`;
* in Hangul, as a substring once a trailing particle is removed (`캐시를` -> `캐시`): Korean
  writes compounds without spaces, so `캐시` must find `빌드캐시` and `캐시가`. A term that is
  itself a compound (`빌드캐시`) and occurs nowhere whole is split into words the catalogue
  uses (`빌드` + `캐시`), as the site's search does (both split with runner/triage/korean.py).

The score adds, for each term, the weight of the best field it occurs in (a title counts
more than a lesson), plus that weight again when the whole query occurs as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from runner.playbook.model import Lang, Playbook, Text
from runner.triage.index import symptom_key, text_json
from runner.triage.korean import HANGUL, Splitter, strip_ending, vocabulary

SNIPPET_CHARS = 120
MAX_SNIPPETS = 3

# field -> weight: what a reader means by "about" comes first
WEIGHTS = {"title": 5.0, "tags": 4.0, "symptoms": 3.0, "summary": 2.0, "causes": 2.0, "reported_cause": 2.0,
           "wrong_attempts": 1.5, "fixes": 1.5, "alternatives": 1.5, "prevention": 1.0, "lessons": 1.0,
           "symptom_examples": 1.0}


@dataclass(frozen=True)
class Field:
    """One searchable text of a playbook."""

    path: str  # e.g. "symptoms[1].text", "title"
    kind: str  # a key of WEIGHTS
    lang: str | None  # "ko", "en", or None for text shared by both
    text: str
    symptom: int | None = None  # the symptom's index when the text is a symptom's


@dataclass(frozen=True)
class Snippet:
    field: str
    text: str
    lang: str | None
    symptom: str | None

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "text": self.text, "lang": self.lang, "symptom": self.symptom}


@dataclass(frozen=True)
class SearchMatch:
    playbook: Playbook
    score: float
    symptoms: tuple[int, ...]  # indexes of the symptoms whose text matched
    lines: tuple[Snippet, ...]

    @property
    def id(self) -> str:
        return self.playbook.id

    def to_json(self) -> dict[str, Any]:
        symptoms = [{"id": symptom_key(self.playbook.symptoms[i], i), "index": i,
                     "text": text_json(self.playbook.symptoms[i].text)} for i in self.symptoms]
        return {"id": self.id, "score": self.score, "symptoms": symptoms,
                "lines": [s.to_json() for s in self.lines]}


# --------------------------------------------------------------------------- the texts


def fields(playbook: Playbook) -> list[Field]:
    found: list[Field] = []

    def add(kind: str, path: str, text: Text | str | None, symptom: int | None = None) -> None:
        if text is None:
            return
        if isinstance(text, str):
            found.append(Field(path, kind, None, text, symptom))
            return
        for lang in ("ko", "en"):
            value = getattr(text, lang)
            if value:
                found.append(Field(f"{path}.{lang}", kind, lang, value, symptom))

    add("title", "title", playbook.title)
    if playbook.reported_title:  # what the team called it when it happened: still searched for
        add("title", "reported_title", playbook.reported_title)
    add("summary", "summary", playbook.summary)
    if playbook.tags:
        found.append(Field("tags", "tags", None, " ".join(playbook.tags)))
    for i, symptom in enumerate(playbook.symptoms):
        add("symptoms", f"symptoms[{i}].text", symptom.text, i)
        if symptom.example:
            add("symptom_examples", f"symptoms[{i}].example.code", symptom.example.code, i)
    if playbook.reported_cause:
        for i, point in enumerate(playbook.reported_cause.points):
            add("reported_cause", f"reported_cause.points[{i}]", point)
    for i, cause in enumerate(playbook.causes):
        add("causes", f"causes[{i}].title", cause.title)
        add("causes", f"causes[{i}].explanation", cause.explanation)
    for i, attempt in enumerate(playbook.wrong_attempts):
        add("wrong_attempts", f"wrong_attempts[{i}].title", attempt.title)
        for j, why in enumerate(attempt.why):
            add("wrong_attempts", f"wrong_attempts[{i}].why[{j}]", why)
    for kind in ("fixes", "alternatives"):
        for i, fix in enumerate(getattr(playbook, kind)):
            add(kind, f"{kind}[{i}].title", fix.title)
            for j, step in enumerate(fix.steps):
                add(kind, f"{kind}[{i}].steps[{j}].title", step.title)
                if step.run:
                    add(kind, f"{kind}[{i}].steps[{j}].run", " ".join(step.run))
    for i, prevention in enumerate(playbook.prevention):
        add("prevention", f"prevention[{i}].title", prevention.title)
    for i, lesson in enumerate(playbook.lessons):
        add("lessons", f"lessons[{i}].title", lesson.title)
        for j, point in enumerate(lesson.points):
            add("lessons", f"lessons[{i}].points[{j}]", point)
    return found


# --------------------------------------------------------------------------- the query


@dataclass(frozen=True)
class Term:
    text: str  # as typed, less punctuation at its ends
    hangul: bool
    share: float = 1.0  # a part of a split compound counts for its share of the whole term

    def pattern(self) -> re.Pattern[str]:
        if self.hangul:
            core, _ending = strip_ending(self.text)
            return re.compile(re.escape(core))
        # Latin: at a word start; `--no-cache` as typed still finds `--no-cache`
        return re.compile(r"(?<![0-9A-Za-z])" + re.escape(self.text), re.IGNORECASE)


_PIECES = re.compile(r"[가-힣]+|[^\s가-힣]+")
_EDGE_PUNCTUATION = "`'\"*_.,:;!?()[]{}<>#-"


def terms(query: str) -> list[Term]:
    """The query's terms: Hangul and other runs apart (`BuildKit캐시` is two terms)."""
    found: list[Term] = []
    for piece in _PIECES.findall(query):
        if HANGUL.fullmatch(piece):
            found.append(Term(piece, True))
            continue
        piece = piece.strip(_EDGE_PUNCTUATION)
        if piece:
            found.append(Term(piece, False))
    return list(dict.fromkeys(found))


# --------------------------------------------------------------------------- searching


def search(playbooks: Sequence[Playbook], query: str, lang: Lang = "en") -> list[SearchMatch]:
    """Playbooks that contain every term of `query`, best first; `lang` picks the snippets."""
    wanted = terms(query)
    if not wanted:
        return []
    indexed = [(p, fields(p)) for p in playbooks]
    splitter: Splitter | None = None
    matches = []
    for playbook, texts in indexed:
        found = _match(texts, wanted)
        if found is None and any(t.hangul for t in wanted):
            # a compound term (`빌드캐시`) that occurs nowhere whole: try it as its words
            if splitter is None:
                splitter = Splitter(vocabulary(f.text for _, fs in indexed for f in fs))
            found = _match(texts, _split_compounds(wanted, splitter))
        if found is None:
            continue
        term_fields, snippet_fields = found
        total = sum(term.share * max(WEIGHTS[f.kind] for f in hit) for term, hit in term_fields)
        phrase = _phrase(query)
        if len(wanted) > 1 and phrase:
            total += max((WEIGHTS[f.kind] for f in texts if phrase.search(f.text)), default=0.0)
        symptoms = tuple(sorted({f.symptom for f in snippet_fields if f.symptom is not None}))
        terms_in = {f.path: sum(f in hit for _, hit in term_fields) for f in snippet_fields}
        matches.append(SearchMatch(playbook, round(total, 2), symptoms,
                                   _snippets(snippet_fields, terms_in, wanted, lang, playbook)))
    matches.sort(key=lambda m: (-m.score, m.id))
    return matches


def _match(texts: list[Field], wanted: Iterable[Term]) -> tuple[list[tuple[Term, list[Field]]], list[Field]] | None:
    """For each term the fields it occurs in, and all matching fields; None if a term is missing."""
    per_term: list[tuple[Term, list[Field]]] = []
    matched: dict[str, Field] = {}
    for term in wanted:
        regex = term.pattern()
        hit = [f for f in texts if regex.search(f.text)]
        if not hit:
            return None
        per_term.append((term, hit))
        for f in hit:
            matched.setdefault(f.path, f)
    return per_term, list(matched.values())


def _split_compounds(wanted: list[Term], splitter: Splitter) -> list[Term]:
    out: list[Term] = []
    for term in wanted:
        cuts = splitter.split_points(term.text) if term.hangul else ()
        if not cuts:
            out.append(term)
            continue
        core, _ = strip_ending(term.text)
        bounds = [0, *cuts, len(core)]
        parts = list(zip(bounds, bounds[1:]))
        out.extend(Term(core[a:b], True, term.share / len(parts)) for a, b in parts)
    return out


def _phrase(query: str) -> re.Pattern[str] | None:
    words = query.split()
    if len(words) < 2:
        return None
    return re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)


def _snippets(matched: list[Field], terms_in: dict[str, int], wanted: list[Term], lang: Lang,
              playbook: Playbook) -> tuple[Snippet, ...]:
    """Texts holding the most terms first, then the weightiest; one snippet per text, in `lang`
    when both languages match."""
    def rank(f: Field) -> tuple[int, float, int]:
        return (-terms_in[f.path], -WEIGHTS[f.kind], 0 if f.lang in (lang, None) else 1)

    seen_paths: set[str] = set()
    snippets = []
    for f in sorted(matched, key=rank):
        base = f.path.rsplit(".", 1)[0] if f.lang else f.path  # one language of a text is enough
        if base in seen_paths:
            continue
        seen_paths.add(base)
        key = symptom_key(playbook.symptoms[f.symptom], f.symptom) if f.symptom is not None else None
        snippets.append(Snippet(f.path, _cut(f.text, wanted), f.lang, key))
        if len(snippets) == MAX_SNIPPETS:
            break
    return tuple(snippets)


def _cut(text: str, wanted: list[Term]) -> str:
    """The text around the first term found, on one line, without bold markers."""
    flat = " ".join(text.replace("**", "").split())
    first = min((m.start() for t in wanted if (m := t.pattern().search(flat))), default=0)
    if len(flat) <= SNIPPET_CHARS:
        return flat
    start = max(0, first - SNIPPET_CHARS // 3)
    end = start + SNIPPET_CHARS
    return ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")


__all__ = ["search", "SearchMatch", "Snippet", "terms", "fields", "WEIGHTS"]

