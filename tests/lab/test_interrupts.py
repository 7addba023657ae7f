"""Ctrl-C and SIGTERM during a lab: it stops with exit code 130 and still removes what it created."""

from __future__ import annotations

import signal
import uuid

import pytest
from labkit import lab_objects, start_slow_lab


@pytest.mark.engine
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_lab_cleans_up(engine, tmp_path, signum):
    import docker

    # A name of this test's own (other labs may run on the same engine): the container's.
    process, run_id = start_slow_lab(tmp_path / "playbooks", "t" + uuid.uuid4().hex[:10], docker.from_env().api)
    try:
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, out + err
    assert "interrupted" in err and "Traceback" not in err
    assert lab_objects(run_id) == []
