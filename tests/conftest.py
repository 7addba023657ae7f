"""Shared fixtures. Real-engine tests run on one engine per session, `--engine NAME`
(tests/engines.py: 20.10, 26.1, 26.1-containerd, or env for the one DOCKER_HOST names); the
fixtures start it when it does not answer (as root) and remove exactly what the session
created, also after a failure."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATE_FOLDER = pytest.StashKey[str]()
RUNTIME_FOLDER = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--engine", default=os.environ.get("RUNNER_TEST_ENGINE", "20.10"),
                     help="the Docker engine of the real-engine tests: 20.10, 26.1, 26.1-containerd, or env "
                          "(DOCKER_HOST, RUNNER_DOCKER and DOCKER_CONFIG as set) [default: 20.10]")


def pytest_configure(config: pytest.Config) -> None:
    # Before any test module is imported: the helpers, the runner's subprocesses and the
    # docker SDK all take the engine and its client from the environment.
    import engines

    os.environ.update(engines.engine(config.getoption("--engine")).env())
    # Run reports, fix locks and recreate journals of every test go to the session's own state
    # folder, never to the person's ~/.local/state (tests that look at them set their own).
    import tempfile

    os.environ["XDG_STATE_HOME"] = config.stash[STATE_FOLDER] = tempfile.mkdtemp(prefix="runner-test-state-")
    # The resident runners the session's `runner diagnose` calls start (runner/resident) listen
    # in the session's own folder, and are stopped with it. (Not XDG_RUNTIME_DIR: a daemon a
    # test starts would keep runc's files there.)
    os.environ["RUNNER_RESIDENT_DIR"] = config.stash[RUNTIME_FOLDER] = tempfile.mkdtemp(prefix="rr-")
    # A cancelled CI job or `kill` sends SIGTERM, which would end the session without its
    # clean-up: as KeyboardInterrupt, pytest tears the fixtures down and what the session made
    # on the shared engine is removed.
    signal.signal(signal.SIGTERM, _interrupt)


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    if STATE_FOLDER in config.stash:  # what the session's runs kept there ends with it
        shutil.rmtree(config.stash[STATE_FOLDER], ignore_errors=True)
    if RUNTIME_FOLDER in config.stash:
        from runner.resident.server import stop_residents

        stop_residents(config.stash[RUNTIME_FOLDER])
        shutil.rmtree(config.stash[RUNTIME_FOLDER], ignore_errors=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def pytest_report_header(config: pytest.Config) -> str:
    return f"engine: {os.environ['RUNNER_TEST_ENGINE']} at {os.environ['DOCKER_HOST']} (client {os.environ['RUNNER_DOCKER']})"


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """A Docker Engine that answers, and a janitor for what the tests create on it."""
    import dockerlab
    import engines

    try:
        engines.ensure([dockerlab.ENGINE.name], say=lambda line: None)
    except SystemExit as exc:
        pytest.fail(f"no Docker Engine for the real-engine tests: {exc}")
    janitor = dockerlab.Janitor()
    janitor.start()
    try:
        dockerlab.build_base_image(tmp_path_factory.mktemp("base"))
        yield janitor
    finally:
        janitor.clean()


@pytest.fixture
def project(engine, tmp_path):
    """A fresh seed-shaped git project; its image and container are removed afterwards."""
    import dockerlab

    made = dockerlab.Project.create(tmp_path)
    yield made
    dockerlab.docker("rm", "-f", "-v", made.container, check=False)


@pytest.fixture
def port_containers(engine):
    """Containers of one test that publish a port (dockerlab.PortContainers), removed afterwards."""
    import dockerlab

    made = dockerlab.PortContainers()
    yield made
    made.remove()


@pytest.fixture
def port_listener():
    """A port on 127.0.0.1 this test process listens on: a host process holding it."""
    import dockerlab

    with dockerlab.listening_port() as port:
        yield port
