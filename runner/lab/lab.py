"""The lab: replay a playbook's reproduction on a real engine and decide its claims.

Data in, data out: `run_lab` returns a `LabReport`; what happens meanwhile is told to a
`progress` callback. Nothing here prints or exits.

Isolation. Everything a lab run creates is named `runner-lab-<run>-...` or carries the label
`runner.lab=<run>`: the base image has the label, so every image built FROM it and every
container made from those inherits it, and the lab adds `--label` to the docker build, run,
create, volume create and network create commands it runs. Build-cache records cannot carry
labels: the lab snapshots the record IDs around each step that may create records and owns
the new ones, unless a new record's parent is a record that is not its own (another client's
build running at the same moment). Every lab build descends from a base image whose first
layer holds the run ID, so its records never share a parent with anybody else's. Pruning,
in an experiment and at the end, is `prune --filter id=<ID>` of each owned record and of
nothing else. The run's objects are removed at the end of each experiment and of the run,
also after a failure or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from runner.errors import RunnerError
from runner.playbook.model import LAB_REF, Experiment, LabAssertion, LabStep, Playbook, localize

RUN_LABEL = "runner.lab"
EXPERIMENT_LABEL = "runner.lab.experiment"
NAME_PREFIX = "runner-lab"
OUTPUT_KEPT = 6_000  # characters of each command's output kept in the report (the end of it)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Runner Lab", "GIT_AUTHOR_EMAIL": "lab@runner.invalid",
    "GIT_COMMITTER_NAME": "Runner Lab", "GIT_COMMITTER_EMAIL": "lab@runner.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
}
# Steps that may create build-cache records: the IDs are compared around them.
ENGINE_ACTIONS = frozenset({"run", "build", "diagnose", "fix", "prune_build_cache", "read_file"})
# docker subcommands that take --label, and where it goes.
LABELLED_SUBCOMMANDS = {("build",): 2, ("run",): 2, ("create",): 2, ("image", "build"): 3,
                        ("container", "run"): 3, ("container", "create"): 3, ("volume", "create"): 3,
                        ("network", "create"): 3}


def ledger_dir() -> Path:
    return Path(tempfile.gettempdir()) / "runner-lab"


def claimed_build_cache(but: str | None = None) -> set[str]:
    """Build-cache records that running labs own (all but the run `but`): other cleaners on the
    same engine (the test fixtures, other labs) leave them alone."""
    claimed: set[str] = set()
    for ledger in ledger_dir().glob("*.json"):
        if ledger.stem == but:
            continue
        try:
            data = json.loads(ledger.read_text())
            os.kill(int(data["pid"]), 0)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable, or its lab is gone
        claimed.update(data.get("owned") or [])
    return claimed


class LabError(RunnerError):
    """A lab cannot run at all: no lab section, no busybox, no BuildKit client."""


class StepFailed(Exception):
    """A step did not do what it must (a command's exit code, a missing file): the
    experiment cannot decide anything."""


# --- results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Versions:
    engine: str  # "Docker Engine 20.10.24+dfsg1"
    client: str  # "docker 20.10.24+dfsg1 (BuildKit built in)"
    client_path: str
    host: str


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
    outcome: str  # "held" | "failed" | "error"
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
        if self.outcome == "error":
            return None
        return all(a.passed for a in self.assertions if a.shows in (None, tie))

    def verdict(self) -> str | None:
        """What this experiment says of its claims: confirmed, refuted, or error."""
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
    recorded: str
    verdict: str | None  # confirmed | refuted | mixed | error | None (no experiment decides it)
    experiments: tuple[str, ...]
    engine: str
    client: str

    @property
    def agrees(self) -> bool | None:
        """Whether the verdict is the recorded status; None when nothing decided it."""
        if self.verdict in (None, "error"):
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
            "started": self.started, "seconds": self.seconds,
            "claims": [{"id": c.id, "statement": c.statement, "verdict": c.verdict, "recorded": c.recorded,
                        "agrees": c.agrees, "experiments": list(c.experiments), "engine": c.engine,
                        "client": c.client} for c in self.claims],
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


# --- values and placeholders --------------------------------------------------------------

class _Missing(Exception):
    pass


def lookup(scope: dict[str, Any], ref: str) -> Any:
    """The value of `name.field.sub` in the scope; raises _Missing."""
    head, *path = ref.split(".")
    if head not in scope:
        raise _Missing(f"{head!r} is not defined (yet)")
    value = scope[head]
    for i, part in enumerate(path):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            where = ".".join([head, *path[:i]])
            keys = ", ".join(sorted(value)) if isinstance(value, dict) else type(value).__name__
            raise _Missing(f"{where} has no {part!r} (has: {keys})")
    return value


def fill(value: Any, scope: dict[str, Any]) -> Any:
    """Placeholders replaced. A string that is exactly one reference becomes the value itself."""
    if isinstance(value, str):
        whole = LAB_REF.fullmatch(value.strip())
        if whole and value.strip() == value:
            return lookup(scope, whole.group(1))
        return LAB_REF.sub(lambda m: _text(lookup(scope, m.group(1))), value)
    if isinstance(value, dict):
        return {key: fill(item, scope) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [fill(item, scope) for item in value]
    return value


def fill_text(value: str, scope: dict[str, Any]) -> str:
    return LAB_REF.sub(lambda m: _text(lookup(scope, m.group(1))), value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value).lower() \
        if isinstance(value, bool) else str(value)


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) and value else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- build output -------------------------------------------------------------------------

_VERTEX = re.compile(r"^#(\d+) (\[[^\]]+\] .+)$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
_DONE = re.compile(r"^#(\d+) DONE ([\d.]+)s$")
_ERROR = re.compile(r"^#(\d+) ERROR")
_STAGE_STEP = re.compile(r"^\[(?!internal\])([^\]]*?)\s*(\d+)/(\d+)\] (.+)$")
_LOG_LINE = re.compile(r"^#\d+ \d+\.\d+ (.*)$")
_CONTEXT = re.compile(r"^#\d+ transferring context: ([\d.]+)([kMG]?)B\b")
_UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}


def context_bytes(output: str) -> int:
    """Bytes BuildKit sent of the build context: what its sync found new or changed."""
    return max((int(float(m.group(1)) * _UNITS[m.group(2)]) for line in output.splitlines()
                if (m := _CONTEXT.match(line))), default=0)


def build_log(output: str) -> str:
    """What the build's RUN steps printed, one line each, without BuildKit's prefixes (the
    step names, which quote the commands, are left out: a pattern matches output only)."""
    return "\n".join(m.group(1) for line in output.splitlines() if (m := _LOG_LINE.match(line)))


def parse_build(output: str) -> list[dict[str, Any]]:
    """The Dockerfile steps of a `--progress=plain` build log: name, cached, seconds, error."""
    names: dict[str, str] = {}
    cached: set[str] = set()
    done: dict[str, float] = {}
    errors: set[str] = set()
    for line in output.splitlines():
        if m := _VERTEX.match(line):
            names.setdefault(m.group(1), m.group(2))
        elif m := _CACHED.match(line):
            cached.add(m.group(1))
        elif m := _DONE.match(line):
            done[m.group(1)] = float(m.group(2))
        elif m := _ERROR.match(line):
            errors.add(m.group(1))
    steps = []
    for number, name in names.items():
        m = _STAGE_STEP.match(name)
        if not m:
            continue
        instruction = m.group(4)
        steps.append({"name": name, "stage": m.group(1) or "", "instruction": instruction,
                      "from": instruction.startswith("FROM "), "cached": number in cached,
                      "seconds": done.get(number), "error": number in errors})
    return steps


# --- the build-cache ledger and the janitor -----------------------------------------------

class Janitor:
    """What a lab run created on the engine, and its removal.

    Build-cache records are owned when they appear during one of the lab's own steps (the
    engine gives them no labels); see the module docstring for the parent rule.
    """

    def __init__(self, client: Any, run_id: str, host: str = "") -> None:
        self.client = client
        self.run_id = run_id
        self.host = host  # the engine's address, kept in the ledger for `runner lab --clean-up`
        self.baseline = set(self.records())
        self.seen = set(self.baseline)
        self.intervals: list[list[Any]] = []  # [start, end, may start chains], engine clock
        self.ledger = ledger_dir() / f"{run_id}.json"
        self.experiment: str | None = None  # the experiment whose steps run now
        # Record times are the engine's clock: the steps' times are compared on that clock.
        self.clock_offset = _engine_time(client) - time.time()
        self.owned: dict[str, dict[str, Any]] = {}
        self.deleted: list[tuple[str, str]] = []
        self.problems: list[str] = []  # what an experiment's cleanup could not do
        self._lock = threading.Lock()

    def records(self) -> dict[str, dict[str, Any]]:
        from docker.errors import APIError

        for attempt in range(60):
            try:
                return {r["ID"]: r for r in (self.client.df().get("BuildCache") or [])}
            except APIError as exc:
                # The engine runs one disk-usage computation at a time, for every client.
                if "already running" not in str(exc) or attempt == 59:
                    raise
                time.sleep(0.05 + 0.01 * attempt)
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def window(self, roots: bool = False) -> Iterator[list[str]]:
        """Own the build-cache records created while the block runs (listed in the yielded
        list once it ends). Only a base-image build (`roots`) may start a chain of layers:
        every other record of the lab's builds descends from those."""
        interval = [time.time() + self.clock_offset - CLOCK_SLACK, float("inf"), roots]
        self.intervals.append(interval)
        appeared: list[str] = []
        try:
            yield appeared
        finally:
            interval[1] = time.time() + self.clock_offset + CLOCK_SLACK
            appeared.extend(self.sweep())

    def sweep(self) -> list[str]:
        """Own the records not listed before that were created during one of the lab's steps.
        A record in use can be missing from a listing and show up in a later one: the
        creation time, not the listing it first shows up in, places it in a step."""
        appeared = []
        now = self.records()
        new = {rid: record for rid, record in now.items() if rid not in self.seen}
        self.seen.update(now)
        with self._lock:
            # Parents first, so that a child of a new record of ours is ours too.
            for rid in sorted(new, key=lambda r: _depth(r, now)):
                created = _created(new[rid])
                during = [i for i in self.intervals if i[0] <= created <= i[1]]
                if not during:
                    continue  # created outside the lab's steps: somebody else's
                parent = new[rid].get("Parent") or ""
                if parent and parent not in self.owned:
                    continue  # built on somebody else's record: another client's concurrent build
                if not parent and new[rid].get("Type") == "regular" and not any(i[2] for i in during):
                    continue  # a new chain of layers: the lab's start only in its base builds
                self.owned[rid] = {"type": new[rid].get("Type"), "parent": parent,
                                   "description": new[rid].get("Description"), "experiment": self.experiment}
                appeared.append(rid)
        if appeared:
            self._write_ledger()
        return appeared

    def _write_ledger(self) -> None:
        try:
            self.ledger.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.ledger.with_suffix(".tmp")
            temporary.write_text(json.dumps({"pid": os.getpid(), "run": self.run_id, "host": self.host,
                                             "owned": sorted(self.owned)}))
            os.replace(temporary, self.ledger)
        except OSError:
            pass  # the ledger only spares other cleaners' work: the lab goes on without it

    def prune(self, extra: dict[str, str] | None = None, all_: bool = False,
              only: list[str] | None = None) -> list[dict[str, Any]]:
        """`docker builder prune` of the owned records only (one `id=` filter each; `only`
        narrows them further), leaves first and again until nothing more goes, as the
        engine's own prune loops."""
        deleted: list[dict[str, Any]] = []
        self.sweep()
        for _ in range(64):
            present = self.records()
            # A record another running lab claims too appeared during both labs' steps: it is
            # left to whichever ends last (its ledger then names it alone).
            others = claimed_build_cache(but=self.run_id)
            targets = [rid for rid in (only if only is not None else self.owned)
                       if rid in present and rid in self.owned and rid not in others]
            # Records without children first (they can go at once; a `until=` filter is about
            # time), then the deepest: a parent goes once its children have.
            parents = {record.get("Parent") for record in present.values()}
            targets.sort(key=lambda rid: (rid in parents, -_depth(rid, present)))
            progress = False
            for rid in targets:
                filters = {"id": rid, **(extra or {})}
                answer = self.client.api.prune_builds(filters=filters, all=all_ or None) or {}
                for gone in answer.get("CachesDeleted") or []:
                    if gone not in self.owned:  # an `id=` filter matches substrings: never happens with full IDs
                        continue
                    record = present.get(gone, {})
                    deleted.append({"id": gone, "type": self.owned[gone]["type"],
                                    "description": record.get("Description"), "created": record.get("CreatedAt"),
                                    "last_used": record.get("LastUsedAt")})
                    self.deleted.append(("build-cache", gone))
                    progress = True
            if not progress:
                break
        return deleted

    def remove_objects(self, experiment: str | None = None) -> dict[str, int]:
        """Containers, images, volumes and networks of this run (or of one experiment).
        The low-level API lists without inspecting each object: other clients may remove
        their own objects between a list and an inspect."""
        from docker.errors import APIError, NotFound

        api = self.client.api
        label = [f"{RUN_LABEL}={self.run_id}"]
        prefix = f"{NAME_PREFIX}-{self.run_id}-" + (f"{experiment}-" if experiment else "")
        if experiment:
            label.append(f"{EXPERIMENT_LABEL}={self.run_id}-{experiment}")
        counts = {"containers": 0, "images": 0, "volumes": 0, "networks": 0}

        def remove(kind: str, key: str, call: Callable[[], Any]) -> bool:
            try:
                call()
            except NotFound:
                return True
            except APIError:
                return False
            counts[kind + "s"] += 1
            self.deleted.append((kind, key))
            return True

        containers = {c["Id"] for c in api.containers(all=True, filters={"label": label})}
        containers |= {c["Id"] for c in api.containers(all=True, filters={"name": prefix})
                       if any(n.lstrip("/").startswith(prefix) for n in c.get("Names") or [])}
        for cid in containers:
            remove("container", cid, lambda cid=cid: api.remove_container(cid, v=True, force=True))
        images = {i["Id"] for i in api.images(all=True, filters={"label": label})}
        images |= {i["Id"] for i in api.images(all=True)
                   if any(tag.startswith(prefix) for tag in i.get("RepoTags") or [])}
        for _ in range(3):  # an image FROM another one holds it: children go first, or next round
            images = {iid for iid in sorted(images)
                      if not remove("image", iid, lambda iid=iid: api.remove_image(iid, force=True))}
            if not images:
                break
        volumes = {v["Name"] for v in (api.volumes(filters={"label": label}).get("Volumes") or [])}
        volumes |= {v["Name"] for v in (api.volumes(filters={"name": prefix}).get("Volumes") or [])
                    if v["Name"].startswith(prefix)}
        for name in volumes:
            remove("volume", name, lambda name=name: api.remove_volume(name, force=True))
        networks = {n["Id"] for n in api.networks(filters={"label": label})}
        networks |= {n["Id"] for n in api.networks(filters={"name": prefix}) if n["Name"].startswith(prefix)}
        for nid in networks:
            remove("network", nid, lambda nid=nid: api.remove_network(nid))
        return counts

    def tidy(self, experiment: str | None = None) -> list[str]:
        """Remove what the run (or one experiment) created; problems as text, never raised:
        a cleanup that stops halfway leaves more behind."""
        problems = []
        for phase in (lambda: self.remove_objects(experiment), lambda: self.prune(all_=True)):
            try:
                phase()
            except Exception as exc:  # noqa: BLE001 - keep going: the next phase may still succeed
                problems.append(f"cleanup: {type(exc).__name__}: {exc}")
        return problems

    def clean(self) -> Cleanup:
        problems = self.tidy()
        for _ in range(3):  # records that showed up late (they were in use) go too
            try:
                if not self.sweep():
                    break
                self.prune(all_=True)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"cleanup: {type(exc).__name__}: {exc}")
                break
        counts = {"containers": 0, "images": 0, "volumes": 0, "networks": 0, "build_cache": 0}
        for kind, _ in self.deleted:  # the whole run's, experiments' own cleanups included
            key = kind.replace("-", "_") + ("" if kind == "build-cache" else "s")
            counts[key] = counts.get(key, 0) + 1
        left = list(problems)
        try:
            present = self.records()
            others = claimed_build_cache(but=self.run_id)
            left += [f"build-cache {rid} ({self.owned[rid]['type']})" for rid in self.owned
                     if rid in present and rid not in others]
            label = f"{RUN_LABEL}={self.run_id}"
            left += [f"image {i['Id']}" for i in self.client.api.images(all=True, filters={"label": label})]
            left += [f"container {c['Id'][:12]}"
                     for c in self.client.api.containers(all=True, filters={"label": label})]
        except Exception as exc:  # noqa: BLE001
            left.append(f"cleanup: could not list what is left: {exc}")
        self.ledger.unlink(missing_ok=True)
        return Cleanup(counts, tuple(left), tuple(self.deleted))


CLOCK_SLACK = 1.0  # seconds: the engine's clock read once, and its timestamps' rounding


def _engine_time(client: Any) -> float:
    try:
        return _timestamp(client.info().get("SystemTime", ""))
    except Exception:  # noqa: BLE001 - without it, assume the engine's clock is ours
        return time.time()


def _timestamp(text: str) -> float:
    """RFC 3339 with nanoseconds ('2026-11-26T10:50:10.389253685Z' or '+09:00') -> epoch seconds."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$", text.strip())
    if not match:
        raise ValueError(f"not a timestamp: {text!r}")
    zone = match.group(3) or "Z"
    moment = dt.datetime.fromisoformat(match.group(1) + ("+00:00" if zone == "Z" else zone))
    return moment.timestamp() + float("0." + (match.group(2) or "0"))


def _created(record: dict[str, Any]) -> float:
    try:
        return _timestamp(record.get("CreatedAt") or "")
    except ValueError:
        return float("inf")  # no readable time: judged by the listings alone


def _depth(rid: str, records: dict[str, dict[str, Any]]) -> int:
    depth = 0
    seen = set()
    while rid in records and records[rid].get("Parent") and rid not in seen:
        seen.add(rid)
        rid = records[rid]["Parent"]
        depth += 1
    return depth


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM wait until the block ends (cleanup must finish), then interrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    received: list[int] = []
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda number, _frame: received.append(number))
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise KeyboardInterrupt


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so that `finally` cleans up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_number: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- the engine ---------------------------------------------------------------------------

@contextlib.contextmanager
def engine_lock(host: str, run_id: str, waiting: Callable[[str], None]) -> Iterator[None]:
    """One lab at a time on an engine: build-cache records carry no labels, so two labs whose
    steps overlap could not tell each other's new records apart."""
    import fcntl
    import hashlib

    folder = ledger_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"engine-{hashlib.sha256(host.encode()).hexdigest()[:16]}.lock"
    with open(path, "a+") as handle:
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    handle.seek(0)
                    waiting(handle.read().strip() or "?")
                    told = True
                time.sleep(0.5)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"run {run_id}, pid {os.getpid()}")
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- what ended runs left ------------------------------------------------------------------

STALE_AFTER = 3600.0  # seconds: a lab run takes minutes


@dataclass(frozen=True)
class Leftovers:
    run_id: str
    why: str  # how the run is known to have ended
    cleanup: Cleanup

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run_id, "why": self.why, "removed": self.cleanup.removed,
                "left": list(self.cleanup.left)}


def clean_up(docker_host: str | None = None, older_than: float = STALE_AFTER,
             waiting: Callable[[str], None] | None = None) -> list[Leftovers]:
    """Remove what lab runs that ended without their cleanup (killed, or the machine stopped)
    left on the engine: what they named or labelled runner.lab=<run>, and the build-cache
    records their ledgers name. A run has ended when its ledger names a process that is gone;
    a run without a ledger on this machine (one from another machine) when everything it
    labelled is older than `older_than` seconds. Nothing of a live run, nothing unlabelled."""
    from runner.engine.endpoints import client_for, resolve_endpoint

    host = docker_host or resolve_endpoint().host
    client = client_for(host, timeout=120)
    with engine_lock(host, "clean-up", waiting or (lambda holder: None)):
        live, ended = _ledgers(host)
        newest = _labelled_runs(client)
        now = time.time()
        runs = {run: ("its process is gone", owned) for run, owned in ended.items()}
        for run, created in newest.items():
            if run not in live and run not in runs and now - created >= older_than:
                runs[run] = (f"no lab here runs it, and it is {(now - created) / 3600:.1f} h old", [])
        found: list[Leftovers] = []
        present: dict[str, dict[str, Any]] = {}
        for run, (why, owned) in sorted(runs.items()):
            janitor = Janitor(client, run, host)
            present = present or janitor.records()  # what each record is; pruning lists them again
            janitor.owned = {rid: {"type": present[rid].get("Type"), "parent": present[rid].get("Parent") or "",
                                   "description": present[rid].get("Description"), "experiment": None}
                             for rid in owned if rid in present}
            found.append(Leftovers(run, why, janitor.clean()))
        return found


def _ledgers(host: str) -> tuple[set[str], dict[str, list[str]]]:
    """Runs with a ledger: those whose process lives, and the others with the records they own
    (ledgers of another engine left out; one written before ledgers named it counts as this one's)."""
    live: set[str] = set()
    ended: dict[str, list[str]] = {}
    for ledger in ledger_dir().glob("*.json"):
        try:
            data = json.loads(ledger.read_text())
            run, pid = str(data["run"]), int(data["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if data.get("host", host) != host or run != ledger.stem:
            continue
        try:
            os.kill(pid, 0)
            live.add(run)
        except ProcessLookupError:
            ended[run] = [str(rid) for rid in data.get("owned") or []]
        except OSError:  # another user's process: alive
            live.add(run)
    return live, ended


def _labelled_runs(client: Any) -> dict[str, float]:
    """Run -> when the newest object it labelled was created (seconds since the epoch)."""
    api = client.api
    label = {"label": RUN_LABEL}
    created: dict[str, float] = {}

    def note(labels: dict[str, str] | None, when: float) -> None:
        run = (labels or {}).get(RUN_LABEL)
        if run:
            created[run] = max(created.get(run, 0.0), when)

    for container in api.containers(all=True, filters=label):
        note(container.get("Labels"), float(container.get("Created") or 0))
    for image in api.images(all=True, filters=label):
        note(image.get("Labels"), float(image.get("Created") or 0))
    for volume in api.volumes(filters=label).get("Volumes") or []:
        note(volume.get("Labels"), _created_at(volume.get("CreatedAt")))
    for network in api.networks(filters=label):
        note(network.get("Labels"), _created_at(network.get("Created")))
    return created


def _created_at(text: str | None) -> float:
    try:
        return _timestamp(text or "")
    except ValueError:
        return time.time()  # no usable time: as young as can be, so it stays


def find_busybox() -> Path:
    for candidate in (os.environ.get("RUNNER_BUSYBOX"), "/bin/busybox", "/usr/bin/busybox", shutil.which("busybox")):
        if candidate and os.path.isfile(candidate):
            return Path(candidate)
    raise LabError("no static busybox for the lab's base image: install busybox-static (Debian) "
                   "or set RUNNER_BUSYBOX")


class Engine:
    """The engine and the docker CLI the lab drives, with its labels and environment."""

    def __init__(self, docker_host: str | None, run_id: str) -> None:
        from runner.engine.clients import buildkit_client
        from runner.engine.endpoints import client_for, resolve_endpoint

        self.host = docker_host or resolve_endpoint().host
        self.client = client_for(self.host, timeout=120)
        self.cli = buildkit_client()
        self.run_id = run_id
        version = self.client.version()
        self.versions = Versions(
            engine=f"Docker Engine {version.get('Version', '?')}",
            client=f"docker {self.cli.version} ({'BuildKit built in' if self.cli.how == 'builtin' else self.cli.how})",
            client_path=self.cli.path, host=self.host)
        self.env = {**os.environ, **GIT_ENV, "DOCKER_BUILDKIT": "1", "DOCKER_HOST": self.host}

    def argv(self, argv: list[str], experiment_label: str | None) -> list[str]:
        if argv[0] == "runner":
            return [sys.executable, "-m", "runner", *argv[1:]]
        if argv[0] != "docker":
            return argv
        argv = [self.cli.path, *argv[1:]]
        for words, at in LABELLED_SUBCOMMANDS.items():
            if tuple(argv[1:at]) == words:
                labels = ["--label", f"{RUN_LABEL}={self.run_id}"]
                if experiment_label:
                    labels += ["--label", f"{EXPERIMENT_LABEL}={experiment_label}"]
                return [*argv[:at], *labels, *argv[at:]]
        return argv

    def run(self, argv: list[str], *, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 120) -> dict[str, Any]:
        started = time.monotonic()
        try:
            done = subprocess.run(argv, cwd=cwd, env={**self.env, **(env or {})}, capture_output=True,
                                  text=True, errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise StepFailed(f"timed out after {timeout:g} s: {' '.join(argv)}") from None
        except OSError as exc:
            raise StepFailed(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
        seconds = round(time.monotonic() - started, 3)
        output = done.stdout + done.stderr
        return {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr, "output": output,
                "seconds": seconds}


# --- one experiment -----------------------------------------------------------------------

@dataclass
class _Context:
    engine: Engine
    janitor: Janitor
    playbook: Playbook
    playbook_path: Path | None
    folder: Path  # the experiment's temporary folder
    project: Path
    scope: dict[str, Any]
    experiment_label: str
    progress: Progress | None
    index: int
    total: int
    saved: dict[str, Any] = field(default_factory=dict)


def build_base_image(engine: Engine, folder: Path, tag: str, *, parent: str | None,
                     marker: str, experiment_label: str | None = None) -> str:
    """The run's base (scratch + the run ID + static busybox) or an experiment's (the run's
    base + the experiment's ID): unique first layers keep every cache record of the run its own."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "marker").write_text(marker + "\n")
    labels = f"LABEL {RUN_LABEL}={engine.run_id}" + (f" {EXPERIMENT_LABEL}={experiment_label}"
                                                      if experiment_label else "")
    if parent is None:
        shutil.copy(find_busybox(), folder / "busybox")
        dockerfile = ("FROM scratch\nCOPY marker /.runner-lab\nCOPY busybox /bin/busybox\n"
                      'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n' + labels + "\n")
    else:
        dockerfile = f"FROM {parent}\nCOPY marker /.runner-lab-experiment\n{labels}\n"
    (folder / "Dockerfile").write_text(dockerfile)
    done = engine.run(engine.argv(["docker", "build", "-q", "-t", tag, str(folder)], experiment_label),
                      cwd=folder, timeout=300)
    if done["exit"] != 0:
        raise StepFailed(f"could not build the lab's base image {tag}: {done['output'][-2000:]}")
    return tag


def write_project(ctx: _Context, lab_files: dict[str, str], folder_files: Path | None) -> None:
    ctx.project.mkdir(parents=True, exist_ok=True)
    if folder_files is not None:
        for source in sorted(folder_files.rglob("*")):
            relative = source.relative_to(folder_files)
            target = ctx.project / relative
            if source.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    target.write_text(fill_text(source.read_text(), ctx.scope))
                except UnicodeDecodeError:
                    shutil.copy2(source, target)
                target.chmod(source.stat().st_mode & 0o777)
    for relpath, content in lab_files.items():
        target = _inside(ctx.project, relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fill_text(content, ctx.scope))


def _inside(root: Path, relpath: str) -> Path:
    target = (root / relpath).resolve()
    if not (target == root.resolve() or str(target).startswith(str(root.resolve()) + os.sep)):
        raise StepFailed(f"{relpath} leaves the experiment's folder")
    return target


def _path(ctx: _Context, given: str) -> Path:
    """A step's path: relative to the project, or absolute inside the experiment's folder."""
    path = Path(given)
    return _inside(ctx.folder, str(path if path.is_absolute() else ctx.project / path))


def run_step(ctx: _Context, step: LabStep) -> tuple[str, dict[str, Any] | None]:
    """Run one step; (what it did, what it observed)."""
    action = step.action
    raw = getattr(step, action)
    value = fill(raw.model_dump(by_alias=True) if hasattr(raw, "model_dump") else raw, {**ctx.scope, **ctx.saved})
    env = {k: _text(v) for k, v in fill(step.env, {**ctx.scope, **ctx.saved}).items()}
    cwd = _path(ctx, fill_text(step.cwd, {**ctx.scope, **ctx.saved})) if step.cwd else ctx.project
    if action == "run":
        argv = ctx.engine.argv([_text(a) for a in value], ctx.experiment_label)
        observed = ctx.engine.run(argv, cwd=cwd, env=env, timeout=step.timeout)
        _expect_exit(step, observed, " ".join(value))
        return " ".join(value), _kept(observed)
    if action == "build":
        return _build(ctx, step, value, env, cwd)
    if action in ("write", "append"):
        target = _path(ctx, value["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        before = target.stat() if target.exists() else None
        with open(target, "w" if action == "write" else "a", encoding="utf-8") as handle:
            handle.write(value["content"])
        if value.get("keep_mtime") and before is not None:
            os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
        size = target.stat().st_size
        return f"{action} {value['path']} ({size} bytes{', same mtime' if value.get('keep_mtime') else ''})", \
            {"size": size, "same_size": before is not None and before.st_size == size}
    if action == "touch":
        target = _path(ctx, value)
        target.touch()
        os.utime(target)
        return f"touch {value}", None
    if action == "set_mtime":
        target = _path(ctx, value["path"])
        if value.get("like") is not None:
            reference = _path(ctx, value["like"]).stat()
            os.utime(target, ns=(reference.st_atime_ns, reference.st_mtime_ns))
        else:
            moment = time.time() - float(value["ago"])
            os.utime(target, (moment, moment))
        return f"set mtime of {value['path']}", None
    if action == "remove":
        target = _path(ctx, value)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        return f"remove {value}", None
    if action == "sleep":
        time.sleep(float(value))
        return f"sleep {value} s", None
    if action == "image_id":
        from docker.errors import ImageNotFound

        try:
            found = ctx.engine.client.images.get(_text(value)).id
        except ImageNotFound:
            found = ""
        return f"image ID of {value}", {"id": found}
    if action == "read_file":
        return _read_file(ctx, value)
    if action == "inspect_container":
        from docker.errors import NotFound

        try:
            container = ctx.engine.client.containers.get(_text(value))
        except NotFound:
            return f"inspect container {value}", {"exists": False, "image_id": "", "running": False, "status": ""}
        return f"inspect container {value}", {"exists": True, "image_id": container.attrs.get("Image", ""),
                                              "running": container.status == "running",
                                              "status": container.status}
    if action == "diagnose":
        return _diagnose(ctx, value)
    if action == "fix":
        return _fix(ctx, value)
    if action == "prune_build_cache":
        extra: dict[str, str] = {}
        for given in value["filters"]:
            key, sep, wanted = given.partition("=")
            if not sep or key == "id":
                raise StepFailed(f"filter {given!r}: give KEY=VALUE (id= is the lab's own)")
            extra[key] = wanted
        # `docker builder prune` as on an engine that holds this experiment's project only.
        ctx.janitor.sweep()
        mine = [rid for rid, record in ctx.janitor.owned.items() if record["experiment"] == ctx.janitor.experiment]
        deleted = ctx.janitor.prune(extra, value["all"], only=mine)
        # Keys without dots, so that assertions can name them: types.source_local
        types = dict.fromkeys(("regular", "source_local", "exec_cachemount", "internal", "frontend"), 0)
        for record in deleted:
            key = str(record["type"]).replace(".", "_")
            types[key] = types.get(key, 0) + 1
        filters = " ".join(f"--filter {f}" for f in value["filters"])
        return (f"builder prune {'--all ' if value['all'] else ''}{filters} (the lab's records: "
                f"{len(deleted)} deleted)").replace("  ", " "), {"deleted": len(deleted), "types": types,
                                                                 "records": deleted}
    raise StepFailed(f"unknown action {action}")  # the model's validator makes this unreachable


def _expect_exit(step: LabStep, observed: dict[str, Any], what: str) -> None:
    if step.exit != "any" and observed["exit"] != step.exit:
        tail = observed["output"].strip()[-1500:]
        raise StepFailed(f"`{what}` exited {observed['exit']} (expected {step.exit}):\n{tail}")


def _kept(observed: dict[str, Any]) -> dict[str, Any]:
    return {**observed, **{key: observed[key][-OUTPUT_KEPT:] for key in ("stdout", "stderr", "output")}}


def _build(ctx: _Context, step: LabStep, spec: dict[str, Any], env: dict[str, str],
           cwd: Path) -> tuple[str, dict[str, Any]]:
    context = _path(ctx, spec["context"])
    iidfile = Path(tempfile.mkstemp(prefix="iid-", dir=ctx.folder)[1])
    argv = ["docker", "build", "--progress=plain", "--iidfile", str(iidfile)]
    if spec.get("tag"):
        argv += ["-t", spec["tag"]]
    if spec.get("dockerfile"):
        argv += ["-f", str(_path(ctx, spec["dockerfile"]))]
    for key, wanted in (spec.get("build_args") or {}).items():
        argv += ["--build-arg", f"{key}={_text(wanted)}"]
    if spec.get("no_cache"):
        argv.append("--no-cache")
    if spec.get("target"):
        argv += ["--target", spec["target"]]
    argv.append(str(context))
    observed = ctx.engine.run(ctx.engine.argv(argv, ctx.experiment_label), cwd=cwd, env=env, timeout=step.timeout)
    steps = parse_build(observed["output"])
    image_id = iidfile.read_text().strip() if iidfile.exists() else ""
    iidfile.unlink(missing_ok=True)
    runs = [s for s in steps if not s["from"]]
    observed.update({
        "image_id": image_id, "steps": steps, "log": build_log(observed["output"]),
        "context_bytes": context_bytes(observed["output"]),
        "cached": [s["instruction"] for s in runs if s["cached"]],
        "executed": [s["instruction"] for s in runs if not s["cached"]],
        "all_cached": bool(runs) and all(s["cached"] for s in runs),
    })
    describe = "build" + (f" -t {spec['tag']}" if spec.get("tag") else "") + \
        (" --no-cache" if spec.get("no_cache") else "") + \
        "".join(f" --build-arg {k}={_text(v)}" for k, v in (spec.get("build_args") or {}).items())
    _expect_exit(step, observed, describe)
    return describe, _kept(observed)


def _read_file(ctx: _Context, spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    from docker.errors import ImageNotFound

    from runner.checks.docker import read_tree, readable

    image, path = _text(spec["image"]), _text(spec["path"])
    try:
        with readable(ctx.engine.client, image=image) as target:
            tree = read_tree(target, path)
    except ImageNotFound:
        raise StepFailed(f"no image {image} to read {path} from") from None
    entry = (tree or {}).get(os.path.normpath(path))
    if entry is None or entry.kind != "file":
        return f"read {path} in {image}", {"exists": False, "content": "", "size": 0}
    content = (entry.content or b"").decode("utf-8", "replace")
    return f"read {path} in {image}", {"exists": True, "content": content, "size": entry.size}


def _diagnose(ctx: _Context, spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    from runner.diagnose.diagnosis import diagnose
    from runner.playbook.params import resolve_params

    playbook = _other_playbook(ctx, spec.get("playbook"))
    params = {k: _text(v) for k, v in (spec.get("params") or {}).items()}
    values = resolve_params(playbook, params, ctx.project)
    result = diagnose(playbook, values, docker_host=ctx.engine.host, cwd=ctx.project)
    observed = {"status": result.status, "cause": result.cause["id"] if result.cause else None,
                "fix": result.fix, "checks": {c.id: c.status for c in result.checks},
                "summaries": {c.id: c.summary for c in result.checks}, "errors": list(result.errors),
                "seconds": round(result.ms / 1000, 3)}
    return f"runner diagnose {playbook.id} → {observed['cause'] or result.status}", observed


_ENGINE_WIDE = re.compile(r"^(builder|system|image|container|volume|network|buildx)$")


def engine_wide_prunes(playbook: Playbook, fix_id: str | None) -> list[str]:
    """Commands in the fixes `runner fix` may run (the one asked for and every cause's, since
    a fix can uncover the next cause) that would prune the whole engine."""
    wanted = {fix_id} if fix_id else set()
    wanted |= {c.fix for c in playbook.causes if c.fix}
    found = []
    for fix in (*playbook.fixes, *playbook.alternatives):
        if fix.id not in wanted:
            continue
        for step in fix.steps:
            argv = list(step.run or ())
            if "prune" in argv and any(_ENGINE_WIDE.match(a) for a in argv[: argv.index("prune")]):
                found.append(f"{fix.id}: {' '.join(argv)}")
    return found


def _fix(ctx: _Context, spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    try:
        from runner.fix.run import run_fix
    except ImportError:
        raise StepFailed("`runner fix` is not available in this runner (runner/fix/run.py)") from None
    from runner.playbook.params import resolve_params

    playbook = _other_playbook(ctx, spec.get("playbook"))
    unscoped = engine_wide_prunes(playbook, spec.get("fix"))
    if unscoped:
        # A lab prunes nothing it did not create: such a fix is replayed with prune_build_cache.
        raise StepFailed("the lab does not run fixes that prune the whole engine: " + "; ".join(unscoped))
    params = {k: _text(v) for k, v in (spec.get("params") or {}).items()}
    values = resolve_params(playbook, params, ctx.project)
    run = run_fix(playbook, values, docker_host=ctx.engine.host, fix_id=spec.get("fix"), yes=True, cwd=ctx.project)
    before, after = run.before, run.after
    observed = {
        "outcome": run.outcome, "verdict": run.verdict, "state": run.state,
        "cause_before": before.cause["id"] if before is not None and before.cause else None,
        "cause_after": after.cause["id"] if after is not None and after.cause else None,
        "status_after": after.status if after is not None else None,
        "fixes": [r.plan.fix for r in run.rounds], "seconds": round(run.seconds, 3),
    }
    return f"runner fix {playbook.id} → {run.outcome}, {run.verdict or 'no verdict'}", observed


def _other_playbook(ctx: _Context, playbook_id: str | None) -> Playbook:
    if playbook_id is None or playbook_id == ctx.playbook.id:
        return ctx.playbook
    from runner.playbook.catalogue import load_playbook

    folder = ctx.playbook_path.parent if ctx.playbook_path else Path("playbooks")
    return load_playbook(playbook_id, folder)


def check_assertion(check: LabAssertion, scope: dict[str, Any]) -> tuple[bool, str]:
    """(holds, what was compared); raises StepFailed when the observation does not exist."""
    try:
        if check.of is not None:
            build = lookup(scope, check.of)
            if check.all_cached is not None:
                ran = build.get("executed") or []
                holds = build["all_cached"] is check.all_cached
                shown = "all CACHED" if build["all_cached"] else f"ran: {'; '.join(ran) or 'nothing'}"
                return holds, f"{check.of}: {shown} (expected {'all' if check.all_cached else 'not all'} CACHED)"
            wanted = fill_text(check.step or "", scope)
            matching = [s for s in build["steps"] if wanted in s["instruction"] or wanted == s["name"]]
            if not matching:
                known = "; ".join(s["instruction"] for s in build["steps"]) or "none (did the build run?)"
                raise StepFailed(f"{check.of} has no step {wanted!r}; its steps: {known}")
            states = ["CACHED" if s["cached"] else "ran" for s in matching]
            holds = all(s["cached"] is check.cached for s in matching)
            return holds, f"{check.of}: {wanted} {'/'.join(states)} (expected {'CACHED' if check.cached else 'ran'})"
        actual = lookup(scope, check.value or "")
        parts: list[str] = []
        holds = True
        given = check.model_fields_set

        def test(ok: bool, text: str) -> None:
            nonlocal holds
            holds = holds and ok
            parts.append(text)

        if "equals" in given:
            wanted = fill(check.equals, scope)
            test(actual == wanted, f"= {_short(wanted)}")
        if "not_equals" in given:
            wanted = fill(check.not_equals, scope)
            test(actual != wanted, f"≠ {_short(wanted)}")
        if check.same_as is not None:
            other = lookup(scope, check.same_as)
            test(actual == other, f"same as {check.same_as} ({_short(other, 30)})")
        if check.differs_from is not None:
            other = lookup(scope, check.differs_from)
            test(actual != other, f"differs from {check.differs_from} ({_short(other, 30)})")
        if check.matches is not None:
            test(re.search(fill_text(check.matches, scope), _text(actual)) is not None, f"matches /{check.matches}/")
        if check.not_matches is not None:
            test(re.search(fill_text(check.not_matches, scope), _text(actual)) is None,
                 f"does not match /{check.not_matches}/")
        if check.contains is not None:
            wanted = fill_text(check.contains, scope)
            test(wanted in actual if isinstance(actual, (list, dict)) else wanted in _text(actual),
                 f"contains {_short(wanted)}")
        if check.not_contains is not None:
            wanted = fill_text(check.not_contains, scope)
            test(wanted not in actual if isinstance(actual, (list, dict)) else wanted not in _text(actual),
                 f"does not contain {_short(wanted)}")
        for name, sign in (("gt", ">"), ("lt", "<")):
            bound = getattr(check, name)
            if bound is None:
                continue
            limit = float(bound) if not isinstance(bound, str) else float(lookup(scope, bound)) * check.times
            shown = f"{bound} × {check.times:g} = {limit:.3g}" if isinstance(bound, str) else f"{limit:g}"
            number = float(actual)
            test(number > limit if name == "gt" else number < limit, f"{sign} {shown}")
        return holds, f"{check.value} = {_short(actual, 50)} " + ", ".join(parts)
    except _Missing as exc:
        raise StepFailed(f"no such observation: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise StepFailed(f"cannot compare {check.value}: {exc}") from None


def run_experiment(ctx: _Context, experiment: Experiment, lab_setup: tuple[LabStep, ...]) -> ExperimentResult:
    started = time.monotonic()
    results: list[StepResult] = []
    assertions: list[AssertionResult] = []
    error: str | None = None
    plan = [("setup", i, s) for i, s in enumerate((*lab_setup, *experiment.setup))] + \
        [("steps", i, s) for i, s in enumerate(experiment.steps)]
    try:
        for phase, index, step in plan:
            describe = localize(step.title, "en") if step.title else step.action
            if ctx.progress:
                ctx.progress(LabEvent("step", ctx.playbook.id, ctx.index, ctx.total, experiment.id,
                                      f"{phase} {index + 1}: {describe}"))
            step_started = time.monotonic()
            try:
                with ctx.janitor.window() if step.action in ENGINE_ACTIONS else contextlib.nullcontext():
                    describe, observed = run_step(ctx, step)
            except StepFailed as exc:
                results.append(StepResult(phase, index, step.action, describe,
                                          round(time.monotonic() - step_started, 3), False, step.as_, str(exc)))
                raise
            except _Missing as exc:
                raise StepFailed(f"{phase} {index + 1}: {exc}") from None
            if step.as_ is not None and observed is not None:
                ctx.saved[step.as_] = observed
            results.append(StepResult(phase, index, step.action, describe,
                                      round(time.monotonic() - step_started, 3), True, step.as_))
        for index, check in enumerate(experiment.assert_):
            holds, describe = check_assertion(check, {**ctx.scope, **ctx.saved})
            assertions.append(AssertionResult(index, describe, holds,
                                              localize(check.title, "en") if check.title else None, check.shows))
    except StepFailed as exc:
        error = str(exc)
    except RunnerError as exc:  # e.g. a param diagnose refuses
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - an engine error (docker SDK) ends this experiment, not the lab
        from docker.errors import DockerException

        if not isinstance(exc, DockerException):
            raise
        error = f"the engine refused: {exc}"
    if error is not None:
        outcome = "error"
    else:
        outcome = "held" if all(a.passed for a in assertions) else "failed"
    return ExperimentResult(
        experiment.id, localize(experiment.title, "en"), outcome, round(time.monotonic() - started, 3),
        experiment.claims, experiment.expect, experiment.wrong_attempt, experiment.fix, experiment.cause,
        tuple(results), tuple(assertions), _observations(ctx.saved), error)


def _observations(saved: dict[str, Any]) -> dict[str, Any]:
    """What the steps saw, small enough for a report: outputs cut to their end."""
    kept: dict[str, Any] = {}
    for name, value in saved.items():
        if isinstance(value, dict):
            value = {k: (v[-2000:] if isinstance(v, str) and k in ("output", "stdout", "stderr") else v)
                     for k, v in value.items() if k != "report"}
        kept[name] = value
    return kept


# --- a whole lab --------------------------------------------------------------------------

def new_run_id() -> str:
    return uuid.uuid4().hex[:8]


def lab_folder(playbook: Playbook, path: Path | None) -> Path | None:
    """The lab's folder of project files, when it names one."""
    if playbook.lab is None or playbook.lab.dir is None:
        return None
    base = path.parent if path is not None else Path.cwd()
    folder = (base / playbook.lab.dir).resolve()
    if not folder.is_dir():
        raise LabError(f"{playbook.id}: lab.dir {playbook.lab.dir!r} is not a folder (looked in {folder})")
    return folder


def run_lab(playbook: Playbook, path: Path | None = None, *, docker_host: str | None = None,
            only: tuple[str, ...] = (), progress: Progress | None = None, run_id: str | None = None,
            keep_folder: bool = False) -> LabReport:
    """Run the playbook's experiments (all, or those named in `only`) and decide its claims.
    Everything created is removed before this returns or raises, Ctrl-C included."""
    if playbook.lab is None:
        raise LabError(f"{playbook.id} has no lab section")
    lab = playbook.lab
    experiments = [e for e in lab.experiments if not only or e.id in only]
    unknown = sorted(set(only) - {e.id for e in lab.experiments})
    if unknown:
        raise LabError(f"{playbook.id} has no experiment {unknown[0]!r} "
                       f"(has: {', '.join(e.id for e in lab.experiments)})")
    files_folder = lab_folder(playbook, path)
    run_id = run_id or new_run_id()
    engine = Engine(docker_host, run_id)

    def waiting(holder: str) -> None:
        if progress:
            progress(LabEvent("waiting", playbook.id, detail=f"another lab runs on this engine ({holder}): waiting"))

    with engine_lock(engine.host, run_id, waiting):
        return _run(playbook, path, engine, experiments, files_folder, progress, keep_folder)


def _run(playbook: Playbook, path: Path | None, engine: Engine, experiments: list[Experiment],
         files_folder: Path | None, progress: Progress | None, keep_folder: bool) -> LabReport:
    run_id = engine.run_id
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()
    janitor = Janitor(engine.client, run_id, engine.host)
    results: list[ExperimentResult] = []
    cleanup: Cleanup | None = None
    temp = Path(tempfile.mkdtemp(prefix=f"runner-lab-{run_id}-"))
    problems: list[str] = []
    if progress:
        progress(LabEvent("start", playbook.id, 0, len(experiments), detail=f"{engine.versions.engine}, "
                          f"{engine.versions.client}"))
    try:
        with terminate_as_interrupt():
            base = f"{NAME_PREFIX}-{run_id}-base"
            with janitor.window(roots=True) as appeared:
                build_base_image(engine, temp / "base", base, parent=None, marker=f"runner lab {run_id}")
            janitor.prune({"type": "source.local"}, only=appeared)
            for number, experiment in enumerate(experiments, start=1):
                if progress:
                    progress(LabEvent("experiment", playbook.id, number, len(experiments), experiment.id,
                                      localize(experiment.title, "en")))
                result = _one_experiment(engine, janitor, playbook, path, experiment, number, len(experiments),
                                         temp, base, files_folder, progress)
                result = replace(result, agrees=_agrees(playbook, result))
                results.append(result)
                if progress:
                    progress(LabEvent("experiment-done", playbook.id, number, len(experiments), experiment.id,
                                      result=result))
    except StepFailed as exc:
        problems.append(f"the lab could not start: {exc}")
    finally:
        if progress:
            progress(LabEvent("cleanup", playbook.id, detail="removing what the lab created"))
        with deferred_interrupts():
            cleanup = janitor.clean()
            if not keep_folder:
                shutil.rmtree(temp, ignore_errors=True)
    problems.extend(janitor.problems)
    if cleanup.left:
        problems.append("could not remove: " + ", ".join(cleanup.left))
    claims, ties = decide(playbook, results, engine.versions)
    differs = any(c.agrees is False for c in claims) or any(t.behaves is False for t in ties)
    errored = bool(problems) or any(r.outcome == "error" for r in results)
    status = "differs" if differs else "error" if errored else "pass"
    report = LabReport(playbook.id, run_id, status, engine.versions, started_at,
                       round(time.monotonic() - started, 3), tuple(results), claims, ties, cleanup,
                       tuple(sorted(janitor.owned)), tuple(problems))
    if progress:
        progress(LabEvent("done", playbook.id, result=report))
    return report


def _one_experiment(engine: Engine, janitor: Janitor, playbook: Playbook, path: Path | None,
                    experiment: Experiment, number: int, total: int, temp: Path, run_base: str,
                    files_folder: Path | None, progress: Progress | None) -> ExperimentResult:
    lab = playbook.lab
    assert lab is not None
    tag = f"{number:02d}"
    folder = temp / f"{tag}-{experiment.id}"
    label = f"{engine.run_id}-{tag}"
    names = {name: f"{NAME_PREFIX}-{engine.run_id}-{tag}-{name.replace('_', '-')}" for name in lab.names}
    base = f"{NAME_PREFIX}-{engine.run_id}-{tag}-base"
    scope = {**names, "base": base, "run": engine.run_id, "context": str(folder / "project"), "tmp": str(folder)}
    ctx = _Context(engine, janitor, playbook, path, folder, folder / "project", scope, label, progress, number, total)
    started = time.monotonic()
    janitor.experiment = tag
    try:
        with janitor.window(roots=True) as appeared:
            build_base_image(engine, folder / "base", base, parent=run_base,
                             marker=f"runner lab {engine.run_id} {experiment.id}", experiment_label=label)
        # The base's context records would only blur what an experiment observes of its own.
        janitor.prune({"type": "source.local"}, only=appeared)
        write_project(ctx, {**lab.files, **experiment.files}, files_folder)
        return run_experiment(ctx, experiment, lab.setup)
    except StepFailed as exc:
        return ExperimentResult(experiment.id, localize(experiment.title, "en"), "error",
                                round(time.monotonic() - started, 3), experiment.claims, experiment.expect,
                                experiment.wrong_attempt, experiment.fix, experiment.cause, (), (), {}, str(exc))
    finally:
        # Each experiment starts from an engine without the previous one's objects.
        with deferred_interrupts():
            janitor.problems.extend(janitor.tidy(tag))
            janitor.experiment = None


def _agrees(playbook: Playbook, result: ExperimentResult) -> bool | None:
    """Whether one experiment agrees with the playbook: its verdict is each claim's recorded
    status, and its wrong attempt, fix and cause behave as recorded."""
    if result.outcome == "error":
        return None
    recorded = {c.id: c.status.value for c in playbook.claims}
    if any(recorded.get(claim) != result.verdict() for claim in result.claims):
        return False
    return all(result.holds_for(kind) for kind, tied in (("wrong_attempt", result.wrong_attempt),
                                                          ("fix", result.fix), ("cause", result.cause)) if tied)


def decide(playbook: Playbook, results: list[ExperimentResult],
           versions: Versions) -> tuple[tuple[ClaimResult, ...], tuple[TieResult, ...]]:
    """Each claim's verdict from the experiments tied to it; each wrong attempt, fix and cause
    replayed: did it behave as the playbook records?"""
    by_claim: dict[str, list[ExperimentResult]] = {}
    for result in results:
        for claim_id in result.claims:
            by_claim.setdefault(claim_id, []).append(result)
    claims = []
    for claim in playbook.claims:
        tied = by_claim.get(claim.id, [])
        verdicts = {r.verdict() for r in tied}
        if not tied:
            verdict = None
        elif "error" in verdicts:
            verdict = "error"
        elif len(verdicts) == 1:
            verdict = verdicts.pop()
        else:
            verdict = "mixed"
        claims.append(ClaimResult(claim.id, localize(claim.statement, "en"), claim.status.value, verdict,
                                  tuple(r.id for r in tied), versions.engine, versions.client))
    ties = []
    meanings = {"wrong_attempt": ("fails as recorded", "did not fail as recorded"),
                "cause": ("reproduced and diagnosed", "not diagnosed as this cause"),
                "fix": ("resolves it", "does not resolve it")}
    for result in results:
        for kind, tied in (("wrong_attempt", result.wrong_attempt), ("cause", result.cause), ("fix", result.fix)):
            if tied:
                behaves = result.holds_for(kind)
                meaning = meanings[kind][0] if behaves else meanings[kind][1] if behaves is False \
                    else "could not be replayed"
                ties.append(TieResult(kind, tied, result.id, behaves, meaning))
    return tuple(claims), tuple(ties)


# --- writing verdicts back ----------------------------------------------------------------

def record_verdicts(path: Path, report: LabReport, on: dt.date | None = None) -> list[str]:
    """Write each decided claim's verdict into the playbook file: `status:` and a `verified:`
    entry (one per engine and client; a newer run replaces the entry of the same versions).
    Targeted text edits: comments and everything else stay byte for byte. Returns the claim
    ids whose text changed."""
    import yaml

    on = on or dt.date.today()
    decided = {c.id: c for c in report.claims if c.decided}
    if not decided:
        return []
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    claims_node = _mapping_value(root, "claims")
    if not isinstance(claims_node, yaml.SequenceNode):
        return []
    edits: list[tuple[int, int, str]] = []
    changed: list[str] = []
    for item in claims_node.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        id_node = _mapping_value(item, "id")
        claim_id = id_node.value if isinstance(id_node, yaml.ScalarNode) else None
        if claim_id not in decided:
            continue
        result = decided[claim_id]
        indent = item.value[0][0].start_mark.column
        entry = {"on": on.isoformat(), "engine": report.versions.engine, "client": report.versions.client,
                 "by": "lab"}
        if evidence := _evidence(report, result):
            entry["evidence"] = evidence
        item_edits = _claim_edits(text, item, indent, result.verdict or "", entry)
        if item_edits:
            changed.append(claim_id)
            edits.extend(item_edits)
    if not edits:
        return []
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return changed


def _mapping_value(node: Any, key: str) -> Any:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _evidence(report: LabReport, claim: ClaimResult) -> str:
    parts = []
    for experiment in report.experiments:
        if experiment.id in claim.experiments:
            shown = "; ".join(a.describe for a in experiment.assertions)
            parts.append(f"{experiment.id} {experiment.outcome}: {shown}")
    return _one_line(" | ".join(parts), 600)


def _one_line(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _claim_edits(text: str, item: Any, indent: int, verdict: str, entry: dict[str, str]) -> list[tuple[int, int, str]]:
    import yaml

    pad = " " * indent
    edits: list[tuple[int, int, str]] = []
    status_node = _mapping_value(item, "status")
    if status_node is not None:
        if status_node.value != verdict:
            edits.append((status_node.start_mark.index, status_node.end_mark.index, verdict))
        status_line_end = _line_end(text, status_node.end_mark.index)
    else:
        statement = _mapping_value(item, "statement") or item.value[0][1]
        status_line_end = _line_end(text, max(statement.end_mark.index - 1, statement.start_mark.index))
        edits.append((status_line_end, status_line_end, f"{pad}status: {verdict}\n"))
    verified = _mapping_value(item, "verified")
    entries: list[dict[str, Any]] = []
    if isinstance(verified, yaml.SequenceNode):
        key_node = next(k for k, v in item.value if v is verified)
        block_end = _block_end(text, key_node.start_mark.index, indent)
        from runner.playbook.loader import parse_yaml

        # The loader's reading: keys stay text (YAML 1.1 would read the key `on` as true).
        entries = parse_yaml(textwrap.dedent(text[_line_end(text, key_node.start_mark.index):block_end])
                             if not verified.flow_style else
                             text[verified.start_mark.index:verified.end_mark.index])[0] or []
    kept = [e for e in entries if not (isinstance(e, dict) and e.get("by", "lab") == "lab"
                                       and e.get("engine") == entry["engine"] and e.get("client") == entry["client"])]
    same = [e for e in entries if e not in kept]
    if same and all(_same_entry(e, entry) for e in same):
        return edits  # this very verification is already recorded
    block = "".join(_render_entry(e, pad) for e in [*kept, entry])
    if verified is not None:
        key_node = next(k for k, v in item.value if v is verified)
        start = _line_start(text, key_node.start_mark.index)
        edits.append((start, _block_end(text, key_node.start_mark.index, indent), f"{pad}verified:\n{block}"))
    else:
        edits.append((status_line_end, status_line_end, f"{pad}verified:\n{block}"))
    return edits


def _block_end(text: str, key_index: int, indent: int) -> int:
    """Where the value of the key at `key_index` ends: the first later line, not blank, that is
    indented no deeper than the key (PyYAML's end marks point into the next token's line)."""
    position = _line_end(text, key_index)
    while position < len(text):
        end = _line_end(text, position)
        line = text[position:end]
        stripped = line.lstrip(" ")
        if stripped.strip() and len(line) - len(stripped) <= indent and not stripped.startswith("- ") \
                or stripped.strip() and len(line) - len(stripped) < indent:
            return position
        position = end
    return position


def _same_entry(old: Any, new: dict[str, str]) -> bool:
    if not isinstance(old, dict):
        return False
    on = old.get("on")
    on = on.isoformat() if isinstance(on, dt.date) else str(on)
    return on == new["on"] and old.get("evidence") == new.get("evidence")


def _render_entry(entry: Any, pad: str) -> str:
    if not isinstance(entry, dict):
        return f"{pad}  - {json.dumps(entry, ensure_ascii=False, default=str)}\n"
    lines = []
    for i, (key, value) in enumerate(entry.items()):
        if isinstance(value, dt.date):
            shown = value.isoformat()
        elif key == "on" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            shown = value
        elif isinstance(value, dict):
            shown = json.dumps(value, ensure_ascii=False)
        else:
            shown = json.dumps(value, ensure_ascii=False) if not _plain(value) else value
        lines.append(f"{pad}{'  - ' if i == 0 else '    '}{key}: {shown}\n")
    return "".join(lines)


def _plain(value: Any) -> bool:
    """A string YAML reads back as the same plain string."""
    import yaml

    if not isinstance(value, str) or not value or value != value.strip() or "\n" in value:
        return False
    if any(ch in value for ch in ":#{}[],&*!|>'\"%@`") or value[0] in "-?":
        return False
    return yaml.safe_load(value) == value
