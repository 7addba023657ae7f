"""The `build-cache-disk-full` playbook through the runner (its `disk-usage` check's own
readings are in tests/checks/test_disk.py).

Without an engine: search finds it. On the real engine: `docker system df` output and a build
that runs out of space (a RUN step filling its own 64 MB /dev/shm) are triaged to this
playbook; a multi-stage project FROM the session's labelled base writes 4 MiB per build in a
stage no image holds, measured by a unique token in its RUN command (`cache_scope`), so the
causes are decided on this test's records only, with thresholds: within budget (ok), over
budget, and a disk short of space (forced with min_free=100%) with the cache over or within
budget. The fix is only planned (`--dry-run`): it would prune the whole engine's idle cache,
and nothing is pruned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import dockerlab
import pytest

from runner.triage.index import triage
from runner.triage.search import search

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
PLAYBOOK = "build-cache-disk-full"
MiB = 1024 * 1024


# --- without an engine --------------------------------------------------------------------


@pytest.mark.parametrize("query", ["디스크", "빌드 캐시 디스크", "디스크를 채움", "disk full", "keep-storage",
                                   "no space left", "builder prune until"])
def test_search_finds_it_in_both_languages(catalogue, query):
    assert PLAYBOOK in [m.id for m in search(catalogue, query, "en")]


# --- on the engine ------------------------------------------------------------------------

DOCKERFILE = """\
FROM {base} AS deps
WORKDIR /src
COPY package.json ./
RUN echo "deps {token}" && dd if=/dev/zero of=/deps.bin bs=1M count=4 2>/dev/null && md5sum /deps.bin package.json > /deps.sum

FROM {base}
COPY --from=deps /deps.sum /app/deps.sum
"""


class Project:
    def __init__(self, root: Path) -> None:
        self.token = f"runner-test-{dockerlab.SESSION}-cache-{uuid.uuid4().hex[:6]}"
        self.root = root
        self.tag = f"{self.token}:dev"
        root.mkdir(parents=True)
        (root / "Dockerfile").write_text(DOCKERFILE.format(base=dockerlab.BASE_IMAGE, token=self.token))
        self.version = 0
        self.bump()

    def bump(self) -> None:
        self.version += 1
        (self.root / "package.json").write_text(json.dumps({"name": self.token, "version": f"1.0.{self.version}"}))

    def build(self) -> None:
        dockerlab.docker("build", "--progress=plain", "-t", self.tag, str(self.root))

    @property
    def scope(self) -> str:
        return f"^mount / from exec .*deps {self.token}"


@pytest.fixture
def project(engine, tmp_path):
    made = Project(tmp_path / "app")
    yield made
    dockerlab.docker("rmi", "-f", made.tag, check=False)


def diagnose(*params: str) -> tuple[int, dict]:
    return dockerlab.diagnose(PLAYBOOK, *params)


@pytest.mark.engine
def test_healthy_engine_is_ok(engine):
    code, report = diagnose("min_free=1MB", "cache_budget=100GB")
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report
    disk = {c["id"]: c for c in report["checks"]}["disk"]
    assert disk["status"] == "pass"
    assert disk["evidence"]["low_space"] is False and disk["evidence"]["cache_over_budget"] is False
    assert disk["evidence"]["filesystem"]["path"] == disk["evidence"]["docker_root"]


@pytest.mark.engine
def test_each_cause_by_thresholds_on_this_tests_records(project):
    project.build()
    within = ("cache_budget=6MB", f"cache_scope={project.scope}")
    code, report = diagnose("min_free=1MB", *within)
    assert (code, report["status"]) == (0, "ok"), report
    evidence = {c["id"]: c for c in report["checks"]}["disk"]["evidence"]
    assert evidence["cache"]["records"] == 1 and 4 * MiB <= evidence["cache"]["bytes"] < 5 * MiB
    code, report = diagnose("min_free=100%", *within)
    assert (code, report["cause"]["id"]) == (1, "disk-full-not-build-cache"), report

    project.bump()
    project.build()
    code, report = diagnose("min_free=1MB", *within)
    assert (code, report["cause"]["id"], report["fix"]) == (1, "cache-over-budget", "prune-idle-cache"), report
    assert report["cause"]["evidence"]["disk"]["cache"]["records"] == 2
    code, report = diagnose("min_free=100%", *within)
    assert (code, report["cause"]["id"]) == (1, "build-cache-fills-disk"), report

    # The disk of an engine this check cannot measure is never called full.
    code, report = diagnose("min_free=100%", "data_root=/nonexistent/docker", *within)
    assert report["cause"]["id"] == "cache-over-budget"
    disk = {c["id"]: c for c in report["checks"]}["disk"]
    assert disk["status"] == "fail" and "low_space" not in disk["evidence"]


@pytest.mark.engine
def test_the_fix_is_planned_scoped_and_not_run_in_a_dry_run(project, tmp_path):
    project.build()
    project.bump()
    project.build()
    params = ("--param", "cache_budget=6MB", "--param", f"cache_scope={project.scope}")
    done = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(PLAYBOOKS), "fix", PLAYBOOK, *params,
                           "--dry-run", "--lang", "en"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")})
    assert done.returncode == 1, done.stderr
    assert "docker builder prune -f --filter until=168h" in done.stdout
    assert "destructive" in done.stdout
    code, report = diagnose("min_free=1MB", "cache_budget=6MB", f"cache_scope={project.scope}")
    assert report["cause"]["id"] == "cache-over-budget"  # nothing was pruned


@pytest.mark.engine
def test_real_system_df_output_ranks_this_playbook_first(catalogue, engine):
    output = dockerlab.docker("system", "df").stdout
    assert "Build Cache" in output
    matches = triage(catalogue, output)
    assert matches[0].id == PLAYBOOK
    assert [s.key for s in matches[0].symptoms] == ["build-cache-large"]


@pytest.mark.engine
def test_a_build_out_of_space_ranks_this_playbook_first(catalogue, engine, tmp_path):
    (tmp_path / "Dockerfile").write_text(f"FROM {dockerlab.BASE_IMAGE}\n"
                                         "RUN dd if=/dev/zero of=/dev/shm/fill bs=1M count=80 || "
                                         "{ df -h /dev/shm; exit 1; }\n")
    done = dockerlab.docker("build", "--progress=plain", str(tmp_path), check=False)
    log = done.stdout + done.stderr
    assert done.returncode == 1 and "No space left on device" in log
    matches = triage(catalogue, log)
    assert matches[0].id == PLAYBOOK, [(m.id, m.score) for m in matches]
    assert {s.key for s in matches[0].symptoms} == {"no-space-left", "disk-almost-full"}
