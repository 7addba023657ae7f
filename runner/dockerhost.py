"""Which Docker Engine to talk to, and with which client binary.

The engine: --docker-host, else DOCKER_HOST, else the current docker context, else the
default socket. The client: the first that can do BuildKit builds. A client that cannot
(the 23+ CLI without buildx refuses `DOCKER_BUILDKIT=1 docker build`) is a finding.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from runner.errors import EngineUnavailable

DEFAULT_HOST = "unix:///var/run/docker.sock"
CANDIDATE_CLIENTS = ("/usr/bin/docker", "/usr/local/bin/docker")


@dataclass(frozen=True)
class Endpoint:
    host: str
    source: str  # "--docker-host", "DOCKER_HOST", "context NAME", "default"


def resolve_endpoint(explicit: str | None = None) -> Endpoint:
    if explicit:
        return Endpoint(explicit, "--docker-host")
    if os.environ.get("DOCKER_HOST"):
        return Endpoint(os.environ["DOCKER_HOST"], "DOCKER_HOST")
    try:
        from docker.context import ContextAPI

        name = os.environ.get("DOCKER_CONTEXT")
        context = ContextAPI.get_context(name) if name else ContextAPI.get_current_context()
        if context is not None and context.Host and context.name != "default":
            return Endpoint(context.Host, f"context {context.name}")
    except Exception:  # noqa: BLE001 - a broken ~/.docker must not hide the default engine
        pass
    return Endpoint(DEFAULT_HOST, "default")


def other_endpoints(current: Endpoint) -> list[Endpoint]:
    """Engines this machine knows besides the current one: contexts and the default socket."""
    found: dict[str, Endpoint] = {}
    try:
        from docker.context import ContextAPI

        for context in ContextAPI.contexts():
            if context.Host:
                found.setdefault(context.Host, Endpoint(context.Host, f"context {context.name}"))
    except Exception:  # noqa: BLE001
        pass
    found.setdefault(DEFAULT_HOST, Endpoint(DEFAULT_HOST, "default"))
    if os.environ.get("DOCKER_HOST"):
        found.setdefault(os.environ["DOCKER_HOST"], Endpoint(os.environ["DOCKER_HOST"], "DOCKER_HOST"))
    found.pop(current.host, None)
    return list(found.values())


@functools.lru_cache(maxsize=8)
def client_for(host: str, timeout: float = 10.0) -> Any:
    """A docker SDK client; raises EngineUnavailable with one clear line."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.DockerClient(base_url=host, timeout=timeout, use_ssh_client=host.startswith("ssh://"))
        client.ping()
    except DockerException as exc:
        raise EngineUnavailable(f"no Docker Engine answers at {host}: {_short(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - requests/paramiko/socket errors of every kind
        raise EngineUnavailable(f"no Docker Engine answers at {host}: {_short(exc)}") from None
    return client


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "No such file or directory" in text or "FileNotFoundError" in text:
        return "the socket does not exist (is dockerd running?)"
    if "Connection refused" in text:
        return "connection refused"
    if "Permission denied" in text:
        return "permission denied (are you in the docker group?)"
    return text[:200]


@dataclass(frozen=True)
class DockerClient:
    path: str
    version: str
    buildkit: bool
    how: str  # "buildx" | "builtin" | why it cannot


def _version(path: str) -> str | None:
    try:
        out = subprocess.run([path, "version", "--format", "{{.Client.Version}}"], capture_output=True,
                             text=True, timeout=10, env={**os.environ, "DOCKER_HOST": "unix:///nonexistent"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = out.stdout.strip()
    return version or None


def _major(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError:
        return 0


@functools.lru_cache(maxsize=1)
def docker_clients() -> tuple[DockerClient, ...]:
    """Every docker CLI found, first the one on PATH, with whether it can do BuildKit builds."""
    paths: list[str] = []
    for candidate in (os.environ.get("RUNNER_DOCKER"), shutil.which("docker"), *CANDIDATE_CLIENTS):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            real = os.path.realpath(candidate)
            if real not in (os.path.realpath(p) for p in paths):
                paths.append(candidate)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, len(paths))) as pool:
        return tuple(pool.map(_probe_client, paths))


def _probe_client(path: str) -> DockerClient:
    version = _version(path)
    if version is None:
        return DockerClient(path, "?", False, "does not run")
    try:
        buildx = subprocess.run([path, "buildx", "version"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        buildx = False
    if buildx:
        return DockerClient(path, version, True, "buildx")
    if _major(version) < 23:
        return DockerClient(path, version, True, "builtin")
    # Docker 23+ routes `docker build` to buildx and refuses BuildKit without it.
    return DockerClient(path, version, False, "BuildKit requested but the buildx component is missing")


def buildkit_client() -> DockerClient:
    for client in docker_clients():
        if client.buildkit:
            return client
    found = ", ".join(f"{c.path} {c.version} ({c.how})" for c in docker_clients()) or "none"
    raise EngineUnavailable(f"no docker client can do BuildKit builds (found: {found}); "
                            "install docker-buildx, or Debian's docker.io 20.10 client")
