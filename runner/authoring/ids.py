"""Playbook ids from titles: Hangul romanized (romanize), a title as a kebab-case id (slug), and
an id made unique among those already taken (unique)."""

from __future__ import annotations

import re

from runner.playbook.model import ID_PATTERN

_INITIALS = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_VOWELS = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
           "yu", "eu", "ui", "i"]
_FINALS = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
           "ng", "t", "t", "k", "t", "p", "t"]


def romanize(text: str) -> str:
    """Hangul syllables in the Revised Romanization, letter by letter (no sound changes):
    enough for a readable, stable id (`캐시 문제` -> `kaesi munje`)."""
    out = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            out.append(_INITIALS[code // 588] + _VOWELS[(code % 588) // 28] + _FINALS[code % 28])
        else:
            out.append(ch)
    return "".join(out)


def slug(title: str, limit: int = 64) -> str:
    """A title as an id: `Docker BuildKit 캐시 문제` -> `docker-buildkit-kaesi-munje`."""
    text = re.sub(r"[^a-z0-9]+", "-", romanize(title).lower()).strip("-")
    text = re.sub(r"^[0-9-]+", "", text)  # an id starts with a letter
    if len(text) > limit:
        text = text[:limit].rsplit("-", 1)[0] if "-" in text[:limit] else text[:limit]
    return text.strip("-")


def unique(candidate: str, taken: set[str], fallback: str) -> str:
    base = candidate if re.fullmatch(ID_PATTERN, candidate) else fallback
    name, n = base, 2
    while name in taken:
        suffix = f"-{n}"
        name = base[: 64 - len(suffix)].rstrip("-") + suffix
        n += 1
    taken.add(name)
    return name
