"""A cached, untagged build of a build context, run by the docker CLI in the background: the
evidence of the image-vs-context check (runner/checks/compare.py), which compares the image it
yields with the tag.

A build can start before anything else of a diagnosis (runner/diagnose/early.py, before the
playbook is even loaded) and wait in the diagnosis's Builds to be adopted by the check that
would start the same build. When the diagnosis ends, however it ends, its Builds stops every
build still running. Whatever a build made and nobody reads is removed, found by the label that
marks the image of each build as that build's: no other image is ever removed.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from runner.engine.clients import buildkit_client

BUILD_TIMEOUT = 600
_STEP = re.compile(r"^#(\d+) \[(?P<name>[^\]]+)\] (?P<instruction>\S+)")
_CACHED = re.compile(r"^#(\d+) CACHED$")
T = TypeVar("T")
BUILD_LABEL = "runner.build"  # <start time>-<token>, on the image of each build a diagnosis runs
ORPHAN_AGE = 3600  # longer than any build runs, even under a check's own longer timeout


@dataclass(frozen=True)
class BuildSpec:
    """What a build builds, and on which engine: two builds of one spec yield the same image."""

    context: str  # absolute
    dockerfile: str
    target: str | None
    host: str

    @classmethod
    def of(cls, context: str | os.PathLike[str], dockerfile: str, target: str | None, host: str) -> BuildSpec:
        return cls(str(Path(context).resolve()), dockerfile, target or None, host)


class StartedBuild:
    """A cached, untagged build of the context, running in the background: started before the
    checks it waits for, so the daemon builds while the runner imports, inspects and reads git.

    Its image carries the label runner.build=<when>-<a token of this build>: what it made is found
    by that label, also when it was stopped before it could name the image, and only what it made
    is ever removed. The label changes only the image's config, never a layer or the cache.

    `finish` waits for it; `discard` stops a build nobody will read (the image is missing, the
    tag was made by the legacy builder, a check failed) and removes the image it made."""

    def __init__(self, spec: BuildSpec, builds: Builds | None = None, engine: Any | None = None) -> None:
        """builds: the diagnosis's, which stops this build when it ends. engine: an SDK client
        for what it made, else one is made when needed."""
        self.spec = spec
        self.engine = engine
        self.client = buildkit_client()
        self.mark = f"{int(time.time())}-{uuid.uuid4().hex}"
        env = {**os.environ, "DOCKER_BUILDKIT": "1", "DOCKER_HOST": spec.host}
        self.folder = tempfile.TemporaryDirectory(prefix="runner-build-")
        self.iidfile = Path(self.folder.name) / "iid"
        context = Path(spec.context)
        argv = [self.client.path, "build", "--progress=plain", "--iidfile", str(self.iidfile),
                "--label", f"{BUILD_LABEL}={self.mark}",
                "-f", str(context / spec.dockerfile), *(["--target", spec.target] if spec.target else []),
                str(context)]
        self.started = time.monotonic()
        # Exactly one thread reads the build's output: the check's finish() or an interrupted
        # diagnosis's discard(). Two readers race on the pipe (one closes it: EBADF in the other).
        self._claim = threading.Lock()
        self.finished = False
        self.process = _off_main_thread(lambda: self._admitted(argv, env, builds))

    def _admitted(self, argv: list[str], env: dict[str, str], builds: Builds | None) -> subprocess.Popen:
        """The build's process, started and added to `builds` in one go, in a thread Ctrl-C
        never lands in: no build runs that its diagnosis does not know of. One that starts
        after its diagnosis ended (a check it left behind) is stopped at once."""
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, text=True, env=env)
        if builds is not None and not builds.add(self):
            self._stop()
            self.folder.cleanup()
            raise DiagnosisEnded("the diagnosis ended before this build started")
        return self.process

    def _claimed(self) -> bool:
        """Whether this caller is the first to claim the build's output."""
        with self._claim:
            first = not self.finished
            self.finished = True
            return first

    def finish(self, timeout: float = BUILD_TIMEOUT) -> dict[str, Any]:
        """Wait for the build; the image ID it yields, how long it took, which steps were cached.
        A build that failed or was stopped has its image, if it made one, removed here."""
        if not self._claimed():
            return {"ran": True, "failed": True, "error": "the build was stopped: the diagnosis was interrupted"}
        try:
            log, _ = self.process.communicate(timeout=max(0.0, timeout - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            self._stop()
            self.folder.cleanup()
            self._remove_made()
            return {"ran": True, "failed": True, "error": f"build timed out after {timeout:g} s"}
        try:
            seconds = round(time.monotonic() - self.started, 2)
            steps = {m.group(1) for line in log.splitlines() if (m := _STEP.match(line))}
            cached = {m.group(1) for line in log.splitlines() if (m := _CACHED.match(line))}
            failed = self.process.returncode != 0 or not self.iidfile.exists()
            image_id = None if failed else self.iidfile.read_text().strip()
        finally:
            self.folder.cleanup()
        if failed:
            # Stopped as it ended (the diagnosis was interrupted), the image can exist all the same.
            self._remove_made()
            tail = [line for line in log.splitlines() if line.strip()][-6:]
            return {"ran": True, "failed": True, "seconds": seconds, "client": self.client.path,
                    "error": "\n".join(tail)}
        countable = steps - _non_cacheable(log, steps)
        return {"ran": True, "failed": False, "image_id": image_id, "seconds": seconds, "client": self.client.path,
                "steps": len(countable), "cached_steps": len(cached & countable),
                "all_cached": countable <= cached}

    def discard(self) -> None:
        read = not self._claimed()
        self._stop(drain=not read)  # still building here: the diagnosis was interrupted
        if read:
            return  # its check read it, and removes what it made
        self.folder.cleanup()
        self._remove_made()

    def made(self, attrs: dict[str, Any] | None) -> bool:
        """Whether this build made the image with these attributes: it has this build's label,
        and no tag (one somebody tagged meanwhile is theirs now)."""
        if attrs is None:
            return False
        labels = (attrs.get("Config") or {}).get("Labels") or {}
        tags = [tag for tag in attrs.get("RepoTags") or () if tag != "<none>:<none>"]
        return labels.get(BUILD_LABEL) == self.mark and not tags

    def _remove_made(self) -> None:
        """Remove the image this build made, found by its label, if it made one."""
        try:
            engine = self.engine
            if engine is None:
                from runner.engine.endpoints import client_for

                engine = client_for(self.spec.host)
            for image_id in engine.api.images(all=True, quiet=True, filters={"label": f"{BUILD_LABEL}={self.mark}"}):
                if self.made(image_attrs(engine, image_id)):
                    engine.images.remove(image_id)
        except Exception:  # noqa: BLE001 - gone already, used by a container meanwhile, no engine now
            pass

    def _stop(self, drain: bool = True) -> None:
        """Stop the build if it still runs (the CLI cancels its build session on SIGTERM).
        drain: read its output here; else another thread's finish() is reading it."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.communicate(timeout=10) if drain else self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _non_cacheable(log: str, steps: set[str]) -> set[str]:
    """Steps BuildKit never reports as CACHED: loading the Dockerfile, context, metadata, FROM."""
    skipped = set()
    for line in log.splitlines():
        m = _STEP.match(line)
        if m and (m.group("name") == "internal" or m.group("instruction").upper() == "FROM"):
            skipped.add(m.group(1))
    return skipped


def image_attrs(client: Any, image_id: str) -> dict[str, Any] | None:
    from docker.errors import ImageNotFound

    try:
        return client.images.get(image_id).attrs
    except ImageNotFound:
        return None


def sweep_orphans(client: Any, now: float | None = None) -> int:
    """Remove the images of builds stopped just as the daemon finished them, after their
    diagnosis looked for them (a rare race), an hour after they started. Found by the label only
    diagnoses' builds carry, whose time is the build's start (an image's Created is not: a warm
    cache keeps the first build's). How many were removed."""
    now = time.time() if now is None else now
    removed = 0
    for image in client.api.images(all=True, filters={"label": BUILD_LABEL, "dangling": True}):
        mark = ((image.get("Labels") or {}).get(BUILD_LABEL) or "").split("-", 1)[0]
        if not mark.isdigit() or now - int(mark) < ORPHAN_AGE:
            continue
        try:
            client.api.remove_image(image["Id"])
            removed += 1
        except Exception:  # noqa: BLE001 - gone already, used by a container
            continue
    return removed


class DiagnosisEnded(Exception):
    """A build asked for after its diagnosis ended (by a check the diagnosis left running)."""


class Builds:
    """The builds of one diagnosis, from the moment each process starts until the diagnosis
    ends: then `close` (or leaving a `with`) stops those still running and removes what they
    made, however the diagnosis ended (done, a check timed out, Ctrl-C, SIGTERM), and a build
    asked for after that is stopped as soon as it starts. Also the builds started early, before
    the playbook was loaded, until a check adopts one: the same build, started once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: list[StartedBuild] = []
        self._early: dict[BuildSpec, StartedBuild] = {}
        self._asked: list[BuildSpec] = []
        self._starting: threading.Thread | None = None
        self._closed = False

    def __enter__(self) -> Builds:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def add(self, build: StartedBuild) -> bool:
        """Whether `build` may run: not once the diagnosis has ended."""
        with self._lock:
            if not self._closed:
                self._running.append(build)
            return not self._closed

    def start(self, client: Any | None, spec: BuildSpec) -> StartedBuild:
        """The build of `spec`: the one started early, if there is one, else one started now
        (`client`, an SDK client or None, finds what it made)."""
        if self._starting is not None:
            self._starting.join()  # the early builds, handed over before a second one starts
        with self._lock:
            self._asked.append(spec)
            early = self._early.pop(spec, None)
        return early if early is not None else StartedBuild(spec, builds=self, engine=client)

    def start_early(self, specs: list[BuildSpec]) -> None:
        """Start these builds in the background, for checks to adopt: the daemon builds while
        the playbook loads. One that cannot start is left to its check, which says why."""
        def start_each() -> None:
            for spec in specs:
                try:
                    started = StartedBuild(spec, builds=self)
                except Exception:  # noqa: BLE001 - no engine, no capable client, the diagnosis ended
                    continue
                with self._lock:
                    self._early[spec] = started

        self._starting = threading.Thread(target=start_each, name="early-builds")
        self._starting.start()

    def asked(self) -> list[BuildSpec]:
        """The builds the checks asked for (what runner/diagnose/early.py remembers)."""
        with self._lock:
            return list(dict.fromkeys(self._asked))

    def close(self) -> None:
        if self._starting is not None and self._starting is not threading.current_thread():
            self._starting.join()  # a build it is starting is in _running afterwards
        with self._lock:
            self._closed = True
            running, self._running = self._running, []
            self._early.clear()
        for build in running:
            build.discard()  # one its check read: a no-op; the check removes what it made


def _off_main_thread(start: Callable[[], T]) -> T:
    """start(), in a thread of its own when this is the main thread, the one Ctrl-C and SIGTERM
    interrupt: an interruption while it runs cannot come between its steps."""
    if threading.current_thread() is not threading.main_thread():
        return start()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="build-start")
    try:
        return pool.submit(start).result()
    finally:
        pool.shutdown(wait=False)
