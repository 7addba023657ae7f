"""The caller's side: find the resident for this call, hand the call over, stand in for the
command until it ends (signals forwarded, its exit status returned), or start a resident for
the calls after this one. Only the standard library's lightest modules: this runs before the
runner is imported."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time

from runner import exitcodes
from runner.resident import wanted
from runner.resident.place import enabled, socket_path
from runner.resident.wire import send_request

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def resident_for(argv: list[str]) -> str | None:
    """The socket of the resident that may run `runner ARGV`; None when this call runs here
    (another command, a profile, RUNNER_RESIDENT=0, no private folder for the socket)."""
    if not wanted(argv) or not enabled() or by_ssh(argv, os.environ):
        return None
    return socket_path()


def by_ssh(argv: list[str], environ: dict[str, str] | os._Environ) -> bool:
    """Whether the engine may be reached through ssh, which may want to ask the person at the
    terminal (a host key to trust, a passphrase): a resident's child has no terminal to ask on."""
    if any("ssh://" in word for word in argv):
        return True
    if any(environ.get(name, "").startswith("ssh://") for name in ("DOCKER_HOST", "RUNNER_DOCKER_HOST")):
        return True
    config = environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    context = environ.get("DOCKER_CONTEXT") or _read_json(os.path.join(config, "config.json")).get("currentContext")
    if not context or context == "default":
        return False
    import hashlib

    meta = _read_json(os.path.join(config, "contexts", "meta", hashlib.sha256(context.encode()).hexdigest(),
                                   "meta.json"))
    host = ((meta.get("Endpoints") or {}).get("docker") or {}).get("Host")
    return not isinstance(host, str) or host.startswith("ssh://")  # unreadable: as if it were


def _read_json(path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            found = json.load(handle)
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def served(path: str) -> int | None:
    """The exit status of this call as the resident at `path` ran it; None when no resident
    took it (none listens, or it left before starting the command): then it runs here."""
    try:
        cwd = os.getcwd()
    except OSError:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # From before the connection: a signal that comes before the command's pid is known waits
    # for it, and one that comes when no resident took the call ends the call before it begins.
    forwarder = _Forwarder()
    try:
        with sock:
            try:
                sock.connect(path)
                _send(sock, cwd)
            except OSError:
                return forwarder.nothing_ran()
            replies = sock.makefile("rb")
            started = _reply(replies)
            if started is None or not isinstance(started.get("pid"), int):
                return forwarder.nothing_ran()
            forwarder.to(started["pid"])
            ended = _reply(replies)
    finally:
        forwarder.restore()
    if ended is None:
        _outlive(started["pid"])
        print("runner: the resident runner stopped before the command ended; its exit status is unknown",
              file=sys.stderr)
        return exitcodes.INTERNAL
    if "signal" in ended:
        return _end_by(int(ended["signal"]))
    return int(ended["exit"])


def _end_by(number: int) -> int:
    """End as the command ended, by the signal that ended it (a shell, a CI runner, `timeout`
    then see what they would have seen); 128 + its number for one that ends nothing here."""
    if number in (*FORWARDED, signal.SIGKILL, signal.SIGPIPE):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError):  # SIGKILL has no handler to reset
            pass
        os.kill(os.getpid(), number)
    return 128 + number


def _send(sock: socket.socket, cwd: str) -> None:
    umask = os.umask(0o22)
    os.umask(umask)
    fds, substitutes = _standard_streams()
    try:
        send_request(sock, {"argv": sys.argv, "env": dict(os.environ), "cwd": cwd, "umask": umask,
                            "streams": [_encoding(stream) for stream in (sys.stdin, sys.stdout, sys.stderr)]}, fds)
    finally:
        for fd in substitutes:
            os.close(fd)


class _Forwarder:
    """Signals that would end this process go to the command instead: it unwinds as it would
    have here (a build it started is stopped, what it made is removed), then reports."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.pending: list[int] = []
        self.previous = {number: signal.signal(number, self._forward) for number in FORWARDED}

    def _forward(self, number: int, _frame: object) -> None:
        if self.pid is None:
            self.pending.append(number)
            return
        try:
            os.kill(self.pid, number)
        except ProcessLookupError:
            pass

    def to(self, pid: int) -> None:
        self.pid = pid
        for number in self.pending:
            self._forward(number, None)

    def nothing_ran(self) -> int | None:
        """None (run the call here), or 130 when it was interrupted before anything ran."""
        if not self.pending:
            return None
        print("interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED

    def restore(self) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def spawn(path: str) -> None:
    """Start a resident for `path` in the background, for the calls after this one: a session of
    its own (no terminal), the root as its folder, its messages in <socket>.log."""
    import subprocess

    try:
        with open(path.removesuffix(".sock") + ".log", "wb") as log:
            subprocess.Popen([sys.executable, "-P", "-m", "runner.resident.server", path],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, cwd="/",
                             start_new_session=True, close_fds=True)
    except OSError:
        pass


def _standard_streams() -> tuple[list[int], list[int]]:
    """(descriptors 0, 1 and 2, with /dev/null in place of a closed one; those /dev/null ones)."""
    fds, substitutes = [], []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            substitute = os.open(os.devnull, os.O_RDWR)
            substitutes.append(substitute)
            fds.append(substitute)
    return fds, substitutes


def _encoding(stream: object) -> list[str | None]:
    return [getattr(stream, "encoding", None), getattr(stream, "errors", None)]


def _reply(replies) -> dict | None:  # noqa: ANN001 - a socket's binary file
    try:
        line = replies.readline()
    except OSError:
        return None
    try:
        return json.loads(line) if line else None
    except ValueError:
        return None


def _outlive(pid: int, patience: float = 30.0) -> None:
    """Wait (a while) for a command whose resident vanished to end too."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
