"""What a lab run produces: the engine's versions, each step's and assertion's result, each
experiment's outcome, the verdicts on claims and ties, the cleanup, the whole report and the
events told to the progress callback. Plain data: nothing here touches the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Versions:
    engine: str  # "Docker Engine 20.10.24+dfsg1"
    client: str  # "docker 20.10.24+dfsg1 (BuildKit built in)", "docker 26.1.5+dfsg1 (buildx 0.13.1)"
    client_path: str
    host: str
    store: str = "overlay2"  # the image store: "overlay2" (or another graph driver), "containerd"
    compose: str | None = None  # "Compose 2.26.1 (docker compose)", "docker-compose 1.29.2"; None: none


@dataclass(frozen=True)
class StepResult:
    phase: str  # "setup" | "steps"
    index: int
    action: str
    describe: str
    seconds: float
    ok: bool
    saved_as: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class AssertionResult:
    index: int
    describe: str
    passed: bool
    title: str | None = None
    shows: str | None = None  # claims | wrong_attempt | fix | cause; None: all of them


@dataclass(frozen=True)
class ExperimentResult:
    id: str
    title: str
    outcome: str  # "held" | "failed" | "error" | "skipped" (not for this engine: `error` says why)
    seconds: float
    claims: tuple[str, ...]
    expect: str
    wrong_attempt: str | None
    fix: str | None
    cause: str | None
    steps: tuple[StepResult, ...]
    assertions: tuple[AssertionResult, ...]
    observations: dict[str, Any]
    error: str | None = None
    agrees: bool | None = None  # with what the playbook records (claims' status, ties); None: error

    def holds_for(self, tie: str) -> bool | None:
        """Whether the assertions that are evidence for `tie` all held; None after an error."""
        if self.outcome in ("error", "skipped"):
            return None
        return all(a.passed for a in self.assertions if a.shows in (None, tie))

    def verdict(self) -> str | None:
        """What this experiment says of its claims: confirmed, refuted, or error."""
        if self.outcome == "skipped":
            return None
        holds = self.holds_for("claims")
        if holds is None:
            return "error"
        if holds:
            return self.expect
        return "refuted" if self.expect == "confirmed" else "confirmed"


@dataclass(frozen=True)
class ClaimResult:
    id: str
    statement: str
    recorded: str  # the verdict recorded for this engine, else the claim's status (unverified, depends)
    verdict: str | None  # confirmed | refuted | mixed | error | None (no experiment decides it)
    experiments: tuple[str, ...]
    engine: str
    client: str
    store: str = "overlay2"

    @property
    def agrees(self) -> bool | None:
        """Whether the verdict is the one recorded for this engine; None when nothing decided it,
        or when the claim depends on the engine and nothing is recorded for this one."""
        if self.verdict in (None, "error") or self.recorded == "depends":
            return None
        return self.verdict == self.recorded

    @property
    def decided(self) -> bool:
        return self.verdict in ("confirmed", "refuted")


@dataclass(frozen=True)
class TieResult:
    """A wrong attempt, fix or cause an experiment replays: did it behave as recorded?"""

    kind: str  # "wrong_attempt" | "fix" | "cause"
    id: str
    experiment: str
    behaves: bool | None  # None when the experiment errored
    meaning: str


@dataclass(frozen=True)
class Cleanup:
    removed: dict[str, int]
    left: tuple[str, ...]  # what could not be removed: "build-cache xyz (type)", ...
    deleted: tuple[tuple[str, str], ...]  # (kind, id) of everything removed, for audits


@dataclass(frozen=True)
class LabReport:
    playbook: str
    run_id: str
    status: str  # "pass" | "differs" | "error"
    versions: Versions
    started: str
    seconds: float
    experiments: tuple[ExperimentResult, ...]
    claims: tuple[ClaimResult, ...]
    ties: tuple[TieResult, ...]
    cleanup: Cleanup | None
    owned_build_cache: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook, "run": self.run_id, "status": self.status,
            "engine": self.versions.engine, "client": self.versions.client, "host": self.versions.host,
            "store": self.versions.store, "compose": self.versions.compose,
            "started": self.started, "seconds": self.seconds,
            "claims": [{"id": c.id, "statement": c.statement, "verdict": c.verdict, "recorded": c.recorded,
                        "agrees": c.agrees, "experiments": list(c.experiments), "engine": c.engine,
                        "client": c.client, "store": c.store} for c in self.claims],
            "ties": [asdict(t) for t in self.ties],
            "experiments": [_experiment_json(e) for e in self.experiments],
            "cleanup": asdict(self.cleanup) if self.cleanup else None,
            "owned_build_cache": list(self.owned_build_cache),
            "problems": list(self.problems),
        }


def _experiment_json(result: ExperimentResult) -> dict[str, Any]:
    data = asdict(result)
    data["verdict"] = result.verdict() if result.claims else None
    data["claims"] = list(result.claims)
    return data


@dataclass(frozen=True)
class LabEvent:
    """Told to the progress callback: a run, an experiment or a step starts or ends."""

    kind: str  # "start" | "experiment" | "step" | "experiment-done" | "cleanup" | "done"
    playbook: str
    index: int = 0  # the experiment's number, from 1
    total: int = 0
    experiment: str = ""
    detail: str = ""
    result: Any = None


Progress = Callable[[LabEvent], None]

