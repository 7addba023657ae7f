"""What a check gets and what it gives back: plain data, never printing or exiting."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["pass", "fail", "warn", "error", "skip"]


@dataclass(frozen=True)
class CheckResult:
    status: Status
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckContext:
    """What every check may read: the substituted params, where the engine is, where we run."""

    params: dict[str, str] = field(default_factory=dict)
    docker_host: str | None = None
    cwd: Path = field(default_factory=Path.cwd)
    results: dict[str, CheckResult] = field(default_factory=dict)  # earlier checks of this run
    timeout: float = 30.0  # the check's own budget, for checks that start processes
    # Work diagnose started for this check before the checks it waits for had run (a Future of
    # the check kind's `ahead`): the image-vs-context check's cached build.
    ahead: Any = None
    # The checks run one after another in the main thread (`runner diagnose --profile`): work
    # started ahead stays in it too, where the profile sees it.
    serial: bool = False
    # The diagnosis's builds (runner.engine.building.Builds): stopped when it ends, however it ends.
    builds: Any = None
