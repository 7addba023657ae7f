"""A fix cut off in the middle of a recreate, on the real engine (runner/fix/journal.py).

SIGKILL (a reboot, the OOM killer) at every point of the Engine-API recreate (and of the volume
refill, which removes the container and makes it again), then `runner fix
--recover`: the container serves again with its configuration and nothing named
`*-runner-old-*` or `*-runner-new-*` is left. SIGTERM at the riskiest points of a whole `runner
fix`: the step finishes and the report is written. A killed fix is named by `diagnose` and
undone by the next fix, which then does its job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import dockerlab
import pytest
from cutoff import CUT_POINTS, REFILL_CUT_POINTS
from dockerlab import FAST_STOP, LABEL, SESSION, docker

from runner.fix.journal import pending

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
CUT_OFF = Path(__file__).resolve().parents[1] / "cutoff.py"
# Where the recreate is left when it stops there: undone (the old container again) or finished.
RECOVERED_AS = {"create": "restored", "created": "restored", "rename-old": "restored", "rename-new": "restored",
                "stop": "restored", "start": "restored", "remove": "finished", "removed": "finished"}


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


@pytest.fixture
def served(engine, tmp_path):
    """A running container with a configuration of its own: env, labels, a user network, a volume."""
    import uuid

    name = f"runner-test-{SESSION}-{uuid.uuid4().hex[:6]}"
    docker("network", "create", "--label", f"{LABEL}={SESSION}", f"{name}-net")
    docker("volume", "create", "--label", f"{LABEL}={SESSION}", f"{name}-data")
    docker("run", "-d", "--name", name, "--label", f"{LABEL}={SESSION}", "--label", "keep=me", "-e", "MODE=prod",
           "--network", f"{name}-net", "--network-alias", "api", "-v", f"{name}-data:/data",
           "--restart", "unless-stopped", dockerlab.BASE_IMAGE, *FAST_STOP)
    yield name
    for suffix in ("", "-runner-"):
        found = docker("ps", "-aq", "--filter", f"name={name}{suffix}").stdout.split()
        if found:
            docker("rm", "-f", *found, check=False)
    docker("network", "rm", f"{name}-net", check=False)
    docker("volume", "rm", "-f", f"{name}-data", check=False)


def configuration(name: str) -> dict:
    attrs = json.loads(docker("inspect", name).stdout)[0]
    network = attrs["NetworkSettings"]["Networks"][f"{name}-net"]
    return {"running": attrs["State"]["Running"], "env": sorted(attrs["Config"]["Env"]),
            "labels": attrs["Config"]["Labels"], "cmd": attrs["Config"]["Cmd"],
            "restart": attrs["HostConfig"]["RestartPolicy"]["Name"], "alias": "api" in (network.get("Aliases") or []),
            "mounts": sorted((m.get("Name"), m["Destination"]) for m in attrs["Mounts"])}


def container_id(name: str) -> str:
    return docker("inspect", "-f", "{{.Id}}", name).stdout.strip()


def leftovers(name: str) -> list[str]:
    return docker("ps", "-a", "--format", "{{.Names}}", "--filter", f"name={name}-runner-").stdout.split()


def runner(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), *args],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "300"})


def cut_off(point: str, signame: str, *argv: str, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CUT_OFF), point, signame, *argv], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "300"})


@pytest.mark.parametrize("point", list(CUT_POINTS))
def test_a_recreate_killed_at_any_point_is_recovered_with_its_configuration(served, point):
    host = os.environ["DOCKER_HOST"]
    before, old_id = configuration(served), container_id(served)
    killed = cut_off(point, "SIGKILL", "recreate", served, host)
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert [j.name for j in pending(host, served)] == [served], "the cut-off recreate left no journal"

    done = runner("fix", "buildkit-stale", "--recover", "--json", "--param", f"container={served}")
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["outcome"] == "recovered", done.stderr
    assert [r["outcome"] for r in report["recovered"]] == [RECOVERED_AS[point]], report["recovered"]
    assert configuration(served) == before
    assert (container_id(served) == old_id) is (RECOVERED_AS[point] == "restored")
    assert leftovers(served) == [] and pending(host) == []

    again = runner("fix", "buildkit-stale", "--recover", "--json", "--param", f"container={served}")
    assert again.returncode == 0 and json.loads(again.stdout)["recovered"] == []


REFILLED_AS = {"remove-container": "restored", "empty-volumes": "finished", "create-again": "finished",
               "refilled": "finished"}


@pytest.mark.parametrize("point", list(REFILL_CUT_POINTS))
def test_a_refill_killed_at_any_point_gets_its_container_back(served, point):
    host = os.environ["DOCKER_HOST"]
    before = configuration(served)
    killed = cut_off(point, "SIGKILL", "refill", served, host, f"{served}-data", "/data")
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL

    done = runner("fix", "buildkit-stale", "--recover", "--json", "--param", f"container={served}")
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["outcome"] == "recovered", done.stderr
    assert [r["outcome"] for r in report["recovered"]] == [REFILLED_AS[point]], report["recovered"]
    assert configuration(served) == before  # running, with its env, labels, network alias and volume
    assert pending(host) == []


# --- a whole `runner fix` -------------------------------------------------------------------------


def fix_argv(project: dockerlab.Project, *extra: str) -> list[str]:
    return ["--playbooks", str(ROOT / "playbooks"), "fix", "buildkit-stale", "--lang", "en", "--yes", "--json",
            "--param", f"image={project.image}", "--param", f"context={project.root}",
            "--param", f"container={project.container}", *extra]


def assert_serving_the_fix(project: dockerlab.Project) -> None:
    assert docker("inspect", "-f", "{{.State.Running}}", project.container).stdout.strip() == "true"
    assert leftovers(project.container) == []
    assert "'/login?error=no_token'" in project.read("/app/dist/server/routes/authRoutes.js")


@pytest.mark.parametrize("point", ["rename-new", "start", "remove"])
def test_sigterm_at_a_recreate_step_finishes_it_and_writes_the_report(project, state_home, point):
    project.deploy_then_fix_the_source()
    process = cut_off(point, "SIGTERM", "runner", *fix_argv(project), cwd=project.root)
    out, err = process.communicate(timeout=300)
    report = json.loads(out)
    assert process.returncode == 130 and report["outcome"] == "interrupted", err
    assert report["rounds"][0]["steps"][0]["status"] == "ok", json.dumps(report, indent=1)
    assert list((state_home / "runner" / "runs").glob("*.json")), "no run report was written"
    assert pending(os.environ["DOCKER_HOST"]) == []
    assert_serving_the_fix(project)


def test_a_killed_fix_is_named_by_diagnose_and_undone_by_the_next_fix(project):
    project.deploy_then_fix_the_source()
    killed = cut_off("start", "SIGKILL", "runner", *fix_argv(project), cwd=project.root)
    killed.communicate(timeout=300)
    assert killed.returncode == -signal.SIGKILL
    # the old container is stopped aside, the new one not started: nothing serves
    assert docker("inspect", "-f", "{{.State.Running}}", project.container).stdout.strip() == "false"

    looked = runner("diagnose", "buildkit-stale", "--json", "--param", f"image={project.image}",
                    "--param", f"context={project.root}", "--param", f"container={project.container}")
    seen = json.loads(looked.stdout)
    assert looked.returncode == 1 and seen["status"] == "problem", looked.stderr
    assert len(seen["interrupted_fixes"]) == 1 and "starting the new container" in seen["interrupted_fixes"][0]
    shown = runner("diagnose", "buildkit-stale", "--param", f"image={project.image}",
                   "--param", f"context={project.root}", "--param", f"container={project.container}")
    assert "runner fix --recover" in shown.stdout

    done = subprocess.run([sys.executable, "-m", "runner", *fix_argv(project)], capture_output=True, text=True,
                          timeout=300, cwd=project.root, stdin=subprocess.DEVNULL)
    report = json.loads(done.stdout)
    assert [r["outcome"] for r in report["recovered"]] == ["restored"], report["recovered"]
    assert (done.returncode, report["outcome"], report["verdict"]) == (0, "applied", "resolved"), done.stderr
    assert_serving_the_fix(project)
