"""Which engine: --docker-host, DOCKER_HOST, the docker context, the default. Real docker CLIs,
real contexts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.engine.endpoints import DEFAULT_HOST, other_endpoints, resolve_endpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def docker_config(tmp_path, monkeypatch):
    """A private DOCKER_CONFIG so that contexts made here never touch the user's."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    return tmp_path / "docker-config"


def test_precedence_explicit_then_env_then_default(docker_config, monkeypatch):
    assert resolve_endpoint().host == DEFAULT_HOST and resolve_endpoint().source == "default"
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    assert resolve_endpoint().source == "DOCKER_HOST"
    assert resolve_endpoint("ssh://deploy@server").host == "ssh://deploy@server"


def test_current_docker_context_is_used(docker_config, monkeypatch):
    subprocess.run(["/usr/bin/docker", "context", "create", "remote-staging", "--docker",
                    "host=tcp://127.0.0.1:2999"], check=True, capture_output=True,
                   env={**os.environ, "DOCKER_CONFIG": str(docker_config)})
    subprocess.run(["/usr/bin/docker", "context", "use", "remote-staging"], check=True, capture_output=True,
                   env={**os.environ, "DOCKER_CONFIG": str(docker_config)})
    endpoint = resolve_endpoint()
    assert (endpoint.host, endpoint.source) == ("tcp://127.0.0.1:2999", "context remote-staging")
    assert DEFAULT_HOST in [e.host for e in other_endpoints(endpoint)]
    monkeypatch.setenv("DOCKER_CONTEXT", "default")
    assert resolve_endpoint().host == DEFAULT_HOST


@pytest.mark.engine
def test_docker_host_env_is_respected_end_to_end(engine, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
         "--json", "--param", "image=runner-test-nothing:here", "--param", f"context={tmp_path}"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"})
    report = json.loads(done.stdout)
    assert done.returncode == 2 and report["status"] == "error"
    assert report["engine"] == "unix:///nonexistent.sock"
    assert any("no Docker Engine answers at unix:///nonexistent.sock" in e for e in report["errors"])
