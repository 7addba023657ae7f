"""Which docker CLI binary runs builds: the first that can do BuildKit builds. A client that
cannot (the 23+ CLI without buildx refuses `DOCKER_BUILDKIT=1 docker build`) is a finding."""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

from runner.errors import EngineUnavailable

CANDIDATE_CLIENTS = ("/usr/bin/docker", "/usr/local/bin/docker")
# Where the docker CLI looks for its buildx plugin, besides $DOCKER_CONFIG/cli-plugins.
PLUGIN_DIRS = ("/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
               "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")


@dataclass(frozen=True)
class DockerClient:
    path: str
    version: str
    buildkit: bool
    how: str  # "buildx" | "builtin" | why it cannot
    buildx: str | None = None  # the buildx plugin's version, when there is one

    def describe(self) -> str:
        """`docker 26.1.5 (buildx 0.13.1)`, `docker 20.10.24 (BuildKit built in)`."""
        builder = {"buildx": f"buildx {self.buildx}", "builtin": "BuildKit built in"}.get(self.how, self.how)
        return f"docker {self.version} ({builder})"


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
    """Every docker CLI found, first the one on PATH, with whether it can do BuildKit builds.
    What a client can do is remembered in the state folder, keyed by the binary and every buildx
    plugin it could load: probing runs two CLI commands per client."""
    import json

    from runner.state import state_dir, write_atomically

    paths: list[str] = []
    for candidate in (os.environ.get("RUNNER_DOCKER"), shutil.which("docker"), *CANDIDATE_CLIENTS):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            real = os.path.realpath(candidate)
            if real not in (os.path.realpath(p) for p in paths):
                paths.append(candidate)
    record = state_dir("cache") / "docker-clients.json"
    try:
        known = json.loads(record.read_text())
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    keys = {path: _probe_key(path) for path in paths}
    found: dict[str, DockerClient] = {}
    for path, key in keys.items():
        try:
            found[path] = DockerClient(**known[key])
        except (KeyError, TypeError):  # not probed yet, or written by another version of the runner
            pass
    missing = [path for path in paths if path not in found]
    if missing:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(missing)) as pool:
            found.update(zip(missing, pool.map(_probe_client, missing)))
        remembered = {key: dataclasses.asdict(found[path]) for path, key in keys.items()
                      if found[path].how != "does not run"}
        try:  # one write for all, and the clients of other PATHs stay remembered too
            write_atomically(record, json.dumps({**known, **remembered}))
        except OSError:
            pass  # an unwritable state folder costs only the probe next time
    return tuple(found[path] for path in paths)


def _probe_key(path: str) -> str:
    config = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    files = [path, os.path.realpath(path)] + [os.path.join(folder, "docker-buildx")
                                              for folder in (os.path.join(config, "cli-plugins"), *PLUGIN_DIRS)]
    parts = [path]
    for file in files:
        try:
            stat = os.stat(file)
            parts.append(f"{file}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}")
        except OSError:
            parts.append(f"{file}:-")
    return "\0".join(parts)


def _probe_client(path: str) -> DockerClient:
    version = _version(path)
    if version is None:
        return DockerClient(path, "?", False, "does not run")
    try:
        probe = subprocess.run([path, "buildx", "version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        probe = None
    if probe is not None and probe.returncode == 0:
        # "github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3", "github.com/docker/buildx v0.14.0 171fcbe"
        words = probe.stdout.split()
        buildx = words[1].lstrip("v").split("+")[0] if len(words) > 1 else "?"
        return DockerClient(path, version, True, "buildx", buildx)
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


@functools.lru_cache(maxsize=1)
def compose_command() -> tuple[str, ...] | None:
    """Compose as this machine's users run it: `docker compose` (the v2 plugin) through the first
    client that has it, else the standalone `docker-compose` (v1)."""
    for client in docker_clients():
        try:
            if subprocess.run([client.path, "compose", "version"], capture_output=True, timeout=10).returncode == 0:
                return (client.path, "compose")
        except (OSError, subprocess.TimeoutExpired):
            continue
    standalone = shutil.which("docker-compose")
    return (standalone,) if standalone else None


def compose_version(command: tuple[str, ...]) -> str:
    """`Compose 2.26.1 (docker compose)` or `docker-compose 1.29.2`."""
    try:
        done = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=10)
        version = done.stdout.strip().lstrip("v") or "?"
    except (OSError, subprocess.TimeoutExpired):
        version = "?"
    return f"Compose {version} (docker compose)" if command[-1] == "compose" else f"docker-compose {version}"
