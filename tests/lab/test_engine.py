"""The lab's engine and docker CLI (runner/lab/engine.py), without an engine: which busybox the
base image gets, the labels every labelled docker subcommand receives, how `runner` is run, and
how a step's command is run (output, timeout, a program that is not there). The base images
are built on a real engine in the lab's runs (tests/lab/test_run.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from runner.lab import EXPERIMENT_LABEL, RUN_LABEL, LabError, StepFailed
from runner.lab.engine import (
    LABELLED_SUBCOMMANDS,
    Engine,
    find_busybox,
    labelled_argv,
    version_matches,
)

DOCKER = "/opt/docker/bin/docker"


# --- find_busybox ---------------------------------------------------------------------------


def test_runner_busybox_names_the_busybox(monkeypatch, tmp_path):
    mine = tmp_path / "my-busybox"
    mine.write_bytes(b"\x7fELF")
    monkeypatch.setenv("RUNNER_BUSYBOX", str(mine))
    assert find_busybox() == mine


@pytest.mark.parametrize("given", ["missing", "folder"])
def test_a_runner_busybox_that_is_not_a_file_is_passed_over(monkeypatch, tmp_path, given):
    (tmp_path / "folder").mkdir()
    monkeypatch.setenv("RUNNER_BUSYBOX", str(tmp_path / given))
    with monkeypatch.context() as patched:
        patched.setattr("runner.lab.engine.shutil.which", lambda name: None)
        real_isfile = os.path.isfile  # the given path is really looked at; of the fixed ones, only one is there
        patched.setattr("runner.lab.engine.os.path.isfile",
                        lambda path: path == "/usr/bin/busybox" or (path != "/bin/busybox" and real_isfile(path)))
        assert find_busybox() == Path("/usr/bin/busybox")


def test_the_busybox_on_path_is_the_last_resort(monkeypatch, tmp_path):
    on_path = tmp_path / "busybox"
    on_path.write_bytes(b"\x7fELF")
    monkeypatch.delenv("RUNNER_BUSYBOX", raising=False)
    with monkeypatch.context() as patched:
        patched.setattr("runner.lab.engine.shutil.which", lambda name: str(on_path) if name == "busybox" else None)
        patched.setattr("runner.lab.engine.os.path.isfile", lambda path: path == str(on_path))
        assert find_busybox() == on_path


def test_no_busybox_anywhere_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("RUNNER_BUSYBOX", raising=False)
    with monkeypatch.context() as patched:
        patched.setattr("runner.lab.engine.shutil.which", lambda name: None)
        patched.setattr("runner.lab.engine.os.path.isfile", lambda path: False)
        with pytest.raises(LabError, match="install busybox-static .* or set RUNNER_BUSYBOX"):
            find_busybox()


# --- labelled_argv --------------------------------------------------------------------------

RUN = ["--label", f"{RUN_LABEL}=r1"]
EXPERIMENT = ["--label", f"{EXPERIMENT_LABEL}=e1"]


# What creates an object the lab must find again (runner/lab/__init__.py): build, run, create,
# volume create and network create, in their short and long forms.
CREATING = [("build",), ("run",), ("create",), ("image", "build"), ("container", "run"), ("container", "create"),
            ("volume", "create"), ("network", "create")]


def test_the_labelled_subcommands_are_those_that_create():
    assert sorted(LABELLED_SUBCOMMANDS) == sorted(CREATING)


@pytest.mark.parametrize("words", CREATING)
def test_every_labelled_subcommand_gets_the_labels_right_after_it(words):
    rest = ["-t", "x", "."]
    argv = labelled_argv(["docker", *words, *rest], DOCKER, "r1", "e1")
    assert argv == [DOCKER, *words, *RUN, *EXPERIMENT, *rest]


def test_without_an_experiment_only_the_run_label():
    assert labelled_argv(["docker", "run", "-d", "img"], DOCKER, "r1", None) == [DOCKER, "run", *RUN, "-d", "img"]
    assert labelled_argv(["docker", "volume", "create", "v"], DOCKER, "r1", "") == [
        DOCKER, "volume", "create", *RUN, "v"]


@pytest.mark.parametrize("argv", [
    ["docker", "ps", "-a"], ["docker", "volume", "ls"], ["docker", "image", "ls"], ["docker", "rm", "-f", "c"],
    ["docker", "container", "inspect", "c"], ["docker", "network", "rm", "n"], ["docker"],
    ["docker", "buildx", "build", "."],  # not a subcommand the lab labels
])
def test_other_docker_commands_only_get_the_client(argv):
    assert labelled_argv(argv, DOCKER, "r1", "e1") == [DOCKER, *argv[1:]]


def test_runner_is_run_by_this_python():
    assert labelled_argv(["runner", "diagnose", "x"], DOCKER, "r1", "e1") == [sys.executable, "-m", "runner",
                                                                              "diagnose", "x"]


def test_any_other_program_is_left_as_it_is():
    argv = ["sh", "-c", "docker build ."]
    assert labelled_argv(argv, DOCKER, "r1", "e1") is argv


# --- Engine, without connecting ---------------------------------------------------------------


def unconnected(**env: str) -> Engine:
    """An Engine as __init__ leaves it, but for a client at DOCKER and no engine asked."""
    engine = Engine.__new__(Engine)
    engine.cli = SimpleNamespace(path=DOCKER)
    engine.compose = None
    engine.run_id = "r1"
    engine.env = {**os.environ, **env}
    return engine


def test_engine_argv_is_labelled_argv_with_its_client_and_run():
    engine = unconnected()
    for argv in (["docker", "build", "."], ["docker", "ps"], ["runner", "list"], ["true"]):
        assert engine.argv(argv, "e1") == labelled_argv(argv, DOCKER, "r1", "e1")


def test_run_returns_exit_code_and_output_in_the_engine_environment(tmp_path):
    engine = unconnected(LAB_WORD="from-engine", LAB_OTHER="from-engine")
    done = engine.run(["sh", "-c", 'echo "$LAB_WORD $LAB_OTHER"; pwd; echo oops >&2; exit 3'], cwd=tmp_path,
                      env={"LAB_OTHER": "from-step"})
    assert done["exit"] == 3
    assert done["stdout"] == f"from-engine from-step\n{tmp_path}\n"  # the step's env wins
    assert done["stderr"] == "oops\n" and done["output"] == done["stdout"] + done["stderr"]
    assert done["seconds"] >= 0


def test_run_gives_the_command_no_stdin(tmp_path):
    saved = os.dup(0)
    read, write = os.pipe()
    os.write(write, b"typed at the lab\n")
    os.close(write)
    os.dup2(read, 0)  # this process's stdin has something to read: the step must not get it
    try:
        done = unconnected().run(["cat"], cwd=tmp_path, timeout=10)
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(read)
    assert done["stdout"] == ""


def test_run_past_its_timeout_is_a_failed_step(tmp_path):
    with pytest.raises(StepFailed, match=r"^timed out after 0.2 s: sleep 5$"):
        unconnected().run(["sleep", "5"], cwd=tmp_path, timeout=0.2)


def test_a_program_that_is_not_there_is_a_failed_step(tmp_path):
    with pytest.raises(StepFailed, match="^cannot run no-such-program-here: No such file or directory$"):
        unconnected().run(["no-such-program-here"], cwd=tmp_path)


def test_compose_runs_as_this_engines_users_run_it():
    v2 = ("/usr/bin/docker", "compose")
    for argv in (["docker-compose", "up", "-d"], ["docker", "compose", "up", "-d"]):
        assert labelled_argv(argv, DOCKER, "r1", None, v2) == ["/usr/bin/docker", "compose", "up", "-d"]
        assert labelled_argv(argv, DOCKER, "r1", None, ("/usr/bin/docker-compose",)) == \
            ["/usr/bin/docker-compose", "up", "-d"]
        with pytest.raises(StepFailed, match="no Compose here"):
            labelled_argv(argv, DOCKER, "r1", None, None)


@pytest.mark.parametrize("version, wanted, matches", [
    ("20.10.24+dfsg1", "<23", True), ("26.1.5+dfsg1", "<23", False), ("26.1.5+dfsg1", ">=23", True),
    ("26.1.5", "==26.1", True), ("26.1.5", "==26", True), ("26.1.5", ">26.1", False), ("23.0.0", "<=23", True),
    ("?", ">=23", False), ("26.1", "~26", False),
])
def test_client_versions_against_a_requirement(version, wanted, matches):
    assert version_matches(version, wanted) is matches


def test_an_experiment_runs_only_on_the_engines_it_requires():
    from runner.lab.results import Versions
    from runner.playbook.model import EngineRequirement

    engine = unconnected()
    engine.cli = SimpleNamespace(path=DOCKER, how="buildx", version="26.1.5")
    engine.compose = ("/usr/bin/docker", "compose")
    engine.versions = Versions("Docker Engine 26.1.5", "docker 26.1.5 (buildx 0.13.1)", DOCKER, "unix:///x", "containerd")
    assert engine.unmet(None) is None
    assert engine.unmet(EngineRequirement(builder="buildx", compose="v2", store="containerd", client=">=23")) is None
    assert engine.unmet(EngineRequirement(compose="v1")) == "needs compose v1, this engine has v2"
    assert engine.unmet(EngineRequirement(store="overlay2")) == "needs store overlay2, this engine has containerd"
    assert engine.unmet(EngineRequirement(client="<23")) == "needs a docker CLI <23, this one is 26.1.5"
