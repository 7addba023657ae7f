"""tests/engines.py, the helper that starts the extra engines: a restart of one of ours leaves
the host's docker0 alone (a Docker 26 daemon with an address pool deleted it on restart)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import engines
import pytest


def interface_index(name: str) -> int | None:
    index = Path(f"/sys/class/net/{name}/ifindex")
    return int(index.read_text()) if index.exists() else None


def test_every_engine_but_the_hosts_has_a_bridge_of_its_own():
    bridges = [chosen.bridge for chosen in engines.ENGINES.values() if chosen.bridge]
    assert bridges and "docker0" not in bridges and len(set(bridges)) == len(bridges)


@pytest.mark.engine
def test_restarting_an_engine_of_ours_leaves_docker0_as_it_was(engine):
    # Only the session's own engine is restarted: its lock is held, so no other test session
    # or lab is using it (restarting another would cut their builds off).
    chosen = engines.engine(os.environ["RUNNER_TEST_ENGINE"])
    if not chosen.bridge:
        pytest.skip("the session's engine is the host's; run with --engine 26.1 to restart one of ours")
    engines.ensure([chosen.name], say=lambda line: None)
    before = interface_index("docker0")
    if before is None:
        pytest.skip("this host has no docker0")
    pid = int((engines.RUN / f"{chosen.name}.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    for _ in range(120):
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.25)
    engines.ensure([chosen.name], say=lambda line: None)
    assert engines.answers(chosen)
    assert interface_index("docker0") == before
    # and the host engine still gives its containers a network
    done = subprocess.run(["ip", "-o", "addr", "show", "docker0"], capture_output=True, text=True)
    assert "inet " in done.stdout
