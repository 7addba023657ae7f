"""The resident's side: import the runner once, then fork a child for each call, which takes on
the caller's descriptors, environment, folder and umask and runs the command as the runner
would. `python -P -m runner.resident.server SOCKET` (runner/resident/client.py starts it).

One thread: select() waits for a caller or a child's end (SIGCHLD through the wakeup
descriptor); nothing runs beside it when it forks. It leaves when another resident took its
socket, when its code changed on disk, or after IDLE_SECONDS without a call, and never while a
child runs."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time
from pathlib import Path

from runner import exitcodes
from runner.codeprint import module_stamps
from runner.resident import IDLE_SECONDS
from runner.resident.wire import WireError, receive_request, send_line

LOOK_EVERY = 30.0  # seconds between looks at the code and the socket when nothing happens


def main() -> None:
    path = Path(sys.argv[1])
    lock = _sole_resident(path.with_suffix(".lock"))  # <key>.sock: <key>.lock, <key>.log
    if lock is None:
        return  # another resident serves this key already
    stamps = module_stamps()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.unlink(missing_ok=True)
    listener.bind(os.fspath(staging))  # before the warm-up: a folder that holds no socket costs nothing
    try:
        _warm_up()
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    listener.listen(64)
    os.replace(staging, path)  # a stale socket of a resident that died is replaced whole
    inode = os.stat(path).st_ino
    try:
        Resident(listener, path, inode, stamps, lock).serve()
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == inode:
                path.unlink()
        # Held still: a resident starting now for the same key finds it locked and leaves.
        for leftover in (path.with_suffix(".log"), path.with_suffix(".lock")):
            with contextlib.suppress(OSError):
                if leftover.suffix == ".lock" or leftover.stat().st_size == 0:
                    leftover.unlink()


def _sole_resident(lock_path: Path):  # noqa: ANN202 - the open lock file, held for the resident's life
    lock = open(lock_path, "a+")  # noqa: SIM115
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def _warm_up() -> None:
    """Import what a diagnosis imports, build the validators of the check kinds' arguments and
    validate the shipped playbooks: only code and the runner's own files, nothing that reads the
    environment, the engine or the state folder (a child takes on its caller's)."""
    import gc  # noqa: F401 - what a diagnosis imports on its way
    import netrc  # noqa: F401 - the docker SDK's HTTP library reads ~/.netrc on each request

    import docker  # noqa: F401
    import rich._emoji_codes  # noqa: F401 - the text report's

    import runner.cli
    import runner.commands.diagnose
    import runner.diagnose.diagnosis
    import runner.diagnose.early
    import runner.fix.journal
    import runner.playbook.params
    import runner.present.machine
    import runner.present.report
    import runner.present.terminal  # noqa: F401
    from runner.checks.kinds import CHECK_KINDS
    from runner.errors import PlaybookError
    from runner.playbook.cache import keep_in_memory
    from runner.playbook.catalogue import SUFFIXES, shipped
    from runner.playbook.folders import Unreadable
    from runner.registry import resolve

    for kind in CHECK_KINDS.values():
        kind.implementation()
        if kind.ahead:
            resolve(kind.ahead)
        kind.args.model_rebuild()
    folder = shipped()
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        if path.suffix in SUFFIXES:
            with contextlib.suppress(PlaybookError, Unreadable, OSError):
                keep_in_memory(path)


class Resident:
    def __init__(self, listener: socket.socket, path: Path, inode: int, stamps: list[str], lock=None) -> None:  # noqa: ANN001
        self.listener, self.path, self.inode, self.stamps, self.lock = listener, path, inode, stamps, lock
        self.children: dict[int, socket.socket] = {}
        self.wake_read, self.wake_write = os.pipe()
        for fd in (self.wake_read, self.wake_write):
            os.set_blocking(fd, False)

    def serve(self) -> None:
        signal.set_wakeup_fd(self.wake_write)
        signal.signal(signal.SIGCHLD, lambda _number, _frame: None)  # only to wake select()
        signal.signal(signal.SIGTERM, _leave)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        last_call = time.monotonic()
        while True:
            ready, _, _ = select.select([self.listener, self.wake_read], [], [], LOOK_EVERY)
            if self.wake_read in ready:
                with contextlib.suppress(OSError):
                    os.read(self.wake_read, 4096)
            self.reap()
            if self.listener in ready:
                self.accept()
            if self.children or ready:
                last_call = time.monotonic()
                continue
            if time.monotonic() - last_call > IDLE_SECONDS or self.superseded():
                return

    def superseded(self) -> bool:
        """Another resident took the socket, or the code changed: new calls go elsewhere."""
        try:
            if os.stat(self.path).st_ino != self.inode:
                return True
        except OSError:
            return True
        return module_stamps() != self.stamps

    def accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        try:
            conn.settimeout(5)
            if _peer_uid(conn) != os.getuid():
                conn.close()
                return
            request, fds = receive_request(conn)
            conn.settimeout(None)
        except (OSError, WireError):
            conn.close()
            return
        pid = os.fork()
        if pid == 0:
            self._become_command(conn, request, fds)
        for fd in fds:
            os.close(fd)
        self.children[pid] = conn
        with contextlib.suppress(OSError):
            send_line(conn, {"pid": pid})

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.children.pop(pid, None)
            if conn is None:
                continue
            ended = {"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status) else \
                {"exit": os.waitstatus_to_exitcode(status)}
            with contextlib.suppress(OSError):
                send_line(conn, ended)
            conn.close()

    def _become_command(self, conn: socket.socket, request: dict, fds: list[int]) -> None:
        """In the child: shed the resident, take on the caller, run the command, exit."""
        code = exitcodes.INTERNAL
        try:
            signal.set_wakeup_fd(-1)
            for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
                signal.signal(number, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self.listener.close()
            if self.lock is not None:  # the resident's alone: a child must not keep it held
                self.lock.close()
            for other in self.children.values():
                other.close()
            os.close(self.wake_read)
            os.close(self.wake_write)
            from runner.resident.child import run_as_caller

            code = run_as_caller(conn, request, fds)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else exitcodes.INTERNAL
        except BaseException:  # noqa: BLE001 - whatever happens, this process must not return into the loop
            with contextlib.suppress(Exception):
                import traceback

                traceback.print_exc()
        finally:
            os._exit(code)


def stop_residents(folder: str | os.PathLike[str]) -> list[int]:
    """Ask every resident with its socket in `folder` to leave (SIGTERM); their pids. Only a
    resident that holds its lock is signalled: the pid in a lock nobody holds may be anyone's."""
    stopped = []
    for lock_path in sorted(Path(folder).glob("*.lock")):
        try:
            with open(lock_path) as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    continue  # nobody holds it: no resident
                except OSError:
                    pid = int(lock.read().strip() or 0)
            if pid > 0:
                os.kill(pid, signal.SIGTERM)
                stopped.append(pid)
        except (OSError, ValueError):
            continue
    return stopped


def _peer_uid(conn: socket.socket) -> int:
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                         struct.calcsize("3i")))
    return uid


def _leave(_number: int, _frame: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    main()
