"""Docker contexts as the docker CLI finds them (runner/engine/contexts.py): made by the real
docker CLI in a private HOME or DOCKER_CONFIG, read from another folder, with and without a
config.json (the docker SDK looks in the current folder when there is none)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from runner.engine import contexts
from runner.engine.endpoints import DEFAULT_HOST, other_endpoints, resolve_endpoint


def docker_cli(*args: str, env: dict[str, str]) -> None:
    subprocess.run(["/usr/bin/docker", *args], check=True, capture_output=True, env={**os.environ, **env}, timeout=30)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A HOME of the test's own where nobody ever logged in: no ~/.docker/config.json."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_HOST"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def test_contexts_under_home_without_a_config_json_are_found_from_any_folder(home, tmp_path, monkeypatch):
    docker_cli("context", "create", "staging", "--docker", "host=tcp://10.1.2.3:2376", env={"HOME": str(home)})
    assert not (home / ".docker" / "config.json").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert contexts.contexts() == [contexts.DockerContext("staging", "tcp://10.1.2.3:2376")]
    assert contexts.current_name() == "default"
    assert "tcp://10.1.2.3:2376" in [endpoint.host for endpoint in other_endpoints(resolve_endpoint())]


def test_the_current_context_comes_from_docker_context_then_config_json(home, monkeypatch):
    docker_cli("context", "create", "staging", "--docker", "host=tcp://10.1.2.3:2376", env={"HOME": str(home)})
    docker_cli("context", "use", "staging", env={"HOME": str(home)})  # writes config.json
    assert json.loads((home / ".docker" / "config.json").read_text())["currentContext"] == "staging"
    assert resolve_endpoint().host == "tcp://10.1.2.3:2376"
    monkeypatch.setenv("DOCKER_CONTEXT", "default")
    assert resolve_endpoint().host == DEFAULT_HOST


def test_docker_config_wins_over_home(home, tmp_path, monkeypatch):
    config = tmp_path / "config"
    docker_cli("context", "create", "ci", "--docker", "host=unix:///run/other.sock", env={"DOCKER_CONFIG": str(config)})
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    assert [context.name for context in contexts.contexts()] == ["ci"]
    monkeypatch.setenv("DOCKER_CONTEXT", "ci")
    assert (resolve_endpoint().host, resolve_endpoint().source) == ("unix:///run/other.sock", "context ci")


def test_a_broken_context_or_config_is_left_out(home):
    meta = home / ".docker" / "contexts" / "meta" / "x"
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text("{not json")
    (home / ".docker" / "config.json").write_text("[]")
    assert contexts.contexts() == [] and contexts.current_name() == "default"
    assert resolve_endpoint().host == DEFAULT_HOST
