"""Which Docker Engine to talk to: --docker-host, else DOCKER_HOST, else the current docker
context, else the default socket; and a docker SDK client for it."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

from runner.errors import EngineUnavailable

DEFAULT_HOST = "unix:///var/run/docker.sock"


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
