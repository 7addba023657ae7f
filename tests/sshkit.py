"""A remote engine for the tests: Debian's sshd on 127.0.0.1 with keys made for the test, in
front of the session's engine, reached as `ssh://root@127.0.0.1:PORT` the way a team reaches its
server. The client side is an ssh config of the test's own (keys, known_hosts), put in force by
an `ssh` first on PATH: ssh reads the passwd home, never $HOME, and the person's ~/.ssh is
not ours to touch."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def available() -> bool:
    return os.path.exists(SSHD) and shutil.which("ssh-keygen") is not None and os.geteuid() == 0


@dataclass(frozen=True)
class Remote:
    url: str  # DOCKER_HOST / --docker-host
    env: dict[str, str]  # the environment whose `ssh` knows the keys


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def ssh_engine(folder: Path, engine_host: str, engine_client: str) -> Iterator[Remote]:
    folder.mkdir(parents=True, exist_ok=True)
    for key in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)], check=True)
    shutil.copy(folder / "user_key.pub", folder / "authorized_keys")
    port = _free_port()
    # The remote side runs `docker system dial-stdio`: with the session engine's own client,
    # talking to the session's engine.
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "UsePAM no\nStrictModes no\n"
        f"SetEnv DOCKER_HOST={engine_host} PATH={os.path.dirname(engine_client)}:/usr/bin:/bin\n")
    host_key = (folder / "host_key.pub").read_text().split()[:2]
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(host_key)}\n")
    (folder / "ssh_config").write_text(
        f"Host 127.0.0.1\n  IdentityFile {folder / 'user_key'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {folder / 'known_hosts'}\n  StrictHostKeyChecking yes\n  BatchMode yes\n")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {folder / "ssh_config"} "$@"\n')
    (bin_dir / "ssh").chmod(0o755)
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation folder
    daemon = subprocess.Popen([SSHD, "-D", "-e", "-f", str(folder / "sshd_config")], stdout=subprocess.DEVNULL,
                              stderr=open(folder / "sshd.log", "w"))  # noqa: SIM115 - closed with the process
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {(folder / 'sshd.log').read_text()}")
            time.sleep(0.1)
        yield Remote(f"ssh://root@127.0.0.1:{port}", {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
