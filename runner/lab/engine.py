"""The engine and the docker CLI a lab drives: the commands it runs get the run's labels and
environment; the base images every build of a run descends from."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from runner.engine.store import image_store
from runner.lab import EXPERIMENT_LABEL, RUN_LABEL, LabError, StepFailed
from runner.lab.results import Versions
from runner.playbook.model import EngineRequirement

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Runner Lab", "GIT_AUTHOR_EMAIL": "lab@runner.invalid",
    "GIT_COMMITTER_NAME": "Runner Lab", "GIT_COMMITTER_EMAIL": "lab@runner.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
}
# docker subcommands that take --label, and where it goes.
LABELLED_SUBCOMMANDS = {("build",): 2, ("run",): 2, ("create",): 2, ("image", "build"): 3,
                        ("container", "run"): 3, ("container", "create"): 3, ("volume", "create"): 3,
                        ("network", "create"): 3}


def find_busybox() -> Path:
    for candidate in (os.environ.get("RUNNER_BUSYBOX"), "/bin/busybox", "/usr/bin/busybox", shutil.which("busybox")):
        if candidate and os.path.isfile(candidate):
            return Path(candidate)
    raise LabError("no static busybox for the lab's base image: install busybox-static (Debian) "
                   "or set RUNNER_BUSYBOX")


def labelled_argv(argv: list[str], docker: str, run_id: str, experiment_label: str | None,
                  compose: tuple[str, ...] | None = None) -> list[str]:
    """A step's argument list as the lab runs it: `runner` as this Python's module, `docker` as
    the client at `docker`, with the run's (and experiment's) labels on the subcommands that
    take --label; `docker compose` and `docker-compose` as `compose`, the Compose this engine's
    users run (v2 where the client has it, else v1); any other program as it is."""
    if argv[0] == "runner":
        return [sys.executable, "-m", "runner", *argv[1:]]
    if argv[0] == "docker-compose" or argv[:2] == ["docker", "compose"]:
        if compose is None:
            raise StepFailed("no Compose here: neither the docker CLI's compose plugin nor docker-compose")
        return [*compose, *argv[1 if argv[0] == "docker-compose" else 2:]]
    if argv[0] != "docker":
        return argv
    argv = [docker, *argv[1:]]
    for words, at in LABELLED_SUBCOMMANDS.items():
        if tuple(argv[1:at]) == words:
            labels = ["--label", f"{RUN_LABEL}={run_id}"]
            if experiment_label:
                labels += ["--label", f"{EXPERIMENT_LABEL}={experiment_label}"]
            return [*argv[:at], *labels, *argv[at:]]
    return argv


class Engine:
    """The engine and the docker CLI the lab drives, with its labels and environment."""

    def __init__(self, docker_host: str | None, run_id: str) -> None:
        from runner.engine.clients import (
            buildkit_client,
            compose_command,
            compose_version,
        )
        from runner.engine.endpoints import client_for, resolve_endpoint

        self.host = docker_host or resolve_endpoint().host
        self.client = client_for(self.host, timeout=120)
        self.cli = buildkit_client()
        self.compose = compose_command()
        self.run_id = run_id
        version = self.client.version()
        self.versions = Versions(
            engine=f"Docker Engine {version.get('Version', '?')}", client=self.cli.describe(),
            client_path=self.cli.path, host=self.host, store=image_store(self.client.info()),
            compose=compose_version(self.compose) if self.compose else None)
        self.env = {**os.environ, **GIT_ENV, "DOCKER_BUILDKIT": "1", "DOCKER_HOST": self.host}

    def unmet(self, requires: EngineRequirement | None) -> str | None:
        """Why this engine is not one an experiment applies to; None when it is."""
        if requires is None:
            return None
        facts = {"builder": self.cli.how, "store": "containerd" if self.versions.store == "containerd" else "overlay2",
                 "compose": None if self.compose is None else "v2" if self.compose[-1] == "compose" else "v1"}
        for key in ("builder", "store", "compose"):
            wanted = getattr(requires, key)
            if wanted is not None and facts[key] != wanted:
                return f"needs {key} {wanted}, this engine has {facts[key] or 'none'}"
        if requires.client is not None and not version_matches(self.cli.version, requires.client):
            return f"needs a docker CLI {requires.client}, this one is {self.cli.version}"
        return None

    def argv(self, argv: list[str], experiment_label: str | None) -> list[str]:
        return labelled_argv(argv, self.cli.path, self.run_id, experiment_label, self.compose)

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


def version_matches(version: str, wanted: str) -> bool:
    """`26.1.5+dfsg1` against `>=23`, `<23`, `==20.10`: compared on as many parts as `wanted` gives."""
    match = re.match(r"^(<=|>=|==|<|>)\s*([\d.]+)$", wanted.strip())
    if not match:
        return False
    operator, bound = match.groups()
    limit = tuple(int(part) for part in bound.split("."))
    parts = re.findall(r"\d+", version)[:len(limit)]
    if len(parts) < len(limit):
        return False
    have = tuple(int(part) for part in parts)
    return {"<": have < limit, "<=": have <= limit, ">=": have >= limit, ">": have > limit, "==": have == limit}[operator]


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

