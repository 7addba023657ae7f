"""The `host-port` check: which addresses compete for a port and the listening sockets read
from /proc, without an engine; on the real engine, the failing container's own binding, a port
another engine on this host publishes, and bad arguments. Its playbook's cases are in tests/playbooks/test_port_already_allocated.py."""

from __future__ import annotations

import os
import shutil
import subprocess

import dockerlab
import engines
import pytest

from runner.checks.kinds import HostPortArgs
from runner.checks.ports import host_port, listening_sockets, overlaps
from runner.checks.result import CheckContext


@pytest.mark.parametrize("a, b, clash", [
    ("127.0.0.1", "127.0.0.1", True), ("", "127.0.0.1", True), ("0.0.0.0", "127.0.0.1", True),
    ("127.0.0.1", "0.0.0.0", True), ("::", "127.0.0.1", True), ("127.0.0.1", "127.0.0.2", False),
    ("::1", "127.0.0.1", False), ("0.0.0.0", "::1", False), ("::", "::1", True),
])
def test_which_addresses_compete(a, b, clash):
    assert overlaps(a, b) is clash


def test_listening_sockets_reads_proc(port_listener):
    found = [s for s in listening_sockets("tcp") if s["port"] == port_listener]
    assert found and found[0]["address"] == "127.0.0.1" and found[0]["inode"] > 0


@pytest.mark.engine
def test_the_failing_containers_own_binding_is_checked_and_it_is_never_the_holder(port_containers):
    port = dockerlab.free_port()
    assert port_containers.run("app", port).returncode == 0
    result = host_port(HostPortArgs(container=port_containers.name("app")), CheckContext())
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


@pytest.mark.engine
def test_a_port_another_engine_on_this_host_publishes_is_held(engine, tmp_path):
    """Its docker-proxy belongs to no container of this engine: still a holder, never 'free'."""
    other = engines.engine("26.1" if dockerlab.ENGINE.name == "20.10" else "20.10")
    engines.ensure([other.name], say=lambda line: None)
    env = {**os.environ, **other.env(), "DOCKER_BUILDKIT": "1"}
    name = f"runner-test-{dockerlab.SESSION}-port-elsewhere"
    (tmp_path / "Dockerfile").write_text(f"FROM scratch\nLABEL {dockerlab.LABEL}={dockerlab.SESSION}\n"
                                         'COPY busybox /bin/busybox\nCMD ["/bin/busybox", "sleep", "600"]\n')
    shutil.copy(shutil.which("busybox") or "/bin/busybox", tmp_path / "busybox")

    def docker(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([other.client, *args], capture_output=True, text=True, env=env, timeout=300)

    port = dockerlab.free_port()
    try:
        assert docker("build", "-q", "-t", name, str(tmp_path)).returncode == 0
        started = docker("run", "-d", "--name", name, "--label", f"{dockerlab.LABEL}={dockerlab.SESSION}",
                         "-p", f"127.0.0.1:{port}:80", name)
        assert started.returncode == 0, started.stderr
        result = host_port(HostPortArgs(port=str(port), host_ip="127.0.0.1"), CheckContext())
        assert result.status == "fail", result.summary
        assert result.evidence["process_name"] == "docker-proxy"
        assert "another engine" in result.evidence["processes"][0]["note"]
    finally:
        docker("rm", "-f", name)
        docker("rmi", "-f", name)
