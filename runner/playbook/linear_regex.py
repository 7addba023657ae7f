"""The regular expressions playbooks hold (symptom signatures, `matches` comparisons) run on
logs, which an attacker can shape: they run on RE2, in time linear in the line's length. A
signature like `^ERROR: (a+)+$` took 15 s on a 28-character line with Python's backtracking
engine, doubling with every character.

RE2 has no look-around and no back-references; `runner validate` rejects a pattern that needs
them, with a hint. Its `\\w`, `\\d`, `\\s` and `\\b` are ASCII; `\\pL` is any letter."""

from __future__ import annotations

import functools
import re
from typing import Any

BACKTRACKING_HINT = ("it needs backtracking (a look-around `(?=`, `(?!`, `(?<=`, `(?<!` or a back-reference "
                     "`\\1`), which cannot run in linear time on a log: match the line without it (a "
                     "signature only has to find the line; a condition can test a field twice)")


@functools.lru_cache(maxsize=1)
def _options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print every rejected pattern to stderr
    return options


@functools.lru_cache(maxsize=4096)
def compile_linear(pattern: str) -> Any:
    """`pattern` compiled by RE2 (search, match, start, end, group as Python's `re`); a
    ValueError that says why when it is no regular expression or needs backtracking."""
    import re2

    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"not a linear-time regular expression ({reason}): {BACKTRACKING_HINT}") from None
