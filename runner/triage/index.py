"""Rank playbooks by the symptom signatures a log shows.

`TriageIndex(playbooks).scan(text)` returns the playbooks whose signatures match lines of the
text, best first, with the lines that matched and the symptom each stands for. Data only: no
printing, no exits.

Speed (a 10 MB log against thousands of signatures): running every regex over every line
costs signatures x lines. Instead each signature is analysed once, with Python's own regex
parser, for the literal text any match must contain:

* a *word* (a run of ASCII letters, digits, `_`) that the pattern fences on both sides by
  something that cannot be such a character (`^`, `$`, `\\b`, a space, `:`, `\\s+`, ...) must
  appear in the log as a whole word, so one pass that collects the log's distinct words
  (bytes.translate + split, all in C) rules out most signatures with a set lookup;
* a word fragment without such fences must appear inside one of the log's words;
* the longest literal run is then searched with str.find, and only the lines it lands on are
  given to the regex.

Every test is a necessary condition of a match, so the shortcut never loses a match; a
signature without usable literals is simply run on every line. Signatures match within one
line (`^` and `$` are the line's ends), as a reader of a log expects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.playbook.linear_regex import compile_linear
from runner.playbook.model import Playbook, Symptom, Text, localize

MAX_LINES_PER_SYMPTOM = 5  # lines kept per symptom (all are counted)
MAX_LINE_CHARS = 240  # a matched line longer than this is cut around the match
REPEAT_BONUS = 0.01  # per repeated line of an already-matched symptom ...
REPEAT_BONUS_CAP = 50  # ... counted up to this many: repeats add at most 0.5, never a symptom's 1
# Collecting a log's words costs about as much as ~60 str.find passes over it: with fewer
# distinct patterns than this, each is simply looked for by its key.
WORD_PASS_FROM = 64

_ASCII_WORD = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
# Non-ASCII characters that an IGNORECASE pattern matches to an ASCII letter (see `re` docs:
# İ ı ſ K). They would break the word analysis, so the log has them replaced before it.
_CASE_SPECIALS = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
_TO_SPACE = bytes(c if c in _ASCII_WORD else 0x20 for c in range(256))
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class MatchedLine:
    number: int  # 1-based line number in the text
    text: str
    symptom: str  # the symptom's key (see symptom_key)
    signature: str  # the regular expression that matched

    def to_json(self) -> dict[str, Any]:
        return {"line": self.number, "text": self.text, "symptom": self.symptom, "signature": self.signature}


@dataclass(frozen=True)
class MatchedSymptom:
    key: str
    index: int
    text: Text
    lines: int  # how many lines showed it

    def to_json(self) -> dict[str, Any]:
        return {"id": self.key, "index": self.index, "text": text_json(self.text), "lines": self.lines}


@dataclass(frozen=True)
class TriageMatch:
    playbook: Playbook
    score: float
    symptoms: tuple[MatchedSymptom, ...]
    lines: tuple[MatchedLine, ...]  # in text order, at most MAX_LINES_PER_SYMPTOM per symptom

    @property
    def id(self) -> str:
        return self.playbook.id

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "score": self.score, "symptoms": [s.to_json() for s in self.symptoms],
                "lines": [line.to_json() for line in self.lines]}


def text_json(text: Text) -> dict[str, str]:
    return {"ko": localize(text, "ko"), "en": localize(text, "en")}


def symptom_key(symptom: Symptom, index: int) -> str:
    """How results name a symptom: its id, else its position."""
    return symptom.id or f"symptoms[{index}]"


def score(distinct_symptoms: int, matched_lines: int) -> float:
    """Distinct symptoms count 1 each; repeated lines add a little, never as much as a symptom."""
    repeats = min(max(matched_lines - distinct_symptoms, 0), REPEAT_BONUS_CAP)
    return round(distinct_symptoms + REPEAT_BONUS * repeats, 2)


# --------------------------------------------------------------------------- signature analysis


@dataclass(frozen=True)
class Literals:
    """What any match of one pattern must contain (see the module's docstring)."""

    words: frozenset[str] = frozenset()  # whole words, case as written
    words_folded: frozenset[str] = frozenset()  # whole words of IGNORECASE parts, lowercased
    fragments: tuple[str, ...] = ()  # inside a word, case as written
    fragments_folded: tuple[str, ...] = ()
    key: str | None = None  # the longest literal run, to find candidate lines with str.find
    key_folded: bool = False  # the key is lowercased: search the lowercased text


def analyse(pattern: str) -> Literals:
    """The literals of `pattern`; empty when the pattern cannot be analysed (never wrong)."""
    try:
        return _analyse(pattern)
    except Exception:  # noqa: BLE001 - re._parser is internal: if it changes, fall back to scanning
        return Literals()


def _analyse(pattern: str) -> Literals:
    from re import _constants as C  # noqa: N812
    from re import _parser

    parsed = _parser.parse(pattern)
    ignorecase = bool(parsed.state.flags & C.SRE_FLAG_IGNORECASE)
    atoms = list(_flatten(parsed.data, ignorecase, C))

    def guard(index: int) -> bool:
        """Atom `index` can only match where no ASCII word character is (or is outside)."""
        if index < 0 or index >= len(atoms):
            return False  # unanchored: anything may come before or after
        return _is_guard(atoms[index], C)

    words: set[str] = set()
    folded_words: set[str] = set()
    fragments: list[str] = []
    folded_fragments: list[str] = []
    key: tuple[int, str, bool] | None = None
    i = 0
    while i < len(atoms):
        op, av, icase = atoms[i]
        if op is not C.LITERAL:
            i += 1
            continue
        start = i
        while i < len(atoms) and atoms[i][0] is C.LITERAL and atoms[i][2] == icase:
            i += 1
        run = "".join(chr(atoms[j][1]) for j in range(start, i))
        if not icase or run.isascii():
            candidate = (len(run), run.lower() if icase else run, icase)
            if key is None or candidate[0] > key[0]:
                key = candidate
        # ASCII-word pieces of the run, each with what fences it
        for piece in re.finditer(r"[0-9A-Za-z_]+", run):
            left = start + piece.start() - 1
            right = start + piece.end()
            bounded = guard(left) and guard(right)
            text = piece.group(0).lower() if icase else piece.group(0)
            if bounded:
                (folded_words if icase else words).add(text)
            elif len(text) >= 3:
                (folded_fragments if icase else fragments).append(text)
    return Literals(frozenset(words), frozenset(folded_words), tuple(fragments), tuple(folded_fragments),
                    key[1] if key else None, key[2] if key else False)


def _flatten(data: Iterable, ignorecase: bool, C: Any) -> Iterable[tuple[Any, Any, bool]]:
    """The pattern's top-level sequence, with plain groups opened (their contents occur once)."""
    for op, av in data:
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            icase = ignorecase
            if add_flags & C.SRE_FLAG_IGNORECASE:
                icase = True
            if del_flags & C.SRE_FLAG_IGNORECASE:
                icase = False
            yield from _flatten(sub.data, icase, C)
        else:
            yield op, av, ignorecase


def _is_guard(atom: tuple[Any, Any, bool], C: Any) -> bool:
    op, av, icase = atom
    if op is C.AT:
        return av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING, C.AT_END, C.AT_END_STRING, C.AT_BOUNDARY)
    if op is C.LITERAL:
        return _non_word_char(av, icase)
    if op is C.IN:
        return _non_word_set(av, icase, C)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = av
        items = list(sub)
        return low >= 1 and len(items) == 1 and _is_guard((*items[0], icase), C)
    return False


def _non_word_char(code: int, icase: bool) -> bool:
    if code < 128:
        return code not in _ASCII_WORD
    return not (icase and chr(code) in _CASE_SPECIALS)


def _non_word_set(items: list, icase: bool, C: Any) -> bool:
    for op, av in items:
        if op is C.LITERAL:
            if not _non_word_char(av, icase):
                return False
        elif op is C.RANGE:
            low, high = av
            if any(low <= c <= high for c in _ASCII_WORD):
                return False
            if icase and any(low <= ord(s) <= high for s in _CASE_SPECIALS):
                return False
        elif op is C.CATEGORY:
            if av not in (C.CATEGORY_SPACE, C.CATEGORY_NOT_WORD, C.CATEGORY_LINEBREAK):
                return False
        else:  # NEGATE and anything unknown: could be a word character
            return False
    return True


# --------------------------------------------------------------------------- the index


@dataclass
class _Signature:
    """One distinct pattern and the symptoms (playbook index, symptom index) it stands for."""

    pattern: str
    literals: Literals
    symptoms: list[tuple[int, int]] = field(default_factory=list)
    compiled: Any = None  # RE2's pattern (runner/playbook/linear_regex.py)

    def regex(self) -> Any:
        if self.compiled is None:  # compiled on first use: most signatures never get this far
            self.compiled = compile_linear(self.pattern)
        return self.compiled


@dataclass
class _Text:
    """The log and its views; the costly ones are built only when a signature needs them."""

    text: str
    words: frozenset[str]  # the distinct ASCII words (runs of [0-9A-Za-z_])
    words_folded: frozenset[str]
    joined: str  # the words, one a line: a fragment is in a word iff it is in here
    joined_folded: str
    case_safe: bool  # lowercasing keeps every offset and the text has no special case-folding char
    filtered: bool = True  # False: no word pass was made, every signature is a candidate
    _lower: str | None = None
    _lines: list[str] | None = None
    _lower_lines: list[str] | None = None

    @classmethod
    def prepare(cls, text: str, word_pass: bool = True) -> _Text:
        if "\x1b" in text:  # colour codes (compose, npm) would split the words of a line
            text = _ANSI.sub("", text)
        for_words = text
        case_safe = True
        if any(ch in text for ch in _CASE_SPECIALS):
            case_safe = False
        if not word_pass:
            return cls(text, frozenset(), frozenset(), "", "", case_safe, filtered=False)
        if not case_safe:
            for ch, ascii_ in _CASE_SPECIALS.items():
                for_words = for_words.replace(ch, ascii_)
        raw = frozenset(for_words.encode("utf-8", "surrogatepass").translate(_TO_SPACE).split())
        words = frozenset(w.decode("ascii") for w in raw)  # only distinct words are decoded
        folded = frozenset(w.lower() for w in words)
        return cls(text, words, folded, "\n".join(words), "\n".join(folded), case_safe)

    def may_match(self, lit: Literals) -> bool:
        if not self.filtered:
            return True
        return (lit.words <= self.words and lit.words_folded <= self.words_folded
                and all(f in self.joined for f in lit.fragments)
                and all(f in self.joined_folded for f in lit.fragments_folded))

    def haystack(self, lit: Literals) -> str | None:
        """Where str.find may look for the signature's key: the text or its lowercase; None: nowhere."""
        if lit.key is None:
            return None
        if not lit.key_folded:
            return self.text
        if self._lower is None:
            self._lower = self.text.lower()
            if len(self._lower) != len(self.text):
                self.case_safe = False
        return self._lower if self.case_safe else None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    @property
    def lower_lines(self) -> list[str]:
        if self._lower_lines is None:
            assert self._lower is not None and self.case_safe  # haystack() checked both
            self._lower_lines = self._lower.split("\n")
        return self._lower_lines


def _clean(line: str) -> str:
    return line[:-1] if line.endswith("\r") else line


@dataclass
class TriageIndex:
    """The signatures of a set of playbooks, analysed once; scan any number of texts with it."""

    playbooks: Sequence[Playbook]
    signatures: list[_Signature] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A pattern shared by many playbooks (`^#\\d+ CACHED$`) is analysed and scanned once.
        by_pattern: dict[str, _Signature] = {}
        for p_index, playbook in enumerate(self.playbooks):
            for s_index, symptom in enumerate(playbook.symptoms):
                for pattern in dict.fromkeys(symptom.signatures):
                    if pattern not in by_pattern:
                        by_pattern[pattern] = _Signature(pattern, analyse(pattern))
                    by_pattern[pattern].symptoms.append((p_index, s_index))
        self.signatures = list(by_pattern.values())

    def scan(self, text: str) -> list[TriageMatch]:
        """Playbooks whose signatures match lines of `text`, best first."""
        prepared = _Text.prepare(text, word_pass=len(self.signatures) >= WORD_PASS_FROM)
        # (playbook, symptom) -> the hits of each of its signatures that matched, as
        # (signature, [(line number, line)]); a pattern shared by many symptoms is scanned
        # once and its hits shared, not copied
        found: dict[tuple[int, int], list[tuple[_Signature, list[tuple[int, str]]]]] = {}
        for signature in self.signatures:
            if not prepared.may_match(signature.literals):
                continue
            lines = list(_matching_lines(signature, prepared))
            if lines:
                for where in signature.symptoms:
                    found.setdefault(where, []).append((signature, lines))
        return self._results(found)

    def _results(self, found: dict[tuple[int, int], list[tuple[_Signature, list[tuple[int, str]]]]]
                 ) -> list[TriageMatch]:
        by_playbook: dict[int, list[int]] = {}
        for p_index, s_index in found:
            by_playbook.setdefault(p_index, []).append(s_index)
        matches = []
        for p_index, s_indexes in by_playbook.items():
            playbook = self.playbooks[p_index]
            matched, lines = [], []
            for s_index in sorted(s_indexes):
                hits = found[(p_index, s_index)]
                if len(hits) == 1:  # the usual case: one signature, its lines in order
                    signature, numbered = hits[0]
                    count, first = len(numbered), [(n, line, signature.pattern) for n, line in numbered]
                else:  # several signatures of one symptom: a line counts once
                    union: dict[int, tuple[str, str]] = {}
                    for signature, numbered in hits:
                        for number, line in numbered:
                            union.setdefault(number, (line, signature.pattern))
                    count, first = len(union), [(n, *union[n]) for n in sorted(union)]
                symptom = playbook.symptoms[s_index]
                key = symptom_key(symptom, s_index)
                matched.append(MatchedSymptom(key, s_index, symptom.text, count))
                lines += [MatchedLine(n, _shorten(line, pattern), key, pattern)
                          for n, line, pattern in first[:MAX_LINES_PER_SYMPTOM]]
            lines.sort(key=lambda m: (m.number, m.symptom))
            total = sum(s.lines for s in matched)
            matches.append(TriageMatch(playbook, score(len(matched), total), tuple(matched), tuple(lines)))
        matches.sort(key=lambda m: (-m.score, -sum(s.lines for s in m.symptoms), m.id))
        return matches


def _matching_lines(signature: _Signature, text: _Text) -> Iterable[tuple[int, str]]:
    regex = signature.regex()
    key = signature.literals.key
    haystack = text.haystack(signature.literals)
    if haystack is None:  # nothing to look for: every line
        for number, line in enumerate(text.lines, start=1):
            line = _clean(line)
            if regex.search(line):
                yield number, line
        return
    # A key found every few hundred characters (` CACHED` in a build log) is cheaper to test
    # line by line, in one comprehension-like loop, than to find and cut out hit by hit.
    if haystack.count(key) > len(text.text) // 400:
        folded = haystack is not text.text
        for number, (line, probe) in enumerate(zip(text.lines, text.lower_lines if folded else text.lines), 1):
            if key in probe:
                line = _clean(line)
                if regex.search(line):
                    yield number, line
        return
    source = text.text
    counted, number = 0, 1  # line numbers by counting newlines between hits, in C
    position = haystack.find(key)
    while position != -1:
        start = source.rfind("\n", 0, position) + 1
        end = source.find("\n", position)
        end = len(source) if end == -1 else end
        line = _clean(source[start:end])
        if regex.search(line):
            number += source.count("\n", counted, start)
            counted = start
            yield number, line
        position = haystack.find(key, end)


def _shorten(line: str, pattern: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    match = compile_linear(pattern).search(line)
    start = max(0, (match.start() if match else 0) - MAX_LINE_CHARS // 3)
    piece = line[start:start + MAX_LINE_CHARS]
    return ("…" if start else "") + piece + ("…" if start + MAX_LINE_CHARS < len(line) else "")


def triage(playbooks: Sequence[Playbook], text: str) -> list[TriageMatch]:
    """Rank `playbooks` by the symptoms `text` shows, best first (see TriageIndex)."""
    return TriageIndex(playbooks).scan(text)


__all__ = ["TriageIndex", "TriageMatch", "MatchedLine", "MatchedSymptom", "triage", "analyse", "score",
           "symptom_key", "text_json"]
