"""The janitor: what a lab run created on the engine, and its removal. With it, the ledger
of the build-cache records a running lab owns (other cleaners on the same engine leave them
alone) and the engine's clock, on which a record's creation is placed in one of the lab's
steps. Which objects and records are the lab's own: see the package docstring
(runner/lab/__init__.py)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from runner.engine.clock import offset, parse_time
from runner.engine.usage import build_cache_records, prune_build_cache_records
from runner.lab import EXPERIMENT_LABEL, NAME_PREFIX, RUN_LABEL
from runner.lab.results import Cleanup


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


class Janitor:
    """What a lab run created on the engine, and its removal.

    Build-cache records are owned when they appear during one of the lab's own steps (the
    engine gives them no labels); see the package docstring for the parent rule.
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
        self.clock_offset = offset(client)
        self.owned: dict[str, dict[str, Any]] = {}
        self.deleted: list[tuple[str, str]] = []
        self.problems: list[str] = []  # what an experiment's cleanup could not do
        self._lock = threading.Lock()

    def records(self) -> dict[str, dict[str, Any]]:
        return {r["ID"]: r for r in build_cache_records(self.client)}

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
                parents = parents_of(new[rid])
                if any(parent not in self.owned for parent in parents):
                    continue  # built on somebody else's record: another client's concurrent build
                if not parents and new[rid].get("Type") == "regular" and not any(i[2] for i in during):
                    continue  # a new chain of layers: the lab's start only in its base builds
                self.owned[rid] = {"type": new[rid].get("Type"), "parent": parents[0] if parents else "",
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
        """`docker builder prune` of the owned records only (`only` narrows them further), in
        one engine call (runner.engine.usage.prune_build_cache_records), again while more go:
        a record the engine listed late, or a parent whose child went in the same call."""
        deleted: list[dict[str, Any]] = []
        self.sweep()
        for _ in range(8):
            present = self.records()
            # A record another running lab claims too appeared during both labs' steps: it is
            # left to whichever ends last (its ledger then names it alone).
            others = claimed_build_cache(but=self.run_id)
            targets = [rid for rid in (only if only is not None else self.owned)
                       if rid in present and rid in self.owned and rid not in others
                       and _type_may_match(present[rid], extra)]
            if not targets:
                break
            gone = [rid for rid in prune_build_cache_records(self.client, targets, extra, all_=all_)
                    if rid in self.owned]
            for rid in gone:
                record = present.get(rid, {})
                deleted.append({"id": rid, "type": self.owned[rid]["type"],
                                "description": record.get("Description"), "created": record.get("CreatedAt"),
                                "last_used": record.get("LastUsedAt")})
                self.deleted.append(("build-cache", rid))
            if not gone:
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
        # Named by the reference filter, not by listing every image: the containerd image store
        # measures each image it lists.
        images |= {i["Id"] for i in api.images(all=True, filters={"reference": f"{prefix}*"})
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


def _created(record: dict[str, Any]) -> float:
    try:
        return parse_time(record.get("CreatedAt") or "")
    except ValueError:
        return float("inf")  # no readable time: judged by the listings alone


def parents_of(record: dict[str, Any]) -> list[str]:
    """A build-cache record's parents. API 1.42 replaced `Parent` by a list; Docker 26 spells its
    key " Parents", with a leading space (moby/moby#51235 shows it in the JSON)."""
    if record.get("Parent"):
        return [record["Parent"]]
    return list(record.get("Parents") or record.get(" Parents") or [])


def _type_may_match(record: dict[str, Any], extra: dict[str, str] | None) -> bool:
    """Whether the engine's `type=` filter could take the record: each engine call costs
    0.06-0.2 s, and a record of another type would only be asked about in vain. (The engine
    matches the value as a regular expression: `type~=VALUE`.)"""
    wanted = (extra or {}).get("type")
    if not wanted:
        return True
    try:
        return re.search(wanted, str(record.get("Type") or "")) is not None
    except re.error:
        return True  # the engine will say what it makes of it


def _depth(rid: str, records: dict[str, dict[str, Any]]) -> int:
    depth = 0
    seen = set()
    while rid in records and parents_of(records[rid]) and rid not in seen:
        seen.add(rid)
        rid = parents_of(records[rid])[0]
        depth += 1
    return depth

