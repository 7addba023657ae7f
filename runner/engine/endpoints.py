"""Which Docker Engine to talk to: --docker-host, else DOCKER_HOST, else the current docker
context, else the default socket; and a docker SDK client for it."""

from __future__ import annotations

import functools
import os
import urllib.parse
from dataclasses import dataclass
from typing import Any

from runner.engine import contexts
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
    name = contexts.current_name()
    context = contexts.find(name) if name != "default" else None
    if context is not None:
        return Endpoint(context.host, f"context {context.name}")
    return Endpoint(DEFAULT_HOST, "default")


def other_endpoints(current: Endpoint) -> list[Endpoint]:
    """Engines this machine knows besides the current one: contexts and the default socket."""
    found: dict[str, Endpoint] = {}
    for context in contexts.contexts():
        found.setdefault(context.host, Endpoint(context.host, f"context {context.name}"))
    found.setdefault(DEFAULT_HOST, Endpoint(DEFAULT_HOST, "default"))
    if os.environ.get("DOCKER_HOST"):
        found.setdefault(os.environ["DOCKER_HOST"], Endpoint(os.environ["DOCKER_HOST"], "DOCKER_HOST"))
    found.pop(current.host, None)
    return list(found.values())


@functools.lru_cache(maxsize=8)
def client_for(host: str, timeout: float = 10.0) -> Any:
    """A docker SDK client; raises EngineUnavailable with one clear line."""
    import docker

    try:
        # No version given: the client asks the engine's (GET /version), which is the ping.
        client = docker.DockerClient(base_url=host, timeout=timeout, use_ssh_client=host.startswith("ssh://"))
    except Exception as exc:  # noqa: BLE001 - DockerException, requests, ssh and socket errors of every kind
        raise EngineUnavailable(f"no Docker Engine answers at {host}: {_short(exc, host)}") from None
    return client


def _short(exc: BaseException, host: str = "") -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if host.startswith("ssh://") and any(word in text for word in ("Connection aborted", "Broken pipe", "closed")):
        # The ssh client has said why on stderr (host key, key, refused); the SDK only saw it hang up.
        remote = urllib.parse.urlsplit(host)
        port = f"-p {remote.port} " if remote.port else ""
        user = f"{remote.username}@" if remote.username else ""
        return (f"the ssh connection ended (ssh's own reason, if it gave one, is printed above); "
                f"`ssh {port}{user}{remote.hostname} docker version` tries the same way in")
    if "No such file or directory" in text or "FileNotFoundError" in text:
        return "the socket does not exist (is dockerd running?)"
    if "Connection refused" in text:
        return "connection refused"
    if "Permission denied" in text:
        return "permission denied (are you in the docker group?)"
    return text[:200]
