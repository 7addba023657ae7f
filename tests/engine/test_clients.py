"""Which docker CLI: every client found is described, and one that cannot do BuildKit builds
says why (23 or later without buildx); Compose as users run it (v2 through a client's plugin,
else v1). The real clients of this machine, and scripts that stand in for others."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

import runner.engine.clients as clients_module
from runner.engine.clients import (
    DockerClient,
    buildkit_client,
    compose_command,
    compose_version,
    docker_clients,
)


def test_a_client_without_buildkit_is_reported_and_a_capable_one_chosen():
    clients = {c.path: c for c in docker_clients()}
    if "/usr/bin/docker" in clients:
        assert clients["/usr/bin/docker"].buildkit is True
    for client in clients.values():
        if not client.buildkit and client.version != "?":
            assert int(client.version.split(".")[0]) >= 23 and "buildx" in client.how


def script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def no_cached_compose():
    compose_command.cache_clear()
    yield
    compose_command.cache_clear()


def clients(monkeypatch: pytest.MonkeyPatch, *paths: str) -> None:
    found = tuple(SimpleNamespace(path=path) for path in paths)
    monkeypatch.setattr(clients_module, "docker_clients", lambda: found)


def test_the_first_client_with_the_compose_plugin(no_cached_compose, monkeypatch, tmp_path):
    without = script(tmp_path / "old-docker", 'echo "unknown command: compose" >&2; exit 1\n')
    with_plugin = script(tmp_path / "docker", '[ "$1 $2" = "compose version" ] && echo v2.20 && exit 0; exit 1\n')
    clients(monkeypatch, str(tmp_path / "gone"), without, with_plugin)
    assert compose_command() == (with_plugin, "compose")


def test_else_docker_compose_on_path_else_none(no_cached_compose, monkeypatch, tmp_path):
    clients(monkeypatch, script(tmp_path / "docker", "exit 1\n"))
    monkeypatch.setattr("shutil.which", lambda name: "/opt/bin/docker-compose" if name == "docker-compose" else None)
    assert compose_command() == ("/opt/bin/docker-compose",)
    compose_command.cache_clear()
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert compose_command() is None


def test_compose_version_names_v1_and_v2(tmp_path):
    v2 = script(tmp_path / "docker", '[ "$1 $2 $3" = "compose version --short" ] && echo 2.26.1 && exit 0; exit 1\n')
    v1 = script(tmp_path / "docker-compose", '[ "$1 $2" = "version --short" ] && echo 1.29.2 && exit 0; exit 1\n')
    assert compose_version((v2, "compose")) == "Compose 2.26.1 (docker compose)"
    assert compose_version((v1,)) == "docker-compose 1.29.2"


def test_a_client_describes_its_builder():
    assert DockerClient("/d", "26.1.5", True, "buildx", "0.13.1").describe() == "docker 26.1.5 (buildx 0.13.1)"
    assert DockerClient("/d", "20.10.24", True, "builtin").describe() == "docker 20.10.24 (BuildKit built in)"


@pytest.fixture
def fresh_clients():
    docker_clients.cache_clear()
    yield
    docker_clients.cache_clear()


@pytest.mark.engine
def test_the_engines_own_client_builds_and_without_its_plugins_a_23_client_cannot(engine, fresh_clients, monkeypatch,
                                                                                  tmp_path):
    """The client that builds is the session engine's own: 26.1 through its buildx plugin, 20.10
    with BuildKit built in. In a DOCKER_CONFIG without plugins 26.1's cannot, 20.10's still can."""
    import dockerlab

    own = os.path.realpath(dockerlab.DOCKER)
    chosen = buildkit_client()
    assert os.path.realpath(chosen.path) == own
    if dockerlab.ENGINE.plugins:
        assert chosen.how == "buildx" and re.match(r"^\d+\.\d+", chosen.buildx or ""), chosen
        assert chosen.describe() == f"docker {chosen.version} (buildx {chosen.buildx})"
    else:
        assert chosen.how == "builtin" and chosen.describe().endswith("(BuildKit built in)")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    docker_clients.cache_clear()
    bare = next(c for c in docker_clients() if os.path.realpath(c.path) == own)
    if dockerlab.ENGINE.plugins:
        assert (bare.buildkit, bare.how) == (False, "BuildKit requested but the buildx component is missing")
    else:
        assert (bare.buildkit, bare.how) == (True, "builtin")


@pytest.fixture
def only(tmp_path, monkeypatch):
    """docker_clients() sees one client, the script given, and remembers in the test's state folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(clients_module, "CANDIDATE_CLIENTS", ())

    def found(path: str) -> tuple[DockerClient, ...]:
        monkeypatch.setenv("RUNNER_DOCKER", path)
        docker_clients.cache_clear()
        return docker_clients()

    yield found
    docker_clients.cache_clear()


def test_a_probed_client_is_remembered_until_it_or_its_buildx_changes(tmp_path, only):
    """The probe runs two CLI commands per client on every diagnose; the state folder keeps
    its answer, keyed by the binary and every buildx plugin it could load."""
    calls = tmp_path / "calls"
    docker = script(tmp_path / "docker", f'echo "$@" >> {calls}\n'
                    'plugin="$DOCKER_CONFIG/cli-plugins/docker-buildx"\n'
                    'case "$1" in version) echo 27.3.1;; buildx) [ -x "$plugin" ] && exec "$plugin"; exit 1;; esac\n')
    (first,) = only(docker)
    assert (first.version, first.buildkit) == ("27.3.1", False)
    assert only(docker) == (first,)
    assert len(calls.read_text().splitlines()) == 2  # probed once: version, buildx version

    plugin = tmp_path / "config" / "cli-plugins"
    plugin.mkdir(parents=True)
    script(plugin / "docker-buildx", "echo 'github.com/docker/buildx v0.17.1 abc'\n")  # the binary is unchanged
    (again,) = only(docker)
    assert (again.buildkit, again.buildx) == (True, "0.17.1")
    assert len(calls.read_text().splitlines()) == 4


def test_a_client_that_does_not_run_is_probed_again_next_time(tmp_path, only):
    broken = script(tmp_path / "docker", "exit 3\n")
    assert only(broken)[0].how == "does not run"
    assert (tmp_path / "state" / "runner" / "cache" / "docker-clients.json").read_text() == "{}"
