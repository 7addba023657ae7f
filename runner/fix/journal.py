"""The journal of a container being recreated, so that a fix cut off half way (SIGKILL, a
reboot, a lost ssh session) is found and finished, or undone, by the next run.

A recreate through the Engine API moves through states that each leave the service down if
nothing follows: the new container created under a temporary name, the old one renamed aside,
the old one stopped before the new one starts. Before each change the action writes what it is
about to do into one JSON file per engine and container in the state folder (atomically). The file is removed when the recreate ends, done or undone.

Recovery never trusts the step alone: a kill can land between a change and the write that
follows it. It looks at the engine. When the new container holds the name and runs (or the old
one was not running), the recreate is finished: the old one is removed. Otherwise it is undone:
the new container is removed and the old one gets its name back and runs again if it ran. Both
are idempotent, so a recovery that is itself cut off is recovered the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from runner.errors import RunnerError
from runner.state import fallback_dir, state_dir, usable_dir, write_atomically

# What the action was about to do when the journal was written, in words for the person.
STEPS = {
    "create": "creating the new container",
    "rename-old": "renaming the old container aside",
    "rename-new": "giving the new container the name",
    "stop": "stopping the old container",
    "start": "starting the new container",
    "remove": "removing the old container",
    # refill-volumes: the container is removed, its volumes emptied, the container made again
    "remove-container": "removing the container to empty its volumes",
    "empty-volumes": "emptying the volumes",
    "create-again": "creating the container again",
}


class JournalError(RunnerError):
    """A journal file that cannot be read: it names the file, which the person can look at."""


@dataclass(frozen=True)
class RecreateJournal:
    engine: str
    name: str  # the container's name, which the new container takes over
    old_id: str
    temporary: str  # the new container's name until the swap
    aside: str  # the old container's name after the swap
    running: bool  # the old container ran: the new one must
    step: str  # one of STEPS: what was about to happen
    new_id: str | None = None
    pid: int = 0
    boot_id: str = ""
    started_at: str = ""
    kind: str = "recreate"  # or "refill": the container is removed and made again from `remake`
    remake: dict[str, Any] | None = None  # refill: {"spec": containers.Spec as a dict, "volumes": {name: settings}}

    def describe(self) -> str:
        when = f" at {self.started_at}" if self.started_at else ""
        return (f"an earlier runner fix (pid {self.pid}{when}) was cut off while {STEPS.get(self.step, self.step)} "
                f"of {self.name}")

    def matches(self, container: str) -> bool:
        container = container.lstrip("/")
        return container in (self.name, self.temporary, self.aside) or any(
            len(container) >= 12 and ident.startswith(container) for ident in (self.old_id, self.new_id or ""))


@dataclass(frozen=True)
class Recovery:
    journal: RecreateJournal
    outcome: str  # finished | restored | failed
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"container": self.journal.name, "cut_off_at": self.journal.step, "outcome": self.outcome,
                "summary": self.summary}


def journal_dir() -> Path:
    return state_dir("journal")


def _name(engine: str, name: str) -> str:
    return hashlib.sha256(f"{engine}\0{name}".encode()).hexdigest()[:24] + ".json"


def _path(engine: str, name: str) -> Path:
    # Where a journal is written: the state folder, or its fallback when that cannot be made
    # (journals are looked for in both).
    return usable_dir("journal") / _name(engine, name)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def begin(engine: str, name: str, old_id: str, temporary: str, aside: str, running: bool, *, step: str = "create",
          kind: str = "recreate", remake: dict[str, Any] | None = None) -> RecreateJournal:
    journal = RecreateJournal(engine, name, old_id, temporary, aside, running, step, pid=os.getpid(),
                              boot_id=_boot_id(),
                              started_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                              kind=kind, remake=remake)
    write(journal)
    return journal


def advance(journal: RecreateJournal, step: str, **changes: Any) -> RecreateJournal:
    moved = replace(journal, step=step, **changes)
    write(moved)
    return moved


def write(journal: RecreateJournal) -> None:
    write_atomically(_path(journal.engine, journal.name), json.dumps(asdict(journal)))


def clear(journal: RecreateJournal) -> None:
    for folder in (journal_dir(), fallback_dir("journal")):
        with contextlib.suppress(OSError):
            (folder / _name(journal.engine, journal.name)).unlink()


def read(path: Path) -> RecreateJournal:
    try:
        data = json.loads(path.read_text())
        return RecreateJournal(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise JournalError(f"{path}: not a runner fix journal ({exc}); look at it, then delete it") from None


def pending(engine: str, container: str | None = None) -> list[RecreateJournal]:
    """The journals of recreates on `engine` (of `container` when given) whose run is not alive."""
    found = []
    files = [path for folder in (journal_dir(), fallback_dir("journal")) if folder.is_dir()
             for path in sorted(folder.glob("*.json"))]
    for path in files:
        journal = read(path)
        if journal.engine != engine or (container and not journal.matches(container)):
            continue
        if not _owner_alive(journal):
            found.append(journal)
    return found


def _owner_alive(journal: RecreateJournal) -> bool:
    if journal.pid == os.getpid() or not journal.pid:
        return journal.pid == os.getpid()
    if journal.boot_id and journal.boot_id != _boot_id():
        return False  # the machine restarted since: that process is gone
    try:
        os.kill(journal.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that pid: assume it is the fix
    return True


def recover(client: Any, journal: RecreateJournal) -> Recovery:
    """Finish the recreate when the new container already serves under the name, else undo it."""
    if journal.kind == "refill":
        return _recover_refill(client, journal)
    old = _inspect(client, journal.old_id)
    new = _inspect(client, journal.new_id) if journal.new_id else None
    if new is None:
        new = _inspect(client, journal.temporary)
        if new is not None and new["Id"] == journal.old_id:
            new = None
    try:
        if new is not None and (old is None or _serves(new, journal)):
            outcome, summary = "finished", _finish(client, journal, old, new)
        elif old is not None:
            outcome, summary = "restored", _undo(client, journal, old, new)
        else:
            outcome, summary = "failed", (f"neither the old container ({journal.old_id[:12]}) nor a new one is "
                                          f"there any more: look at `docker ps -a --filter name={journal.name}`")
    except Exception as exc:  # noqa: BLE001 - the journal stays: the next recovery tries again
        text = getattr(exc, "explanation", None) or str(exc)
        return Recovery(journal, "failed", f"could not recover {journal.name}: {str(text).strip()[:300]}")
    clear(journal)
    return Recovery(journal, outcome, summary)


def _inspect(client: Any, ident: str) -> dict[str, Any] | None:
    from docker.errors import NotFound

    try:
        return client.api.inspect_container(ident)
    except NotFound:
        return None


def _serves(new: dict[str, Any], journal: RecreateJournal) -> bool:
    named = new["Name"].lstrip("/") == journal.name
    return named and (new["State"]["Running"] or not journal.running)


def _finish(client: Any, journal: RecreateJournal, old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    return "finished: " + _keep(client, journal, new, old, "the new container", "the old one was removed")


def _undo(client: Any, journal: RecreateJournal, old: dict[str, Any], new: dict[str, Any] | None) -> str:
    return "restored: " + _keep(client, journal, old, new, "the old container again",
                                "the half-made new one was removed")


def _keep(client: Any, journal: RecreateJournal, kept: dict[str, Any], dropped: dict[str, Any] | None,
          kept_words: str, dropped_words: str) -> str:
    """Remove `dropped`, give `kept` the name and start it if the container ran."""
    if dropped is not None:
        client.api.remove_container(dropped["Id"], v=False, force=True)
    if kept["Name"].lstrip("/") != journal.name:
        client.api.rename(kept["Id"], journal.name)
    if journal.running and not kept["State"]["Running"]:
        client.api.start(kept["Id"])
    return (f"{journal.name} is {kept_words} ({kept['Id'][:12]})" + (", running" if journal.running else "")
            + (f"; {dropped_words}" if dropped is not None else ""))


def _recover_refill(client: Any, journal: RecreateJournal) -> Recovery:
    """The person consented to emptying the volumes: what is missing is made again (the volumes
    with their settings, the container from its saved configuration), and the container runs if
    it ran. A volume that was not emptied yet still hides the image's files: the next diagnosis
    says so, and the fix can run again."""
    from docker.errors import NotFound

    from runner.fix.actions.containers import Spec, create_from_spec

    remake = journal.remake or {}
    try:
        made = []
        for name, settings in (remake.get("volumes") or {}).items():
            try:
                client.api.inspect_volume(name)
            except NotFound:
                client.api.create_volume(name, driver=settings.get("Driver"),
                                         driver_opts=settings.get("Options") or None,
                                         labels=settings.get("Labels") or None)
                made.append(f"volume {name}")
        current = _inspect(client, journal.name)
        if current is None:
            created = create_from_spec(client, Spec(**remake["spec"]), journal.name)
            made.append(f"container {journal.name}")
            current = client.api.inspect_container(created)
        if journal.running and not current["State"]["Running"]:
            client.api.start(current["Id"])
    except Exception as exc:  # noqa: BLE001 - the journal stays: the next recovery tries again
        text = getattr(exc, "explanation", None) or str(exc)
        return Recovery(journal, "failed", f"could not recover {journal.name}: {str(text).strip()[:300]}")
    clear(journal)
    if not made and journal.step == "remove-container":
        return Recovery(journal, "restored", f"nothing was changed yet: {journal.name} is as it was"
                        + (", running" if journal.running else ""))
    if not made:
        return Recovery(journal, "finished", f"the refill had ended: {journal.name} is there"
                        + (", running" if journal.running else ""))
    return Recovery(journal, "finished", f"made again: {', '.join(made)}" + (", running" if journal.running else "")
                    + "; a volume not yet emptied still hides the image's files: diagnose says whether")
