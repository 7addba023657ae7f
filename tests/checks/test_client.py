"""The `docker-client` check's decisions, without an engine: DOCKER_BUILDKIT read like Go's
ParseBool, what `docker build` does for each client and setting, BuildKit-only Dockerfile
syntax, a client that is not there; on the real engine, the default builder a pre-23 client
follows (the engine's `/_ping`). The check on the machine's real clients is exercised through
its playbook (tests/playbooks/test_buildx_missing.py)."""

from __future__ import annotations

import os

import pytest

from runner.checks.client import (
    Client,
    builder,
    buildkit_setting,
    buildkit_syntax,
    docker_client,
)
from runner.checks.kinds import DockerClientArgs
from runner.checks.result import CheckContext


def _client(version: str, buildx: str) -> Client:
    major = int(version.split(".")[0])
    return Client("/x/docker", "/x/docker", version, major, buildx, None, None, None)


@pytest.mark.parametrize("raw, setting", [
    (None, "unset"), ("", "unset"), ("1", "enabled"), ("true", "enabled"), ("TRUE", "enabled"), ("t", "enabled"),
    ("0", "disabled"), ("False", "disabled"), ("yes", "invalid"), ("on", "invalid"), (" 1", "invalid"),
])
def test_docker_buildkit_is_read_like_go_parsebool(raw, setting):
    assert buildkit_setting(raw) == setting


@pytest.mark.parametrize("version, buildx, setting, daemon, expected", [
    ("28.2.2", "missing", "enabled", None, "error-no-buildx"),
    ("28.2.2", "broken", "enabled", None, "error-no-buildx"),
    ("28.2.2", "missing", "unset", None, "legacy-fallback"),
    ("28.2.2", "missing", "disabled", None, "legacy"),
    ("28.2.2", "ok", "unset", None, "buildx"),
    ("28.2.2", "ok", "disabled", None, "legacy"),
    ("23.0.0", "missing", "enabled", None, "error-no-buildx"),
    ("20.10.24", "builtin-only", "enabled", None, "builtin"),
    ("20.10.24", "builtin-only", "unset", None, "legacy"),
    ("20.10.24", "builtin-only", "unset", "2", "builtin"),
    ("20.10.24", "builtin-only", "invalid", None, "error-invalid-env"),
])
def test_what_docker_build_does(version, buildx, setting, daemon, expected):
    assert builder(_client(version, buildx), setting, daemon) == expected


def test_buildkit_only_syntax_is_found(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "# syntax=docker/dockerfile:1\nFROM busybox\nRUN echo --mount is just text\n"
        "RUN --mount=type=cache,target=/c make\nCOPY --chmod=755 run.sh /\ncopy --link a /a\n"
        "RUN <<EOF\necho hi\nEOF\nRUN --network=none true\n")
    found = [(f["line"], f["feature"]) for f in buildkit_syntax(dockerfile)]
    assert found == [(4, "RUN --mount"), (5, "COPY --chmod"), (6, "COPY --link"), (7, "heredoc"),
                     (10, "RUN --network")]
    dockerfile.write_text("FROM busybox\nRUN echo hi\nCOPY a /a\n")
    assert buildkit_syntax(dockerfile) == []


def test_a_client_that_is_not_there_is_an_error(tmp_path):
    result = docker_client(DockerClientArgs(docker="docker", path=str(tmp_path)), CheckContext(cwd=tmp_path))
    assert result.status == "error" and "no `docker` on PATH" in result.summary
    result = docker_client(DockerClientArgs(docker=str(tmp_path / "nope")), CheckContext(cwd=tmp_path))
    assert result.status == "error"


OLD_CLIENT = "/usr/bin/docker"  # Debian's 20.10, BuildKit built in


@pytest.mark.engine
def test_a_pre23_client_follows_the_engines_default_builder(engine, tmp_path):
    """Engine 20.10 names no default builder (the legacy one); from 23 `/_ping` says
    Builder-Version: 2 and a pre-23 client without DOCKER_BUILDKIT builds with BuildKit."""
    import dockerlab

    if not os.access(OLD_CLIENT, os.X_OK):
        pytest.skip(f"needs Debian's docker 20.10 at {OLD_CLIENT}")
    result = docker_client(DockerClientArgs(docker=OLD_CLIENT, buildkit=""), CheckContext(cwd=tmp_path))
    if result.evidence["major"] >= 23:
        pytest.skip(f"{OLD_CLIENT} is {result.evidence['version']}, not a pre-23 client")
    server = dockerlab.docker("version", "--format", "{{.Server.Version}}").stdout.strip()
    if int(server.split(".")[0]) >= 23:
        assert (result.evidence["daemon_builder"], result.evidence["builder"], result.status) == ("2", "builtin", "pass")
    else:
        assert (result.evidence["daemon_builder"], result.evidence["builder"], result.status) == (None, "legacy", "warn")
    assert result.evidence["buildkit"] == "unset"
