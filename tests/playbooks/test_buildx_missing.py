"""The `buildx-missing` playbook through the runner, on the machine's real clients (the
`docker-client` check's decisions are in tests/checks/test_client.py).

The lab machine has docker 28 without buildx at /usr/local/bin/docker and Debian's 20.10
(BuildKit built in) at /usr/bin/docker; the session's engine brings its own client
(dockerlab.DOCKER: 20.10, or 26.1 with buildx, which a DOCKER_CONFIG without plugins leaves
without buildx). Logs are captured from real builds with those clients on the session's
engine; each cause is made for real (a DOCKER_CONFIG of the test's own holds a broken
plugin) and diagnosed through the CLI; the healthy setups diagnose `ok`. What differs by
engine is said by engine: the 20.10 client follows the engine's default builder (legacy on
Engine 20.10, BuildKit from 23), and Compose v2 builds without buildx where v1 fails. Nothing
is installed and no engine setting is touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dockerlab
import pytest

from runner.checks.client import BUILDX_FROM, docker_client
from runner.checks.kinds import DockerClientArgs
from runner.checks.result import CheckContext
from runner.triage.index import triage

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
NEW_CLIENT = "/usr/local/bin/docker"  # 23 or later, no buildx
OLD_CLIENT = "/usr/bin/docker"  # 20.10, BuildKit built in


def _version(path: str) -> str | None:
    if not os.access(path, os.X_OK):
        return None
    done = subprocess.run([path, "version", "--format", "{{.Client.Version}}"], capture_output=True, text=True,
                          env={**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"}, timeout=30)
    return done.stdout.strip() or None


def _clients_missing() -> str | None:
    new, old = _version(NEW_CLIENT), _version(OLD_CLIENT)
    if new is None or int(new.split(".")[0]) < BUILDX_FROM:
        return f"needs a docker CLI 23 or later at {NEW_CLIENT} (found: {new})"
    if old is None or int(old.split(".")[0]) >= BUILDX_FROM:
        return f"needs Debian's docker 20.10 at {OLD_CLIENT} (found: {old})"
    config = Path("/nonexistent-runner-test-config")
    buildx = subprocess.run([NEW_CLIENT, "buildx", "version"], capture_output=True,
                            env={**os.environ, "DOCKER_CONFIG": str(config)}, timeout=30)
    if buildx.returncode == 0:
        return f"{NEW_CLIENT} has a working buildx plugin: nothing to reproduce"
    return None


CLIENTS_MISSING = _clients_missing()
needs_clients = pytest.mark.skipif(CLIENTS_MISSING is not None, reason=CLIENTS_MISSING or "")
# The session engine's own client: 23 or later (26.1, buildx as a plugin) or 20.10 (built in).
OWN_CLIENT = dockerlab.DOCKER
OWN_CLIENT_VERSION = _version(OWN_CLIENT) or "0"
OWN_CLIENT_USES_BUILDX = int(OWN_CLIENT_VERSION.split(".")[0]) >= BUILDX_FROM
BUILDX_ERROR = "ERROR: BuildKit is enabled but the buildx component is missing or broken."


def engine_defaults_to_buildkit() -> bool:
    """Engine 23 and later make BuildKit the default builder (`/_ping` says Builder-Version: 2)."""
    version = dockerlab.docker("version", "--format", "{{.Server.Version}}").stdout.strip()
    return int(version.split(".")[0]) >= 23

PLAIN = "FROM {base}\nWORKDIR /app\nCOPY app.txt ./\n"
MOUNT = PLAIN + "RUN --mount=type=cache,target=/root/.cache cp app.txt built.txt\n"


@pytest.fixture
def project(tmp_path):
    """A context with a plain Dockerfile and one with a cache mount, and an empty DOCKER_CONFIG."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "Dockerfile").write_text(PLAIN.format(base=dockerlab.BASE_IMAGE))
    (root / "Dockerfile.mount").write_text(MOUNT.format(base=dockerlab.BASE_IMAGE))
    (root / "app.txt").write_text("hello\n")
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text("{}\n")
    return root, config


def build(client: str, root: Path, config: Path, buildkit: str | None, *extra: str) -> subprocess.CompletedProcess:
    """A real build that must not succeed: nothing it could make is tagged or kept."""
    env = {**os.environ, "DOCKER_CONFIG": str(config)}
    env.pop("DOCKER_BUILDKIT", None)
    if buildkit is not None:
        env["DOCKER_BUILDKIT"] = buildkit
    return subprocess.run([client, "build", *extra, str(root)], capture_output=True, text=True, env=env, timeout=300,
                          cwd=root)


def broken_plugin(config: Path) -> Path:
    plugin = config / "cli-plugins" / "docker-buildx"
    plugin.parent.mkdir(parents=True, exist_ok=True)
    plugin.write_text("<html>404 Not Found</html>\n")
    plugin.chmod(0o755)
    return plugin


def diagnose(**params: str) -> tuple[int, dict]:
    return dockerlab.diagnose("buildx-missing", *(f"{name}={value}" for name, value in params.items()),
                              env={"DOCKER_BUILDKIT": None})


# --- logs from real builds rank the playbook first ----------------------------------------


@needs_clients
def test_buildx_error_log_ranks_buildx_missing_first(catalogue, project):
    root, config = project
    done = build(NEW_CLIENT, root, config, "1")
    assert done.returncode == 1, done.stderr
    log = done.stdout + done.stderr
    matches = triage(catalogue, log)
    assert matches and matches[0].id == "buildx-missing", [m.id for m in matches]
    assert "buildx-missing-error" in [s.key for s in matches[0].symptoms]
    assert matches[0].lines[0].text == "ERROR: BuildKit is enabled but the buildx component is missing or broken."


@pytest.mark.engine
@needs_clients
def test_legacy_fallback_log_ranks_buildx_missing_first(engine, catalogue, project):
    root, config = project
    done = build(NEW_CLIENT, root, config, None, "-f", str(root / "Dockerfile.mount"))
    assert done.returncode == 1, done.stderr
    log = done.stdout + done.stderr
    matches = triage(catalogue, log)
    assert matches[0].id == "buildx-missing", [m.id for m in matches]
    assert {s.key for s in matches[0].symptoms} >= {"legacy-builder-deprecated", "buildkit-syntax-rejected"}


@needs_clients
def test_broken_plugin_and_cli_triage(catalogue, project):
    root, config = project
    broken_plugin(config)
    done = build(NEW_CLIENT, root, config, "1")
    log = done.stdout + done.stderr
    assert "exec format error" in log
    triaged = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(PLAYBOOKS), "triage", "--json", "-"],
                             input=log, capture_output=True, text=True, timeout=120)
    assert triaged.returncode == 0, triaged.stderr
    first = json.loads(triaged.stdout)["matches"][0]
    assert first["id"] == "buildx-missing"
    assert {s["id"] for s in first["symptoms"]} == {"buildx-missing-error", "buildx-plugin-unusable"}


@needs_clients
def test_invalid_env_log_ranks_buildx_missing_first(catalogue, project):
    root, config = project
    done = build(OLD_CLIENT, root, config, "yes")
    assert done.returncode != 0
    assert triage(catalogue, done.stderr)[0].id == "buildx-missing"


@pytest.mark.parametrize("query", ["buildx 플러그인", "레거시 빌더", "BuildKit 클라이언트", "buildx missing",
                                   "legacy builder", "DOCKER_BUILDKIT"])
def test_search_finds_it_in_korean_and_english(catalogue, query):
    assert "buildx-missing" in dockerlab.found_by_search(catalogue, query)


# --- runner diagnose on the real clients --------------------------------------------------


@pytest.mark.engine
@needs_clients
@pytest.mark.parametrize("setup, cause", [
    ({"docker": NEW_CLIENT, "buildkit": "1"}, "client-on-path-without-buildx"),
    ({"buildkit": "1", "path": "/usr/local/bin"}, "no-buildkit-client"),
    ({"docker": NEW_CLIENT, "buildkit": ""}, "legacy-fallback-without-buildx"),
    ({"docker": NEW_CLIENT, "buildkit": "1", "broken": "yes"}, "buildx-plugin-broken"),
    ({"docker": OLD_CLIENT, "buildkit": "0", "dockerfile": "Dockerfile.mount"}, "buildkit-disabled-but-needed"),
    ({"docker": NEW_CLIENT, "buildkit": "0", "dockerfile": "Dockerfile.mount"}, "buildkit-disabled-but-needed"),
    ({"docker": OLD_CLIENT, "buildkit": "yes"}, "buildkit-env-invalid"),
])
def test_diagnose_names_each_cause(engine, project, setup, cause):
    root, config = project
    params = dict(setup)
    if params.pop("broken", None):
        broken_plugin(config)
    code, report = diagnose(context=str(root), docker_config=str(config), **params)
    assert report["status"] == "problem" and code == 1, report
    assert report["cause"]["id"] == cause
    client = next(c for c in report["checks"] if c["id"] == "client")
    assert report["cause"]["evidence"]["client"]["summary"] == client["summary"]


@pytest.mark.engine
@needs_clients
@pytest.mark.parametrize("setup", [
    {"docker": OLD_CLIENT, "buildkit": "1", "dockerfile": "Dockerfile.mount"},
    {"docker": NEW_CLIENT, "buildkit": "0"},
    {"docker": OLD_CLIENT, "buildkit": ""},
], ids=["20.10-buildkit", "28-legacy-chosen-plain-dockerfile", "20.10-legacy-default-plain-dockerfile"])
def test_healthy_setups_are_ok(engine, project, setup):
    root, config = project
    code, report = diagnose(context=str(root), docker_config=str(config), **setup)
    assert (code, report["status"], report["cause"]) == (0, "ok", None), report


@pytest.mark.engine
@needs_clients
def test_the_buildkit_client_it_names_builds_what_the_other_cannot(engine, project, tmp_path):
    """The fix's claim, by hand: the client the check names builds the cache-mount Dockerfile."""
    root, config = project
    result = docker_client(DockerClientArgs(docker=NEW_CLIENT, buildkit="1", docker_config=str(config),
                                            dockerfile=str(root / "Dockerfile.mount")), CheckContext(cwd=tmp_path))
    assert result.status == "fail" and result.evidence["builder"] == "error-no-buildx"
    assert result.evidence["buildkit_client"] == OLD_CLIENT
    iid = tmp_path / "iid"
    env = {**os.environ, "DOCKER_BUILDKIT": "1", "DOCKER_CONFIG": str(config)}
    done = subprocess.run([result.evidence["buildkit_client"], "build", "--iidfile", str(iid), "-f",
                           str(root / "Dockerfile.mount"), str(root)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    # untagged; the base image's label lets the session's janitor remove it
    assert dockerlab.docker("image", "inspect", "-f", "{{index .Config.Labels \"runner.test\"}}",
                            iid.read_text().strip()).stdout.strip() == dockerlab.SESSION


@pytest.mark.engine
@needs_clients
def test_the_20_10_client_follows_the_engines_default_builder(engine, project, tmp_path):
    """Without DOCKER_BUILDKIT: the legacy builder on Engine 20.10 (it fails on RUN --mount and
    the diagnosis names it), BuildKit on Engine 23 and later (it builds and the diagnosis is ok)."""
    root, config = project
    done = build(OLD_CLIENT, root, config, None, "--iidfile", str(tmp_path / "iid"), "-f",
                 str(root / "Dockerfile.mount"))
    code, report = diagnose(docker=OLD_CLIENT, buildkit="", context=str(root), docker_config=str(config),
                            dockerfile="Dockerfile.mount")
    summary = next(c["summary"] for c in report["checks"] if c["id"] == "client")
    if engine_defaults_to_buildkit():
        assert done.returncode == 0, done.stderr
        assert "[stage-0 4/4] RUN --mount" in done.stderr and "Step 1/" not in done.stdout
        assert (code, report["status"]) == (0, "ok"), report
        assert "builds with its built-in BuildKit" in summary
    else:
        assert done.returncode == 1, done.stderr
        assert "Step 1/4 : FROM " in done.stdout
        assert "the --mount option requires BuildKit" in done.stdout + done.stderr
        assert (code, report["cause"]["id"]) == (1, "buildkit-disabled-but-needed"), report
        assert "the engine's default" in summary


@pytest.mark.engine
@needs_clients
def test_the_engines_own_client_without_its_plugins(engine, catalogue, project, tmp_path):
    """26.1's client in a DOCKER_CONFIG without plugins is the playbook's case: each of its
    messages triages to the playbook and the runner names the cause; 20.10's has BuildKit built in."""
    root, config = project
    requested = build(OWN_CLIENT, root, config, "1", "--iidfile", str(tmp_path / "iid"), "-f",
                      str(root / "Dockerfile.mount"))
    env = {**os.environ, "DOCKER_CONFIG": str(config)}
    version = subprocess.run([OWN_CLIENT, "buildx", "version"], capture_output=True, text=True, env=env, timeout=60)
    code, report = diagnose(docker=OWN_CLIENT, buildkit="1", context=str(root), docker_config=str(config))
    # 26.1 and 20.10 alike: "docker: 'buildx' is not a docker command." (28: "unknown command")
    assert version.returncode == 1 and "docker: 'buildx' is not a docker command." in version.stderr
    first = triage(catalogue, version.stderr)[0]
    assert first.id == "buildx-missing" and [s.key for s in first.symptoms] == ["buildx-command-missing"]
    if not OWN_CLIENT_USES_BUILDX:
        assert requested.returncode == 0, requested.stderr
        assert (code, report["status"]) == (0, "ok"), report
        return
    assert requested.returncode == 1 and requested.stderr.splitlines()[0] == BUILDX_ERROR
    assert triage(catalogue, requested.stderr)[0].id == "buildx-missing"
    assert (code, report["cause"]["id"]) == (1, "client-on-path-without-buildx"), report
    assert report["cause"]["evidence"]["client"]["buildkit_client"] == OLD_CLIENT
    fallback = build(OWN_CLIENT, root, config, None, "-f", str(root / "Dockerfile.mount"))
    assert fallback.returncode == 1
    matches = triage(catalogue, fallback.stdout + fallback.stderr)
    assert matches[0].id == "buildx-missing", [m.id for m in matches]
    assert {s.key for s in matches[0].symptoms} >= {"legacy-builder-deprecated", "buildkit-syntax-rejected"}
    code, report = diagnose(docker=OWN_CLIENT, buildkit="", context=str(root), docker_config=str(config),
                            dockerfile="Dockerfile.mount")
    assert (code, report["cause"]["id"]) == (1, "legacy-fallback-without-buildx"), report


@pytest.mark.engine
@needs_clients
def test_compose_build_where_docker_build_has_no_buildx(engine, catalogue, project):
    """Compose v1 (`COMPOSE_DOCKER_CLI_BUILD=1`) builds through the docker on PATH and fails with
    its error; Compose v2 (26.1's plugin) builds with its own BuildKit client, buildx or not."""
    if dockerlab.COMPOSE is None:
        pytest.skip(dockerlab.NO_COMPOSE)
    root, config = project
    (root / "compose.yaml").write_text("services:\n  app:\n    build: {context: ., dockerfile: Dockerfile.mount}\n")
    env = {**os.environ, "DOCKER_CONFIG": str(config), "DOCKER_BUILDKIT": "1", "COMPOSE_DOCKER_CLI_BUILD": "1",
           "PATH": f"{Path(NEW_CLIENT).parent}:/usr/bin:/bin"}
    compose = list(dockerlab.COMPOSE)
    if compose[-1] == "compose":  # v2, a plugin of the engine's client: the plugin alone, no buildx
        plugins = config / "cli-plugins"
        plugins.mkdir()
        (plugins / "docker-compose").symlink_to(dockerlab.ENGINE.docker_config / "cli-plugins" / "docker-compose")
    project_name = f"runner-test-{dockerlab.SESSION}-bx"
    done = subprocess.run([*compose, "-p", project_name, "build", "app"], cwd=root, capture_output=True, text=True,
                          env=env, timeout=300)
    log = done.stdout + done.stderr
    if compose[-1] == "compose":
        assert done.returncode == 0, log
        assert "RUN --mount=type=cache" in log and "DONE" in log
    else:
        assert done.returncode != 0, log
        assert BUILDX_ERROR in log and "Service 'app' failed to build" in log
        matches = triage(catalogue, log)
        assert matches[0].id == "buildx-missing", [m.id for m in matches]
        assert "buildx-missing-error" in {s.key for s in matches[0].symptoms}
