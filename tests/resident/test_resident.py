"""The resident runner (runner/resident): a `runner diagnose` after the first is run by a fork
of a process that has the runner imported, and must behave exactly as if it ran itself: the
caller's environment, folder, umask, streams, exit status and signals. Real processes
throughout: `python -m runner` as a subprocess, the resident it starts, its children."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from runner import exitcodes
from runner.codeprint import module_stamps
from runner.resident import place
from runner.resident import command_of
from runner.resident.server import Resident, stop_residents

ROOT = Path(__file__).resolve().parents[2]

# Each check prints what the process that runs it inherited. The grandparent of a check's
# command is the resident when a resident's child ran the diagnosis.
PLAYBOOK = """\
id: probe
title: Probe
summary: what the diagnosis runs in
params:
  seconds: {description: how long the slow check sleeps, default: "0"}
symptoms: [{text: none}]
checks:
  - id: inherited
    kind: command
    args:
      run: [sh, -c, 'echo "probe=$PROBE cwd=$(pwd) umask=$(umask) grandparent=$(cut -d" " -f4 /proc/$PPID/stat)"']
  - {id: slow, kind: command, args: {run: [sleep, "{{seconds}}"]}}
  - {id: marker, kind: command, args: {run: [test, -e, marker]}}
causes:
  - {id: no-marker, title: no marker, when: {check: marker, status: fail}, explanation: the marker is missing}
"""


@pytest.fixture
def world(tmp_path):
    """(a folder of playbooks, a work folder, a private runtime folder for the residents)."""
    books = tmp_path / "playbooks"
    books.mkdir()
    (books / "probe.yaml").write_text(PLAYBOOK)
    work = tmp_path / "work"
    work.mkdir()
    runtime = Path(tempfile.mkdtemp(prefix="rr-"))  # short: a socket's path has ~100 bytes
    yield books, work, runtime
    stop_residents(runtime)
    shutil.rmtree(runtime, ignore_errors=True)


def environment(runtime: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RUNNER_RESIDENT", "PROBE")}
    env.update({"RUNNER_RESIDENT_DIR": str(runtime), **extra})
    return env


def argv(books: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "runner", "--playbooks", str(books), "diagnose", "probe", "--json", *args]


def diagnose(books: Path, work: Path, runtime: Path, *args: str, umask: int = 0o022,
             **extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    done = subprocess.run(argv(books, *args), cwd=work, env=environment(runtime, **extra), capture_output=True,
                          text=True, timeout=120, preexec_fn=lambda: os.umask(umask))
    report = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return done, report


def inherited(report: dict) -> dict[str, str]:
    line = next(c for c in report["checks"] if c["id"] == "inherited")["evidence"]["stdout"].strip()
    return dict(word.split("=", 1) for word in line.split())


def resident_pid(runtime: Path, timeout: float = 60.0) -> int:
    """The pid of the resident listening in `runtime`, once it does."""
    deadline = time.monotonic() + timeout
    folder = runtime
    while time.monotonic() < deadline:
        sockets = list(folder.glob("*.sock")) if folder.is_dir() else []
        if sockets:
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(str(sockets[0]))
                probe.close()  # the resident sees a caller that left without asking: nothing runs
                return int(sockets[0].with_suffix(".lock").read_text())
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"no resident listens in {folder}")


def test_the_first_call_runs_itself_and_the_next_is_a_fork_of_the_resident_with_the_callers_world(world):
    books, work, runtime = world
    first, report = diagnose(books, work, runtime, PROBE="first")
    assert first.returncode == exitcodes.PROBLEM, first.stderr
    assert inherited(report)["probe"] == "first"
    resident = resident_pid(runtime)
    assert int(inherited(report)["grandparent"]) != resident

    elsewhere = work / "sub"
    elsewhere.mkdir()
    (elsewhere / "marker").touch()
    second, report = diagnose(books, elsewhere, runtime, umask=0o077, PROBE="second")
    seen = inherited(report)
    assert int(seen["grandparent"]) == resident, "the resident did not run the second call"
    assert (seen["probe"], seen["cwd"], seen["umask"]) == ("second", str(elsewhere), "0077")
    assert (second.returncode, report["status"], report["cause"]) == (exitcodes.OK, "ok", None), second.stderr


def test_exit_codes_and_messages_come_back_as_the_command_gave_them(world):
    books, work, runtime = world
    diagnose(books, work, runtime)
    resident = resident_pid(runtime)
    unknown = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(books), "diagnose", "nope"],
                             cwd=work, env=environment(runtime), capture_output=True, text=True, timeout=60)
    assert unknown.returncode == exitcodes.CANNOT
    assert "no playbook 'nope'" in unknown.stderr and unknown.stdout == ""
    text = subprocess.run(argv(books)[:-1] + ["--lang", "en"], cwd=work, env=environment(runtime),
                          capture_output=True, text=True, timeout=60)
    assert text.returncode == exitcodes.PROBLEM
    assert "cause: no-marker" in text.stdout and "the marker is missing" in text.stdout
    assert resident_pid(runtime) == resident  # the same resident served both


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_caller_interrupts_the_command_as_it_would_have_here(world, signum):
    books, work, runtime = world
    diagnose(books, work, runtime)
    resident_pid(runtime)
    caller = subprocess.Popen(argv(books, "--param", "seconds=2"), cwd=work, env=environment(runtime),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)  # the slow check runs
    caller.send_signal(signum)
    out, err = caller.communicate(timeout=60)
    assert caller.returncode == exitcodes.INTERRUPTED, out + err
    assert "interrupted" in err and "Traceback" not in err and out == ""


def test_a_command_killed_by_a_signal_ends_its_caller_by_the_same_signal(world):
    """As if the caller had been the command: a shell, a CI runner, `timeout` see the signal."""
    books, work, runtime = world
    diagnose(books, work, runtime)
    resident = resident_pid(runtime)
    caller = subprocess.Popen(argv(books, "--param", "seconds=5"), cwd=work, env=environment(runtime),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    children: list[str] = []
    while not children and time.monotonic() < deadline:
        time.sleep(0.05)
        children = Path(f"/proc/{resident}/task/{resident}/children").read_text().split()
    assert children, "the resident never forked the call's command"
    os.kill(int(children[0]), signal.SIGKILL)
    caller.communicate(timeout=60)
    assert caller.returncode == -signal.SIGKILL


def test_a_caller_killed_outright_interrupts_its_command(world):
    books, work, runtime = world
    diagnose(books, work, runtime)
    resident_pid(runtime)
    caller = subprocess.Popen(argv(books, "--param", "seconds=2"), cwd=work, env=environment(runtime),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)
    caller.kill()
    # The command still holds the caller's stderr: what it says there reaches the pipe, which
    # ends when the command does.
    err = caller.stderr.read()
    caller.wait(timeout=30)
    assert "interrupted" in err, err


def test_with_RUNNER_RESIDENT_0_every_call_runs_itself_and_none_starts_a_resident(world):
    books, work, runtime = world
    for _ in range(2):
        done, report = diagnose(books, work, runtime, RUNNER_RESIDENT="0")
        assert done.returncode == exitcodes.PROBLEM and report["cause"]["id"] == "no-marker"
    time.sleep(1)
    assert not list(runtime.glob("*.sock"))


def test_a_dead_residents_socket_is_taken_over(world):
    books, work, runtime = world
    diagnose(books, work, runtime)
    first = resident_pid(runtime)
    os.kill(first, signal.SIGKILL)  # its socket file stays, and nobody listens on it
    time.sleep(0.2)
    done, report = diagnose(books, work, runtime, PROBE="after")
    assert done.returncode == exitcodes.PROBLEM and inherited(report)["probe"] == "after"
    second = resident_pid(runtime)
    assert second != first
    _, report = diagnose(books, work, runtime)
    assert int(inherited(report)["grandparent"]) == second


def test_a_resident_leaves_when_its_code_or_socket_changes(tmp_path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = tmp_path / "r.sock"
    listener.bind(str(path))
    inode = os.stat(path).st_ino
    resident = Resident(listener, path, inode, module_stamps())
    assert not resident.superseded()
    assert Resident(listener, path, inode, ["other code"]).superseded()
    path.unlink()
    assert resident.superseded()
    listener.close()


def test_the_key_follows_the_code_and_what_python_reads_at_start_up(tmp_path):
    base = {"PATH": "/usr/bin", "HOME": "/root"}
    key = place.key(base)
    assert place.key({**base, "HOME": "/elsewhere", "DOCKER_HOST": "tcp://x:2375"}) == key  # read per call
    for name, value in [("PYTHONPATH", "/x"), ("LANG", "C"), ("LC_ALL", "C"), ("PYTHONUTF8", "1")]:
        assert place.key({**base, name: value}) != key, name
    code = tmp_path / "code"
    code.mkdir()
    (code / "a.py").write_text("x = 1\n")
    before = module_stamps(code)
    (code / "a.py").write_text("x = 22\n")
    assert module_stamps(code) != before


def test_the_socket_lives_only_in_a_folder_nobody_else_may_enter(tmp_path):
    mine = tmp_path / "mine"
    assert place.private_folder(str(mine)) == str(mine) and (os.stat(mine).st_mode & 0o777) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    assert place.private_folder(str(shared)) is None
    link = tmp_path / "link"
    link.symlink_to(mine)
    assert place.private_folder(str(link)) is None
    assert place.socket_path({"RUNNER_RESIDENT_DIR": str(tmp_path / ("x" * 120))}) is None  # too long for a socket
    assert place.runtime_folder({"XDG_RUNTIME_DIR": "/run/user/7"}) == "/run/user/7/runner"
    assert place.runtime_folder({"RUNNER_RESIDENT_DIR": "/r", "XDG_RUNTIME_DIR": "/run/user/7"}) == "/r"


@pytest.mark.parametrize(("words", "command"), [
    (["diagnose", "x"], "diagnose"),
    (["--playbooks", "diagnose", "list"], "list"),  # a folder named "diagnose"
    (["--playbooks=p", "diagnose"], "diagnose"),
    (["--version"], None),
    (["fix", "diagnose"], "fix"),
])
def test_only_the_subcommand_decides(words, command):
    assert command_of(words)[0] == command


def test_an_engine_reached_through_ssh_is_never_served_by_a_resident(tmp_path):
    """ssh may ask the person at the terminal (a host key, a passphrase): a resident's child has
    no terminal."""
    import hashlib

    from runner.resident.client import by_ssh

    config = tmp_path / "docker"
    (config / "contexts" / "meta").mkdir(parents=True)
    (config / "config.json").write_text(json.dumps({"currentContext": "far"}))

    def context(name: str, host: str) -> None:
        folder = config / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
        folder.mkdir()
        (folder / "meta.json").write_text(json.dumps({"Name": name, "Endpoints": {"docker": {"Host": host}}}))

    context("far", "ssh://me@far")
    context("near", "unix:///run/near.sock")
    env = {"DOCKER_CONFIG": str(config)}
    assert by_ssh(["diagnose", "x"], env)  # the current context
    assert not by_ssh(["diagnose", "x"], {**env, "DOCKER_CONTEXT": "near"})
    assert by_ssh(["diagnose", "x"], {**env, "DOCKER_CONTEXT": "gone"})  # unknown: as if it were
    assert by_ssh(["diagnose", "x", "--docker-host", "ssh://me@far"], {**env, "DOCKER_CONTEXT": "near"})
    assert by_ssh(["diagnose", "x"], {"DOCKER_HOST": "ssh://me@far", "DOCKER_CONFIG": str(tmp_path)})
    assert not by_ssh(["diagnose", "x"], {"DOCKER_HOST": "unix:///run/x.sock", "DOCKER_CONFIG": str(tmp_path)})


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a process's groups needs root")
def test_a_caller_in_other_groups_or_limits_gets_another_resident():
    """Added to the docker group since the resident started, a caller can reach a socket the
    resident's children could not: it must not be served by it."""
    code = "from runner.resident import place; print(place.key({}))"

    def key(**how) -> str:  # noqa: ANN003
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              cwd=ROOT, **how).stdout

    assert key() == key()
    assert key(extra_groups=[4242]) != key()
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert key(preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (max(64, soft // 2), hard))) != key()
