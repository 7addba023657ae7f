"""One exception family; the CLI maps each to an exit code (see runner/exitcodes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class RunnerError(Exception):
    """An error the person can act on; shown as one line, never as a traceback."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a playbook file, located as precisely as the file allows."""

    path: Path
    message: str
    line: int | None = None
    column: int | None = None
    key_path: str = ""
    hint: str = ""

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: "
        if self.key_path:
            text += f"{self.key_path}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class PlaybookError(RunnerError):
    """One or more playbook files are invalid."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UnknownPlaybook(RunnerError):
    pass


class EngineUnavailable(RunnerError):
    pass


class ParamError(RunnerError):
    pass
