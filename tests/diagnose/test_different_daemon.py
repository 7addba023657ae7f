"""The container runs on another engine, one the docker CLI knows as a context: diagnose names
different-daemon, on two real engines side by side, whether or not the machine has a
~/.docker/config.json (nobody ever logged in) and from any folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import dockerlab
import engines
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def container_elsewhere(engine, tmp_path):
    """A running container on another engine than the session's, labelled, removed afterwards."""
    other = engines.engine("26.1" if dockerlab.ENGINE.name == "20.10" else "20.10")
    engines.ensure([other.name], say=lambda line: None)
    env = {**os.environ, **other.env(), "DOCKER_BUILDKIT": "1"}
    name = f"runner-test-{dockerlab.SESSION}-elsewhere-{uuid.uuid4().hex[:6]}"
    folder = tmp_path / "base"
    folder.mkdir()
    shutil.copy(shutil.which("busybox") or "/bin/busybox", folder / "busybox")
    (folder / "Dockerfile").write_text(f"FROM scratch\nLABEL {dockerlab.LABEL}={dockerlab.SESSION}\n"
                                       "COPY busybox /bin/busybox\nCMD [\"/bin/busybox\", \"sleep\", \"600\"]\n")

    def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([other.client, *args], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0 or not check, done.stderr
        return done

    cache_before = {line for line in docker("builder", "du", "--verbose", check=False).stdout.splitlines()
                    if line.startswith("ID:")}
    docker("build", "-q", "-t", name, str(folder))
    try:
        docker("run", "-d", "--name", name, "--label", f"{dockerlab.LABEL}={dockerlab.SESSION}", name)
        yield other, name
    finally:
        docker("rm", "-f", name, check=False)
        docker("rmi", "-f", name, check=False)
        if other.plugins:  # `builder du` exists from 23: remove the records this build made there
            for line in docker("builder", "du", "--verbose", check=False).stdout.splitlines():
                if line.startswith("ID:") and line not in cache_before:
                    docker("builder", "prune", "-af", "--filter", f"id={line.split()[1].rstrip('*')}", check=False)


def diagnose_from(folder: Path, container: str, env: dict[str, str]) -> tuple[int, dict]:
    argv = [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
            "--json", "--param", f"image={dockerlab.BASE_IMAGE}", "--param", f"context={folder}",
            "--param", f"container={container}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=folder, env=env)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.engine
@pytest.mark.parametrize("config_json", [False, True], ids=["no-config-json", "config-json"])
def test_a_container_on_an_engine_known_as_a_context_is_named(container_elsewhere, tmp_path, config_json):
    other, name = container_elsewhere
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("DOCKER_CONFIG", "DOCKER_CONTEXT")}
    env["HOME"] = str(home)
    subprocess.run(["/usr/bin/docker", "context", "create", "staging", "--docker", f"host={other.host}"],
                   check=True, capture_output=True, env=env, timeout=30)
    if config_json:
        (home / ".docker" / "config.json").write_text('{"auths": {}}\n')
    assert (home / ".docker" / "config.json").exists() is config_json
    folder = tmp_path / "work"  # run from a folder with nothing docker in it
    folder.mkdir()
    code, report = diagnose_from(folder, name, env)
    assert code == 1 and report["cause"]["id"] == "different-daemon", report
    found = report["cause"]["evidence"]["container"]["found_elsewhere"]
    assert {"host": other.host, "source": "context staging"} in found
