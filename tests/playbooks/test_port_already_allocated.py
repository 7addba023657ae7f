"""The `port-already-allocated` playbook and its `host-port` check on the real engine.

Busybox containers (labelled runner.test=<session>) publish a port picked free on 127.0.0.1;
a Python socket server on 127.0.0.1 is the host process. The errors are captured from real
`docker run`s and triaged; each cause is diagnosed through the CLI, and a free port and a
port only a stopped container declares diagnose `ok`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

import dockerlab
from runner.playbook.catalogue import load_catalogue
from runner.checks.kinds import HostPortArgs
from runner.checks.ports import host_port, listening_sockets, overlaps
from runner.checks.result import CheckContext
from runner.triage.index import triage

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
NEW_CLIENT = "/usr/local/bin/docker"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(PLAYBOOKS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Containers:
    """Containers of one test, named and labelled, removed at the end."""

    def __init__(self) -> None:
        self.prefix = f"runner-test-{dockerlab.SESSION}-port-{uuid.uuid4().hex[:6]}"
        self.made: list[str] = []

    def name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    def run(self, suffix: str, port: int, client: str = dockerlab.DOCKER) -> subprocess.CompletedProcess:
        name = self.name(suffix)
        self.made.append(name)
        return dockerlab.run([client, "run", "-d", "--name", name, "--label", f"{dockerlab.LABEL}={dockerlab.SESSION}",
                              "-p", f"127.0.0.1:{port}:80", dockerlab.BASE_IMAGE, *dockerlab.FAST_STOP], check=False)

    def remove(self) -> None:
        if self.made:
            dockerlab.docker("rm", "-f", *dict.fromkeys(self.made), check=False)


@pytest.fixture
def containers(engine):
    made = Containers()
    yield made
    made.remove()


@pytest.fixture
def server():
    """A host process listening on a 127.0.0.1 port (this test process itself)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                sock.accept()[0].close()
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    sock.close()


def diagnose(**params: str | int) -> tuple[int, dict]:
    return dockerlab.diagnose("port-already-allocated", *(f"{name}={value}" for name, value in params.items()))


# --- logs from real runs rank the playbook first ------------------------------------------


@pytest.mark.engine
def test_port_already_allocated_log_ranks_it_first(catalogue, containers):
    port = free_port()
    assert containers.run("holder", port).returncode == 0
    second = containers.run("app", port)
    assert second.returncode == 125
    log = second.stdout + second.stderr
    assert f"Bind for 127.0.0.1:{port} failed: port is already allocated" in log
    matches = triage(catalogue, log)
    assert matches[0].id == "port-already-allocated", [m.id for m in matches]
    assert [s.key for s in matches[0].symptoms] == ["port-already-allocated"]
    # the same command again: the failed run left its container behind
    again = containers.run("app", port)
    matches = triage(catalogue, log + again.stderr)
    assert matches[0].id == "port-already-allocated"
    assert {s.key for s in matches[0].symptoms} == {"port-already-allocated", "container-left-created"}


@pytest.mark.engine
def test_address_in_use_log_ranks_it_first_with_both_clients(catalogue, containers, server):
    clients = [dockerlab.DOCKER] + ([NEW_CLIENT] if os.access(NEW_CLIENT, os.X_OK) else [])
    for number, client in enumerate(clients):
        done = containers.run(f"app{number}", server, client=client)
        assert done.returncode == 125
        assert f"listen tcp4 127.0.0.1:{server}: bind: address already in use" in done.stderr
        triaged = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(PLAYBOOKS), "triage", "--json"],
                                 input=done.stderr, capture_output=True, text=True, timeout=120)
        assert triaged.returncode == 0, triaged.stderr
        first = json.loads(triaged.stdout)["matches"][0]
        assert first["id"] == "port-already-allocated", client
        assert [s["id"] for s in first["symptoms"]] == ["address-already-in-use"]


@pytest.mark.parametrize("query", ["포트 충돌", "포트를 잡은 컨테이너", "호스트 포트", "port already allocated",
                                   "address already in use", "publish port"])
def test_search_finds_it_in_korean_and_english(catalogue, query):
    assert "port-already-allocated" in dockerlab.found_by_search(catalogue, query)


# --- runner diagnose on the real engine ---------------------------------------------------


@pytest.mark.engine
def test_diagnose_names_the_holding_container(containers):
    port = free_port()
    containers.run("holder", port)
    containers.run("app", port)
    code, report = diagnose(container=containers.name("app"))
    assert (code, report["status"], report["cause"]["id"]) == (1, "problem", "port-held-by-container"), report
    evidence = report["cause"]["evidence"]["port"]
    assert evidence["holder"] == containers.name("holder")
    assert evidence["bindings"] == [f"127.0.0.1:{port}/tcp"]
    assert f"held by container {containers.name('holder')} (running, 127.0.0.1:{port}->80/tcp)" in evidence["summary"]
    # a docker-proxy listens for the holder: it is the container's, not a host process
    assert [p["container"] for p in evidence["proxies"]] in ([containers.name("holder")], [])
    assert evidence["processes"] == []


@pytest.mark.engine
def test_diagnose_names_the_host_process(containers, server):
    containers.run("app", server)
    code, report = diagnose(port=server, host_ip="127.0.0.1", container=containers.name("app"))
    assert (code, report["cause"]["id"]) == (1, "port-held-by-host-process"), report
    evidence = report["cause"]["evidence"]["port"]
    assert evidence["process_pid"] == os.getpid()
    assert evidence["holders"] == []
    assert f"(pid {os.getpid()}:" in evidence["summary"]


@pytest.mark.engine
def test_free_port_and_a_port_only_a_stopped_container_declares_are_ok(containers):
    port = free_port()
    code, report = diagnose(port=port, host_ip="127.0.0.1")
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report
    containers.run("holder", port)
    dockerlab.docker("stop", containers.name("holder"))
    code, report = diagnose(port=port, host_ip="127.0.0.1")
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report
    summary = next(c["summary"] for c in report["checks"] if c["id"] == "port")
    assert f"declared, not held, by stopped container {containers.name('holder')} (exited)" in summary
    # and indeed another container starts on it
    assert containers.run("app", port).returncode == 0


@pytest.mark.engine
def test_the_failing_containers_own_binding_is_checked_and_it_is_never_the_holder(containers):
    port = free_port()
    assert containers.run("app", port).returncode == 0
    result = host_port(HostPortArgs(container=containers.name("app")), CheckContext())
    assert result.status == "pass", result.summary
    assert result.evidence["bindings"] == [f"127.0.0.1:{port}/tcp"]
    assert result.evidence["suggested_port"] not in (None, port)


@pytest.mark.engine
def test_bad_arguments_are_errors(engine):
    ctx = CheckContext()
    assert host_port(HostPortArgs(port="eighty"), ctx).status == "error"
    assert host_port(HostPortArgs(port="70000"), ctx).status == "error"
    assert host_port(HostPortArgs(port="80", protocol="sctp"), ctx).status == "error"
    assert host_port(HostPortArgs(), ctx).status == "error"
    assert host_port(HostPortArgs(container="runner-test-absent-never"), ctx).status == "error"


# --- pieces, without an engine ------------------------------------------------------------


@pytest.mark.parametrize("a, b, clash", [
    ("127.0.0.1", "127.0.0.1", True), ("", "127.0.0.1", True), ("0.0.0.0", "127.0.0.1", True),
    ("127.0.0.1", "0.0.0.0", True), ("::", "127.0.0.1", True), ("127.0.0.1", "127.0.0.2", False),
    ("::1", "127.0.0.1", False), ("0.0.0.0", "::1", False), ("::", "::1", True),
])
def test_which_addresses_compete(a, b, clash):
    assert overlaps(a, b) is clash


def test_listening_sockets_reads_proc(server):
    found = [s for s in listening_sockets("tcp") if s["port"] == server]
    assert found and found[0]["address"] == "127.0.0.1" and found[0]["inode"] > 0
