"""A resident's child becomes its caller: the caller's standard streams, folder, umask,
environment and argument list, then the command, run by the runner's own entry point."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import sys
import threading
from typing import Any

from runner import exitcodes


def run_as_caller(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> int:
    """Run the caller's command here and return its exit status."""
    for target, fd in enumerate(fds):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    _adopt_streams(request.get("streams") or [[None, None]] * 3)
    try:
        os.chdir(request["cwd"])
    except OSError as exc:
        print(f"runner: cannot enter the folder this was run in: {exc}", file=sys.stderr)
        return exitcodes.CANNOT
    os.umask(int(request["umask"]))
    os.environ.clear()
    os.environ.update({str(name): str(value) for name, value in request["env"].items()})
    sys.argv = [str(word) for word in request["argv"]]
    _end_with_caller(conn)
    from runner.cli import run

    try:
        run()  # exits the process itself, after the exit handlers, as every command does
        code = 0
    except SystemExit as exc:  # other threads still ran: wait for them as Python's exit would
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
        atexit._run_exitfuncs()  # noqa: SLF001 - what Python's own exit runs
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    return code


def _adopt_streams(encodings: list[list[str | None]]) -> None:
    """sys.stdin, stdout and stderr over descriptors 0-2 now, as Python would have made them for
    the caller: its encodings, line buffering on a terminal (and always for stderr)."""
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        encoding, errors = (list(encodings[fd]) + [None, None])[:2] if fd < len(encodings) else (None, None)
        writing = fd > 0
        line_buffered = writing and (fd == 2 or os.isatty(fd))
        try:
            stream = open(fd, "w" if writing else "r", buffering=1 if line_buffered else -1,  # noqa: SIM115
                          encoding=encoding or "utf-8", errors=errors or ("backslashreplace" if fd == 2 else "strict"),
                          closefd=False)
        except (OSError, LookupError, ValueError):
            stream = open(os.devnull, "w" if writing else "r", encoding="utf-8")  # noqa: SIM115
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _end_with_caller(conn: socket.socket) -> None:
    """A caller killed outright (SIGKILL) can forward nothing: when its end of the socket closes
    before the command ended, the command gets SIGTERM, as if the caller had sent it."""
    def watch() -> None:
        try:
            while conn.recv(1):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="resident-caller", daemon=True).start()
