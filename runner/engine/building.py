"""A cached, untagged build of a build context, run by the docker CLI in the background: the
evidence of the image-vs-context check (runner/checks/compare.py), which compares the image it
yields with the tag.

A build can start before anything else of a diagnosis (runner/diagnose/early.py, before the
playbook is even loaded) and wait here to be adopted by the check that would start the same
build. Whatever a build made and nobody reads is removed: an image counts as made by it only when
it has no tag and was not among the engine's untagged images before it started.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.engine.clients import buildkit_client
from runner.errors import EngineUnavailable

BUILD_TIMEOUT = 600
_STEP = re.compile(r"^#(\d+) \[(?P<name>[^\]]+)\] (?P<instruction>\S+)")
_CACHED = re.compile(r"^#(\d+) CACHED$")


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

    `finish` waits for it; `discard` stops a build nobody will read (the image is missing, the
    tag was made by the legacy builder, a check failed) and removes the image it made, if it
    made one that was not on the engine before."""

    def __init__(self, spec: BuildSpec, dangling_before: set[str] | None = None, engine: Any | None = None) -> None:
        """dangling_before: the engine's untagged images before the build. When not given, they
        are listed right after the build starts, by `engine` (an SDK client), else by the SDK
        when it is imported already, else by the build's own client (importing the SDK for it
        would hold the build back by ~0.1 s): a build needs far longer than that listing before
        it can make an image, and an image made sooner would count as there before, so it would
        be left on the engine, never removed by mistake."""
        self.spec = spec
        self.client = buildkit_client()
        env = {**os.environ, "DOCKER_BUILDKIT": "1", "DOCKER_HOST": spec.host}
        self.folder = tempfile.TemporaryDirectory(prefix="runner-build-")
        self.iidfile = Path(self.folder.name) / "iid"
        context = Path(spec.context)
        argv = [self.client.path, "build", "--progress=plain", "--iidfile", str(self.iidfile),
                "-f", str(context / spec.dockerfile), *(["--target", spec.target] if spec.target else []),
                str(context)]
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, text=True, env=env)
        # Exactly one thread reads the build's output: the check's finish() or an interrupted
        # diagnosis's discard(). Two readers race on the pipe (one closes it: EBADF in the other).
        self._claim = threading.Lock()
        self.finished = False
        if dangling_before is None:
            try:
                dangling_before = untagged_image_ids(engine) if engine is not None else \
                    _untagged_before(self.client.path, env, spec.host)
            except BaseException:
                self._stop()
                self.folder.cleanup()
                raise
        self.dangling_before = dangling_before

    def _claimed(self) -> bool:
        """Whether this caller is the first to claim the build's output."""
        with self._claim:
            first = not self.finished
            self.finished = True
            return first

    def finish(self, timeout: float = BUILD_TIMEOUT) -> dict[str, Any]:
        """Wait for the build; the image ID it yields, how long it took, which steps were cached."""
        if not self._claimed():
            return {"ran": True, "failed": True, "error": "the build was stopped: the diagnosis was interrupted"}
        try:
            log, _ = self.process.communicate(timeout=max(0.0, timeout - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            self._stop()
            return {"ran": True, "failed": True, "error": f"build timed out after {timeout:g} s"}
        try:
            seconds = round(time.monotonic() - self.started, 2)
            steps = {m.group(1) for line in log.splitlines() if (m := _STEP.match(line))}
            cached = {m.group(1) for line in log.splitlines() if (m := _CACHED.match(line))}
            if self.process.returncode != 0 or not self.iidfile.exists():
                tail = [line for line in log.splitlines() if line.strip()][-6:]
                return {"ran": True, "failed": True, "seconds": seconds, "client": self.client.path,
                        "error": "\n".join(tail)}
            image_id = self.iidfile.read_text().strip()
        finally:
            self.folder.cleanup()
        countable = steps - _non_cacheable(log, steps)
        return {"ran": True, "failed": False, "image_id": image_id, "seconds": seconds, "client": self.client.path,
                "steps": len(countable), "cached_steps": len(cached & countable),
                "all_cached": countable <= cached}

    def discard(self) -> None:
        read = not self._claimed()
        self._stop(drain=not read)  # still building here: the diagnosis was interrupted
        if read:
            return  # its check read it, and removes what it made
        try:
            image_id = self.iidfile.read_text().strip() if self.iidfile.exists() else None
        finally:
            self.folder.cleanup()
        if not image_id:
            return
        from runner.engine.endpoints import client_for

        try:
            engine = client_for(self.spec.host)
            if self.made(image_id, image_attrs(engine, image_id)):
                engine.images.remove(image_id)
        except Exception:  # noqa: BLE001 - gone already, used by a container we did not make, no engine now
            pass

    def made(self, image_id: str, attrs: dict[str, Any] | None) -> bool:
        """Whether this build made the image: no untagged image had its ID before, and it has no
        tag now (the build tags nothing, so a tagged image with its ID was there before)."""
        tags = [tag for tag in (attrs or {}).get("RepoTags") or () if tag != "<none>:<none>"]
        return attrs is not None and image_id not in self.dangling_before and not tags

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


def _untagged_before(docker: str, env: dict[str, str], host: str) -> set[str]:
    """The engine's untagged images, listed before a build: by the docker SDK when it is imported
    already (in a resident runner's child: ~2 ms), else by the build's own client (~10 ms, where
    importing the SDK first would hold the build back by ~0.1 s)."""
    if "docker" in sys.modules and not host.startswith("ssh://"):
        from runner.engine.endpoints import client_for

        try:
            return untagged_image_ids(client_for(host))
        except Exception:  # noqa: BLE001 - the CLI says what is wrong, as below
            pass
    return _untagged_by_cli(docker, env)


def _untagged_by_cli(docker: str, env: dict[str, str]) -> set[str]:
    """untagged_image_ids() by the docker CLI, which reaches every endpoint the SDK does."""
    try:
        done = subprocess.run([docker, "images", "--all", "--quiet", "--no-trunc", "--filter", "dangling=true"],
                              capture_output=True, text=True, timeout=30, env=env, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineUnavailable(f"cannot list the engine's images before a build: {exc}") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise EngineUnavailable(f"cannot list the engine's images before a build: {lines[-1] if lines else done.returncode}")
    return set(done.stdout.split())


def image_attrs(client: Any, image_id: str) -> dict[str, Any] | None:
    from docker.errors import ImageNotFound

    try:
        return client.images.get(image_id).attrs
    except ImageNotFound:
        return None


def untagged_image_ids(client: Any) -> set[str]:
    """The engine's untagged images. A build's image that has no tag either and is not among
    these was made by the build; a tagged one was there before. Dangling ones only: listing
    every image costs 3-4x as much on the containerd store. IDs from the low-level API:
    docker-py's images.list() inspects every image it lists, and failed with "No such image"
    when another client removed one in between (seen on 26.1)."""
    return set(client.api.images(all=True, quiet=True, filters={"dangling": True}))


_lock = threading.Lock()
_early: dict[BuildSpec, StartedBuild] = {}  # started before the playbook was loaded, not adopted yet
_asked: list[BuildSpec] = []  # the builds checks of this process asked for, adopted or started


def start_build(client: Any | None, spec: BuildSpec) -> StartedBuild:
    """The build of `spec`: the one started early, if there is one, else one started now (the
    untagged images are listed as it starts, so that only an image this build made is ever
    removed: by `client`, an SDK client, or without one as StartedBuild says)."""
    with _lock:
        _asked.append(spec)
        early = _early.pop(spec, None)
    if early is not None:
        return early
    return StartedBuild(spec, engine=client)


def start_early(spec: BuildSpec) -> None:
    """Start the build of `spec` now, for a check to adopt later."""
    started = StartedBuild(spec)
    with _lock:
        _early[spec] = started


def discard_early() -> None:
    """Stop the early builds no check adopted, and remove what they made."""
    with _lock:
        left = list(_early.values())
        _early.clear()
    for build in left:
        build.discard()


def builds_asked() -> list[BuildSpec]:
    """The builds the checks of this process asked for (what runner/diagnose/early.py remembers)."""
    with _lock:
        return list(dict.fromkeys(_asked))
