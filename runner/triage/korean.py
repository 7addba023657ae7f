"""Korean words: splitting Hangul compounds into the words a text itself uses.

Korean writes compounds without spaces (`빌드캐시를`), so a search for `캐시` must look inside
words. `vocabulary` learns the words of a collection of texts (each Hangul word with a trailing
particle or `하다` ending removed), and `Splitter` splits a word into those words only when the
whole word (less its ending) is covered by them: `빌드캐시를` -> `빌드` + `캐시를`, while
`리소스` stays whole even though `소스` is a word. A split is marked with U+200B (zero-width
space), which reads as nothing.

Used by the site's search index (runner/site/search_index.py) and by `runner search`
(runner/triage/search.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

ZWSP = "\u200b"
HANGUL = re.compile(r"[가-힣]+")
TAG = re.compile(r"<[^>]*>")  # vocabulary reads texts that may hold HTML (the search index's)

# Particles and the endings of 하다/되다 verbs, removed before a word is split or learnt.
ENDINGS = sorted({
    "이", "가", "을", "를", "은", "는", "의", "에", "에서", "에게", "께", "로", "으로", "와", "과", "도", "만",
    "까지", "부터", "보다", "처럼", "마다", "이나", "나", "이며", "며", "이고", "라고", "이라고", "이다", "입니다",
    "이라는", "라는", "에는", "에서는", "으로는", "로는", "에도", "에서도", "와는", "과는", "이란", "란", "조차",
    "밖에", "에서의", "로의", "으로의", "하다", "한다", "했다", "하는", "하면", "하고", "하지", "해도", "해야", "해서",
    "하여", "하기", "할", "한", "함", "했고", "했는데", "했지만", "합니다", "했습니다", "하려면", "하므로", "하며",
    "된다", "되는", "되면", "되고", "되지", "되어", "됐다", "되었다", "된", "될", "됨", "시킨다", "시키는", "해",
}, key=len, reverse=True)
# Tool names written in Hangul, as readers type them, and how the pages write them.
LOANWORDS = {
    "도커": "docker", "빌드킷": "buildkit", "빌드엑스": "buildx", "컴포즈": "compose", "깃": "git",
    "타입스크립트": "typescript", "자바스크립트": "javascript", "노드": "node", "엔진엑스": "nginx",
    "도커파일": "dockerfile", "도커이그노어": "dockerignore", "쿠버네티스": "kubernetes",
}
# One-syllable prefixes that may start a compound: 재빌드 = 재 + 빌드.
PREFIXES = frozenset("재비미무역탈초총")
MIN_PART = 2


_ENDING_SET = frozenset(ENDINGS)
_ENDING_LENGTHS = sorted({len(e) for e in ENDINGS}, reverse=True)


@lru_cache(maxsize=200_000)
def strip_ending(word: str) -> tuple[str, str]:
    """The word less its longest known ending, keeping at least MIN_PART syllables."""
    for length in _ENDING_LENGTHS:
        if len(word) - length >= MIN_PART and word[-length:] in _ENDING_SET:
            return word[:-length], word[-length:]
    return word, ""


def plain_text(html: str) -> str:
    return TAG.sub(" ", html)


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    words = set()
    for text in texts:
        for run in HANGUL.findall(plain_text(text)):
            core, _ = strip_ending(run)
            if len(core) >= MIN_PART:
                words.add(core)
    return frozenset(words)


class Splitter:
    """Splits Hangul words into vocabulary words; memoised, since words repeat."""

    def __init__(self, words: frozenset[str]):
        self.words = words
        self.split_points = lru_cache(maxsize=None)(self._split_points)

    def _split_points(self, word: str) -> tuple[int, ...]:
        core, _ = strip_ending(word)
        n = len(core)
        if n < 2 * MIN_PART - 1:
            return ()
        # best[i]: the most parts covering core[:i] (None: cannot be covered)
        best: list[tuple[int, tuple[int, ...]] | None] = [None] * (n + 1)
        best[0] = (0, ())
        for end in range(1, n + 1):
            for start in range(end):
                if best[start] is None:
                    continue
                part = core[start:end]
                if not ((len(part) >= MIN_PART and part in self.words) or (start == 0 and part in PREFIXES)):
                    continue
                count, cuts = best[start]
                candidate = (count + 1, (*cuts, start) if start else cuts)
                if best[end] is None or candidate[0] > best[end][0]:
                    best[end] = candidate
        if best[n] is None or best[n][0] < 2:
            return ()
        return best[n][1]

    def split_text(self, text: str) -> tuple[str, list[str]]:
        """Text with U+200B at each split, and the whole words that were split."""
        whole: list[str] = []

        def split_run(match: re.Match) -> str:
            run = match.group(0)
            cuts = self.split_points(run)
            if not cuts:
                return run
            whole.append(run)
            pieces, last = [], 0
            for cut in cuts:
                pieces.append(run[last:cut])
                last = cut
            pieces.append(run[last:])
            return ZWSP.join(pieces)

        return HANGUL.sub(split_run, text), whole
