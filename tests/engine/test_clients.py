"""Which docker CLI: every client found is described, and one that cannot do BuildKit builds
says why (23 or later without buildx). The real clients of this machine."""

from __future__ import annotations

from runner.engine.clients import docker_clients


def test_a_client_without_buildkit_is_reported_and_a_capable_one_chosen():
    clients = {c.path: c for c in docker_clients()}
    if "/usr/bin/docker" in clients:
        assert clients["/usr/bin/docker"].buildkit is True
    for client in clients.values():
        if not client.buildkit and client.version != "?":
            assert int(client.version.split(".")[0]) >= 23 and "buildx" in client.how
