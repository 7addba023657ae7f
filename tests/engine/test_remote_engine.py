"""A remote engine for real: `diagnose` and `fix` over `ssh://root@127.0.0.1:PORT`, through
Debian's sshd with keys made for the test (sshkit.py), in front of the session's engine. The
SDK and the docker CLI both go through the ssh client, as they do to a team's server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dockerlab
import pytest
import sshkit
from dockerlab import AUTH_V2, docker

pytestmark = [pytest.mark.engine,
              pytest.mark.skipif(not sshkit.available(), reason="needs root and openssh-server (make test installs it)")]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def remote(engine, tmp_path):
    with sshkit.ssh_engine(tmp_path / "ssh", os.environ["DOCKER_HOST"], dockerlab.DOCKER) as made:
        yield made


def runner(remote: sshkit.Remote, project: dockerlab.Project, command: str, *extra: str,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), command, "buildkit-stale",
            "--lang", "en", "--json", "--docker-host", remote.url, "--param", f"image={project.image}",
            "--param", f"context={project.root}", "--param", f"container={project.container}", *extra]
    # The local engine is not what is asked about: an answer from it would be a false pass.
    environment = {**(env or remote.env), "DOCKER_HOST": "unix:///nonexistent.sock"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=project.root,
                          stdin=subprocess.DEVNULL, env=environment)


def test_diagnose_and_fix_a_container_on_a_remote_engine_over_ssh(remote, project):
    project.build()
    project.run_fast_stopping("-e", "MODE=prod", "--label", "keep=me")
    old_id = docker("inspect", "-f", "{{.Id}}", project.container).stdout.strip()
    project.write("server/routes/authRoutes.ts", AUTH_V2)
    project.commit("fix redirect")
    project.build()

    looked = runner(remote, project, "diagnose")
    seen = json.loads(looked.stdout)
    assert (looked.returncode, (seen["cause"] or {}).get("id")) == (1, "container-not-recreated"), looked.stderr
    assert seen["engine"] == remote.url

    fixed = runner(remote, project, "fix", "--yes")
    report = json.loads(fixed.stdout)
    assert (fixed.returncode, report["verdict"]) == (0, "resolved"), fixed.stderr
    assert report["engine"] == remote.url
    attrs = json.loads(docker("inspect", project.container).stdout)[0]
    assert attrs["Id"] != old_id and attrs["State"]["Running"]
    assert "MODE=prod" in attrs["Config"]["Env"] and attrs["Config"]["Labels"]["keep"] == "me"
    assert "'/login?error=no_token'" in project.read("/app/dist/server/routes/authRoutes.js")


def test_an_ssh_host_that_does_not_know_the_key_is_one_line_and_exit_2(remote, project, tmp_path):
    stranger = dict(remote.env)
    stranger["PATH"] = os.environ["PATH"]  # the plain ssh: no key for 127.0.0.1, nor its host key
    looked = runner(remote, project, "diagnose", env=stranger)
    assert looked.returncode == 2, looked.stdout + looked.stderr
    assert "Traceback" not in looked.stderr and "the ssh connection ended" in looked.stdout, looked.stdout
