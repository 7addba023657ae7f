"""Commands as a page shows them: argv as shell words (`{{name}}` as `$name`), the parameters a
command uses set just above it, and the `runner diagnose|fix` lines of a playbook's run box."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from runner.playbook.model import Playbook
from runner.playbook.placeholders import NAME_PLACEHOLDER, paths
from runner.site.languages import current
from runner.site.markdown_parts import one_line, text_of


# `{{evidence.CHECK.FIELD}}`: what the runner fills in from a check's evidence when it runs
# the step; a reader running it by hand fills it in: `<FIELD from the CHECK check>`.
_EVIDENCE = re.compile(r"\{\{\s*evidence\.([\w-]+)\.([\w.-]+)\s*\}\}")


def _evidence_in_words(match: re.Match[str]) -> str:
    return f"<{match.group(2).replace('_', ' ').replace('.', ' ')} from the {match.group(1)} check>"


def evidence_fill_in(text: str) -> str:
    """`text` with each `{{evidence.CHECK.FIELD}}` as the reader's `<FIELD from the CHECK check>`."""
    return _EVIDENCE.sub(_evidence_in_words, text)


def shell_word(arg: str) -> str:
    """One argv element as a shell word; `{{name}}` becomes the shell variable `$name`, and
    `{{evidence.check.field}}` a `<field from the check check>` to fill in."""
    if _EVIDENCE.search(arg):
        arg = evidence_fill_in(arg)
        if not NAME_PLACEHOLDER.search(arg):
            return '"' + re.sub(r'([\\"$`])', r"\\\1", arg) + '"'
    if not NAME_PLACEHOLDER.search(arg):
        return shlex.quote(arg)
    out, last = [], 0
    for match in NAME_PLACEHOLDER.finditer(arg):
        out.append(re.sub(r'([\\"$`])', r"\\\1", arg[last:match.start()]))
        out.append("${" + match.group(1) + "}")
        last = match.end()
    out.append(re.sub(r'([\\"$`])', r"\\\1", arg[last:]))
    return '"' + "".join(out) + '"'


def command_text(run: Iterable[str], env: Mapping[str, str] | None = None) -> str:
    prefix = " ".join(f"{name}={shell_word(value)}" for name, value in (env or {}).items())
    line = " ".join(shell_word(arg) for arg in run)
    return f"{prefix} {line}" if prefix else line


def referenced_params(playbook: Playbook, items: Iterable[Any]) -> list[str]:
    found = {path for path in paths(list(items)) if "." not in path}
    return [name for name in playbook.params if name in found]


def param_value(playbook: Playbook, name: str) -> str:
    param = playbook.params[name]
    if param.example is not None:
        return param.example
    if param.default is not None:
        return str(param.default).lower() if isinstance(param.default, bool) else str(param.default)
    return f"<{name}>"


def runner_command(verb: str, playbook: Playbook) -> str:
    """The command as the reader types it: the required params as `<name>` to fill in with the
    reader's own values (never the incident's), the optional ones left to their defaults."""
    parts = ["runner", verb, shlex.quote(playbook.id)]
    for name, param in playbook.params.items():
        if param.required:
            parts += ["--param", f"{name}=<{name}>"]
    return " ".join(parts)


def shell_preamble(playbook: Playbook, names: list[str]) -> str:
    lines = []
    for name in names:
        value = param_value(playbook, name)
        shown = f'"{value}"' if value.startswith("<") else shlex.quote(value)
        description = playbook.params[name].description
        note = text_of(description, current() or "en") or text_of(description, "ko")
        lines.append(f"{name}={shown}  # {one_line(note).replace('<br>', ' ')}")
    return "\n".join(lines)


def wrap_command(line: str, width: int = 78) -> str:
    """A long command broken at `--` options with shell line continuations."""
    if len(line) <= width:
        return line
    parts = re.split(r" (?=--)", line)
    return " \\\n    ".join(parts)
