"""What ended lab runs left on the engine (killed, or the machine stopped), and its removal:
`runner lab --clean-up`."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.engine.clock import parse_time
from runner.lab import RUN_LABEL
from runner.lab.janitor import Janitor, ledger_dir, parents_of
from runner.lab.lock import engine_lock
from runner.lab.results import Cleanup

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
            janitor.owned = {rid: {"type": present[rid].get("Type"), "parent": (parents_of(present[rid]) or [""])[0],
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
        return parse_time(text or "")
    except ValueError:
        return time.time()  # no usable time: as young as can be, so it stays

