"""The `port-already-allocated` playbook through the runner on the real engine (its `host-port`
check's own cases are in tests/checks/test_ports.py).

Busybox containers (labelled runner.test=<session>) publish a port picked free on 127.0.0.1;
a Python socket server on 127.0.0.1 is the host process. The errors are captured from real
`docker run`s and `compose up`s on the session's engine (Compose v1 on 20.10, v2 on 26.1) and
triaged; each cause is diagnosed through the CLI, and a free port and a port only a stopped
container declares diagnose `ok`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dockerlab
import pytest

from runner.triage.index import triage

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
NEW_CLIENT = "/usr/local/bin/docker"


def diagnose(**params: str | int) -> tuple[int, dict]:
    return dockerlab.diagnose("port-already-allocated", *(f"{name}={value}" for name, value in params.items()))


# --- logs from real runs rank the playbook first ------------------------------------------


@pytest.mark.engine
def test_port_already_allocated_log_ranks_it_first(catalogue, port_containers):
    port = dockerlab.free_port()
    assert port_containers.run("holder", port).returncode == 0
    second = port_containers.run("app", port)
    assert second.returncode == 125
    log = second.stdout + second.stderr
    assert f"Bind for 127.0.0.1:{port} failed: port is already allocated" in log
    matches = triage(catalogue, log)
    assert matches[0].id == "port-already-allocated", [m.id for m in matches]
    assert [s.key for s in matches[0].symptoms] == ["port-already-allocated"]
    # the same command again: the failed run left its container behind
    again = port_containers.run("app", port)
    matches = triage(catalogue, log + again.stderr)
    assert matches[0].id == "port-already-allocated"
    assert {s.key for s in matches[0].symptoms} == {"port-already-allocated", "container-left-created"}


@pytest.mark.engine
def test_address_in_use_log_ranks_it_first_with_both_clients(catalogue, port_containers, port_listener):
    clients = [dockerlab.DOCKER] + ([NEW_CLIENT] if os.access(NEW_CLIENT, os.X_OK) else [])
    for number, client in enumerate(clients):
        done = port_containers.run(f"app{number}", port_listener, client=client)
        assert done.returncode == 125
        assert f"listen tcp4 127.0.0.1:{port_listener}: bind: address already in use" in done.stderr
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
def test_diagnose_names_the_holding_container(port_containers):
    port = dockerlab.free_port()
    port_containers.run("holder", port)
    port_containers.run("app", port)
    code, report = diagnose(container=port_containers.name("app"))
    assert (code, report["status"], report["cause"]["id"]) == (1, "problem", "port-held-by-container"), report
    evidence = report["cause"]["evidence"]["port"]
    assert evidence["holder"] == port_containers.name("holder")
    assert evidence["bindings"] == [f"127.0.0.1:{port}/tcp"]
    assert (f"held by container {port_containers.name('holder')} (running, 127.0.0.1:{port}->80/tcp)"
            in evidence["summary"])
    # a docker-proxy listens for the holder: it is the container's, not a host process
    assert [p["container"] for p in evidence["proxies"]] in ([port_containers.name("holder")], [])
    assert evidence["processes"] == []


@pytest.mark.engine
def test_diagnose_names_the_host_process(port_containers, port_listener):
    port_containers.run("app", port_listener)
    code, report = diagnose(port=port_listener, host_ip="127.0.0.1", container=port_containers.name("app"))
    assert (code, report["cause"]["id"]) == (1, "port-held-by-host-process"), report
    evidence = report["cause"]["evidence"]["port"]
    assert evidence["process_pid"] == os.getpid()
    assert evidence["holders"] == []
    assert f"(pid {os.getpid()}:" in evidence["summary"]


@pytest.mark.engine
def test_free_port_and_a_port_only_a_stopped_container_declares_are_ok(port_containers):
    port = dockerlab.free_port()
    code, report = diagnose(port=port, host_ip="127.0.0.1")
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report
    port_containers.run("holder", port)
    dockerlab.docker("stop", port_containers.name("holder"))
    code, report = diagnose(port=port, host_ip="127.0.0.1")
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report
    summary = next(c["summary"] for c in report["checks"] if c["id"] == "port")
    assert f"declared, not held, by stopped container {port_containers.name('holder')} (exited)" in summary
    # and indeed another container starts on it
    assert port_containers.run("app", port).returncode == 0


@pytest.mark.engine
def test_compose_up_log_ranks_it_first(catalogue, port_containers, tmp_path):
    """docker-compose 1.29 says "Cannot start service"; Compose v2 prints the engine's line as it
    is: both triage to this playbook, through the engine's own message."""
    if dockerlab.COMPOSE is None:
        pytest.skip(dockerlab.NO_COMPOSE)
    port = dockerlab.free_port()
    assert port_containers.run("holder", port).returncode == 0
    web = port_containers.name("web")
    port_containers.made.append(web)
    command = json.dumps(dockerlab.FAST_STOP)
    (tmp_path / "docker-compose.yml").write_text(
        f"services:\n  web:\n    image: {dockerlab.BASE_IMAGE}\n    container_name: {web}\n"
        f"    labels: {{{dockerlab.LABEL}: {dockerlab.SESSION}}}\n    command: {command}\n"
        f"    ports: [\"127.0.0.1:{port}:80\"]\n")
    project = f"runner-test-{dockerlab.SESSION}-port"
    try:
        log = dockerlab.compose(project, tmp_path, "up", "-d", check=False)
        assert f"Bind for 127.0.0.1:{port} failed: port is already allocated" in log, log
        assert dockerlab.docker("inspect", "-f", "{{.State.Status}}", web).stdout.strip() == "created"
        matches = triage(catalogue, log)
        assert matches[0].id == "port-already-allocated", [m.id for m in matches]
        symptoms = {s.key for s in matches[0].symptoms}
        if dockerlab.COMPOSE[-1] == "compose":  # v2
            assert f" Container {web}  Starting" in log and "Cannot start service" not in log
            assert symptoms == {"port-already-allocated"}
        else:
            assert "Cannot start service web: driver failed programming external connectivity" in log
            assert symptoms == {"port-already-allocated", "compose-cannot-start-service"}
    finally:
        dockerlab.compose(project, tmp_path, "down", "-t", "0", check=False)
