"""The Docker engines the tests, labs and benches run on, side by side on one machine.

* `20.10`: Debian 12's docker.io (BuildKit built into the daemon and its own client), Compose
  v1 (`docker-compose` 1.29), on the default socket: `.ci/ensure-engine` installs and starts it.
* `26.1`: Debian 13's docker.io 26.1.5, its client with buildx 0.13.1 and Compose v2 2.26.1
  (CLI plugins), on a socket, data root, exec root, pidfile and bridge of its own.
* `26.1-containerd`: the same binaries with the containerd image store, Docker 29's default
  for new installs.

Debian 13's packages are fetched from the same Debian archive with a private apt
configuration and extracted with `dpkg-deb -x` into a folder of ours (never installed over the
system's packages). Their runc needs a newer glibc than Debian 12's, so the system's runc runs
the containers. A daemon is started only when nothing answers on its socket, and this module
never stops one.

    python3 tests/engines.py ensure 20.10 26.1 26.1-containerd   # start what does not answer
    eval "$(python3 tests/engines.py env 26.1)"                  # point a shell at one

`env` is the engine the environment already names (DOCKER_HOST, RUNNER_DOCKER,
DOCKER_CONFIG): the way to point the tests at an engine of your own. Standard library only:
`make test` runs this before the virtualenv exists.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOME = Path(os.environ.get("RUNNER_ENGINES_HOME", "/var/lib/runner-engines"))
RUN = Path("/run/runner-engines")  # sockets and exec roots: unix socket paths must stay short
TRIXIE_PACKAGES = ("docker.io", "docker-cli", "docker-buildx", "docker-compose", "containerd")
TRIXIE_DOCKER = "26.1.5"  # what Debian 13 ships; checked after extraction
DEBIAN_ARCHIVE = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


@dataclass(frozen=True)
class Engine:
    name: str
    host: str  # DOCKER_HOST
    client: str  # the docker CLI that goes with it
    plugins: bool = False  # buildx and Compose v2 as CLI plugins (DOCKER_CONFIG/cli-plugins)
    containerd_store: bool = False
    bridge: str | None = None  # None: the daemon is not ours to start (20.10, env)
    subnet: str = ""  # the bridge's address, and a pool for networks Compose creates
    pool: str = ""

    @property
    def docker_config(self) -> Path | None:
        return HOME / "docker-config" if self.plugins else None

    def env(self) -> dict[str, str]:
        """What a process needs to talk to this engine through its own client."""
        values = {"DOCKER_HOST": self.host, "RUNNER_DOCKER": self.client, "RUNNER_TEST_ENGINE": self.name}
        if self.docker_config is not None:
            values["DOCKER_CONFIG"] = str(self.docker_config)
        return values

    def compose(self) -> list[str] | None:
        """Compose as users of this engine run it: `docker compose` (v2) where the client has
        it, else `docker-compose` (v1)."""
        if self.plugins:
            return [self.client, "compose"]
        standalone = shutil.which("docker-compose")
        return [standalone] if standalone else None


def trixie_root() -> Path:
    return HOME / f"docker-{TRIXIE_DOCKER}"


def _trixie(name: str, containerd_store: bool, bridge: str, subnet: str, pool: str) -> Engine:
    return Engine(name, f"unix://{RUN}/{name}.sock", str(trixie_root() / "usr/bin/docker"), plugins=True,
                  containerd_store=containerd_store, bridge=bridge, subnet=subnet, pool=pool)


ENGINES: dict[str, Engine] = {
    "20.10": Engine("20.10", "unix:///var/run/docker.sock", "/usr/bin/docker"),
    "26.1": _trixie("26.1", False, "runner-d261", "10.231.0.1/24", "10.232.0.0/16"),
    "26.1-containerd": _trixie("26.1-containerd", True, "runner-d261c", "10.233.0.1/24", "10.234.0.0/16"),
}
ALL = tuple(ENGINES)


def from_environment() -> Engine:
    """The engine this environment names: DOCKER_HOST and the client RUNNER_DOCKER (or the
    first docker on PATH), plugins from DOCKER_CONFIG."""
    client = os.environ.get("RUNNER_DOCKER") or shutil.which("docker") or "/usr/bin/docker"
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    return Engine("env", host, client, plugins=bool(os.environ.get("DOCKER_CONFIG")))


def engine(name: str) -> Engine:
    if name == "env":
        return from_environment()
    if name not in ENGINES:
        raise SystemExit(f"engines: no engine {name!r} (known: {', '.join(ALL)}, env)")
    return ENGINES[name]


def answers(chosen: Engine) -> str | None:
    """The engine's version when it answers through its client, else None."""
    if not os.access(chosen.client, os.X_OK):
        return None
    env = {**os.environ, **chosen.env()}
    try:
        done = subprocess.run([chosen.client, "version", "--format", "{{.Server.Version}}"], capture_output=True,
                              text=True, timeout=20, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


# --- fetching Debian 13's packages -----------------------------------------------------------

def fetch_trixie(say=print) -> Path:
    """Debian 13's Docker packages, extracted under HOME (once)."""
    root = trixie_root()
    if (root / "usr/sbin/dockerd").exists() and (root / "usr/libexec/docker/cli-plugins/docker-buildx").exists():
        return root
    apt = HOME / "apt"
    for folder in (apt / "lists/partial", apt / "cache/archives/partial", apt / "debs"):
        folder.mkdir(parents=True, exist_ok=True)
    sources = apt / "sources.list"
    sources.write_text(f"deb [signed-by={KEYRING}] {DEBIAN_ARCHIVE} trixie main\n")
    options = ["-o", f"Dir::Etc::SourceList={sources}", "-o", "Dir::Etc::SourceParts=/dev/null",
               "-o", f"Dir::State::Lists={apt / 'lists'}", "-o", f"Dir::Cache={apt / 'cache'}",
               "-o", "APT::Sandbox::User=root", "-q"]
    say(f"engines: fetching Debian 13's {', '.join(TRIXIE_PACKAGES)} into {root}")
    _run(["apt-get", *options, "update"], cwd=apt)
    _run(["apt-get", *options, "download", *TRIXIE_PACKAGES], cwd=apt / "debs")
    staging = root.with_name(root.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for deb in sorted((apt / "debs").glob("*.deb")):
        _run(["dpkg-deb", "-x", str(deb), str(staging)])
    version = _run([str(staging / "usr/bin/docker"), "--version"]).stdout
    if TRIXIE_DOCKER not in version:
        raise SystemExit(f"engines: Debian 13 now ships {version.strip()}; update TRIXIE_DOCKER in {__file__}")
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)
    return root


def _run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"engines: {' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


# --- starting a daemon -----------------------------------------------------------------------

def ensure(names: list[str], say=print) -> None:
    """Every engine named answers, started here when it did not."""
    for name in names:
        chosen = engine(name)
        version = answers(chosen)
        if version:
            say(f"engines: {name} answers (Docker Engine {version}) on {chosen.host}")
            continue
        if chosen.name == "20.10":
            _run([str(ROOT / ".ci/ensure-engine")])
        elif chosen.bridge is None:
            raise SystemExit(f"engines: nothing answers on {chosen.host} ({name}), and it is not mine to start")
        else:
            _start(chosen, say)
        version = answers(chosen)
        if not version:
            raise SystemExit(f"engines: {name} does not answer on {chosen.host}")
        say(f"engines: {name} answers (Docker Engine {version}) on {chosen.host}")


def _start(chosen: Engine, say) -> None:
    root = fetch_trixie(say)
    _plugins(root)
    _bridge(chosen)
    _wait_for_the_last_one_to_exit(chosen)
    state = HOME / chosen.name
    exec_root = RUN / chosen.name
    for folder in (state / "data", exec_root):
        folder.mkdir(parents=True, exist_ok=True)
    config = state / "daemon.json"
    # live-restore: a dockerd that restarts on a data root with a bridge network in it, and has a
    # --default-address-pool, deletes the interface named docker0 unless live-restore is on (moby's
    # configureNetworking); it did, here, and every container on the host engine lost its network.
    config.write_text(json.dumps({"features": {"containerd-snapshotter": chosen.containerd_store},
                                  "live-restore": True}, indent=2) + "\n")
    socket = chosen.host.removeprefix("unix://")
    argv = [str(root / "usr/sbin/dockerd"), "--config-file", str(config), "-H", chosen.host,
            "--data-root", str(state / "data"), "--exec-root", str(exec_root), "--pidfile", f"{RUN}/{chosen.name}.pid",
            "--bridge", chosen.bridge, "--iptables=false", "--ip-masq=false", "--ip6tables=false",
            "--default-address-pool", f"base={chosen.pool},size=24"]
    # The extracted binaries first; then the system's, for runc (Debian 13's needs glibc 2.38).
    path = f"{root / 'usr/sbin'}:{root / 'usr/bin'}:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}"
    log = Path(f"/var/log/runner-engine-{chosen.name}.log")
    say(f"engines: starting Docker {TRIXIE_DOCKER} as {chosen.name} on {socket} (log: {log})")
    for attempt in (1, 2):
        start = log.stat().st_size if log.exists() else 0
        with open(log, "ab") as out:
            daemon = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      env=_daemon_environment(path), start_new_session=True)
        for _ in range(120):
            if answers(chosen):
                return
            if daemon.poll() is not None:
                break
            time.sleep(0.5)
        with open(log, "rb") as read:
            read.seek(start)
            said = read.read().decode(errors="replace")
        # dockerd waits 10 s for its containerd; a metadata database grown by many runs takes
        # as long to open the first time (seen at 130 MB), and is in the page cache the second
        if attempt == 1 and daemon.poll() is not None and "timeout waiting for containerd" in said:
            say(f"engines: {chosen.name}'s containerd was slow to start; starting it again")
            _wait_for_the_last_one_to_exit(chosen)
            continue
        raise SystemExit(f"engines: {chosen.name} did not answer within 60 s; {log}:\n{said[-3000:]}")


def _daemon_environment(path: str) -> dict[str, str]:
    """The environment a daemon starts with: it outlives whoever starts it (a test session, a
    lab), so nothing of that one's own folders. runc keeps a process's exec files under
    XDG_RUNTIME_DIR: a daemon started inside a test session that had its own, removed at its
    end, could no longer `docker exec` (seen: "open /tmp/rt-.../runc-process...: no such file")."""
    env = {name: value for name, value in os.environ.items() if name not in ("XDG_RUNTIME_DIR", "XDG_STATE_HOME")}
    env["PATH"] = path
    return env


def _wait_for_the_last_one_to_exit(chosen: Engine) -> None:
    """A daemon that is shutting down has closed its socket but holds its pidfile: a new one
    refuses to start until it is gone."""
    pidfile = RUN / f"{chosen.name}.pid"
    try:
        pid = int(pidfile.read_text())
    except (OSError, ValueError):
        return
    for _ in range(120):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.25)


def _plugins(root: Path) -> None:
    """A DOCKER_CONFIG whose cli-plugins are Debian 13's buildx and Compose v2."""
    plugins = HOME / "docker-config" / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    for plugin in ("docker-buildx", "docker-compose"):
        link = plugins / plugin
        if not link.exists():
            link.symlink_to(root / "usr/libexec/docker/cli-plugins" / plugin)


def _bridge(chosen: Engine) -> None:
    """The daemon's own bridge (never docker0): created once, then left for the next start."""
    assert chosen.bridge is not None
    if subprocess.run(["ip", "link", "show", chosen.bridge], capture_output=True).returncode != 0:
        _run(["ip", "link", "add", chosen.bridge, "type", "bridge"])
        _run(["ip", "addr", "add", chosen.subnet, "dev", chosen.bridge])
    _run(["ip", "link", "set", chosen.bridge, "up"])


def bench_engines(default: tuple[str, ...] = ALL) -> str:
    """For a bench, before it imports the test helpers: `--engines A,B,...` (default: every
    engine). With several, the bench runs again once per engine, each in that engine's
    environment, and this process exits with the worst exit code; with one, that engine is
    started if it does not answer, this process is pointed at it, and its name returned."""
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--engines", default=",".join(default))
    known, rest = parser.parse_known_args()
    names = [name for name in known.engines.split(",") if name]
    if {"-h", "--help"} & set(rest):
        return (names or list(default))[0]  # the bench's own parser answers, once, and exits
    if len(names) == 1:
        ensure(names, say=lambda line: None)
        os.environ.update(engine(names[0]).env())
        return names[0]
    worst = 0
    for name in names:
        print(f"\n== {Path(sys.argv[0]).name} on {name} ({engine(name).host})", flush=True)
        done = subprocess.run([sys.executable, sys.argv[0], *rest, "--engines", name])
        worst = max(worst, done.returncode)
    sys.exit(worst)


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "ensure":
        ensure(argv[1:] or list(ALL), say=lambda line: print(line, file=sys.stderr))
        return 0
    if len(argv) == 2 and argv[0] == "env":
        for key, value in engine(argv[1]).env().items():
            print(f"export {key}={value}")
        return 0
    if argv == ["list"]:
        for chosen in ENGINES.values():
            print(f"{chosen.name}\t{chosen.host}\t{chosen.client}\t{answers(chosen) or 'not answering'}")
        return 0
    print("usage: engines.py ensure [NAME...] | env NAME | list", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
