"""What reaches a terminal from playbooks, logs and engines is text: no control sequence (a
title could set the window title or clear the screen) and no markup error (a `[/x]` in a
title made `runner list` exit 70, and broke it for the whole folder)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.errors import MarkupError
from rich.segment import Segment
from rich.text import Text

# C0 and C1 controls but tab and newline: ESC starts every terminal sequence, CR rewrites a line.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    """`text` without control characters."""
    return CONTROL.sub("", text)


class SafeConsole(Console):
    """A Rich console whose output holds no control sequence but its own styles, and that
    prints a string with broken markup as it is instead of failing."""

    def render_str(self, text: str, **options: Any) -> Text:
        text = plain(text)
        try:
            return super().render_str(text, **options)
        except MarkupError:
            return super().render_str(text, **{**options, "markup": False})

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # Every renderable ends here as segments (Text objects too, which render_str never
        # sees); a control segment is Rich's own cursor movement, never the text's.
        return super()._render_buffer(
            segment if segment.control else Segment(plain(segment.text), segment.style) for segment in buffer)
