"""The `host-port` check: which addresses compete for a port and the listening sockets read
from /proc, without an engine; on the real engine, the failing container's own binding and bad
arguments. Its playbook's cases are in tests/playbooks/test_port_already_allocated.py."""

from __future__ import annotations

import pytest

import dockerlab
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
