"""Real-engine fixtures for tests: a busybox base image, git projects shaped like the seed's
(multi-stage Dockerfile, compiled output), and a janitor that removes exactly what the tests
created, images, containers, volumes and build-cache records, also after a failure. Also the
apps, containers and contexts a playbook's end-to-end tests share with the tests of its checks."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import engines

# The engine of this session (tests/conftest.py's --engine) and its own client: 20.10's
# /usr/bin/docker (BuildKit built in), or 26.1's with buildx.
ENGINE = engines.engine(os.environ.get("RUNNER_TEST_ENGINE", "20.10"))
DOCKER = ENGINE.client
LABEL = "runner.test"
SESSION = uuid.uuid4().hex[:8]
BASE_IMAGE = f"runner-test-busybox:{SESSION}"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Runner Test", "GIT_AUTHOR_EMAIL": "test@runner.invalid",
    "GIT_COMMITTER_NAME": "Runner Test", "GIT_COMMITTER_EMAIL": "test@runner.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
}


def run(argv: list[str], cwd: Path | None = None, check: bool = True, env: dict | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **GIT_ENV, "DOCKER_BUILDKIT": "1", **(env or {})}
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=full_env, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def docker(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return run([DOCKER, *args], **kwargs)


PLAYBOOKS = Path(__file__).resolve().parent.parent / "playbooks"


def found_by_search(catalogue: Any, query: str) -> list[str]:
    """The ids `runner search` ranks for the query, in the query's language (Hangul: ko)."""
    from runner.triage.search import search

    lang = "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in query) else "en"
    return [match.id for match in search(catalogue, query, lang)]


def show(playbook: str, lang: str) -> str:
    """`runner show PLAYBOOK --lang LANG` as a subprocess: its output."""
    done = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(PLAYBOOKS), "show", playbook,
                           "--lang", lang], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_shown(playbook: str, lang: str, title: str, causes: tuple[str, ...]) -> None:
    """`runner show` in that language prints the playbook's title and names each cause."""
    shown = show(playbook, lang)
    assert title in shown
    for cause in causes:
        assert cause in shown


def diagnose(playbook: str, *params: str, cwd: Path | None = None, env: dict | None = None) -> tuple[int, dict]:
    """`runner diagnose PLAYBOOK --json --param NAME=VALUE...` as a subprocess, with this
    environment updated by `env` (a None value removes the variable): (exit code, report)."""
    full_env = {name: value for name, value in {**os.environ, **(env or {})}.items() if value is not None}
    argv = [sys.executable, "-m", "runner", "--playbooks", str(PLAYBOOKS), "diagnose", playbook, "--json",
            *(arg for param in params for arg in ("--param", param))]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=cwd, env=full_env)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def build_cache_records() -> list[dict]:
    """The engine's build-cache records (ID, Description, CreatedAt...), asked of the API for
    the build cache alone: `docker system df` counts every image too, seconds on the
    containerd image store."""
    from runner.engine.usage import build_cache_records as records

    return records(engine_api())


_API: list = []


def engine_api():  # noqa: ANN201 - docker.APIClient, imported late
    """The session engine's API client, made once."""
    if not _API:
        import docker as docker_sdk

        _API.append(docker_sdk.APIClient(base_url=os.environ["DOCKER_HOST"], version="auto", timeout=120))
    return _API[0]


def build_cache_ids() -> set[str]:
    return {record["ID"] for record in build_cache_records()}


def prune_records(records: set[str], all_: bool = True, max_passes: int = 10) -> set[str]:
    """`docker builder prune` of exactly these records (runner.engine.usage: one engine call
    names them all); returns those left. Repeated while more go: a record in use a moment ago
    goes on a later pass. `all_`: also records an image still shares, as `--all` does. Records
    a running `runner lab` owns (it lists them in its ledger) are its own to remove: they are
    left alone."""
    from runner.engine.usage import prune_build_cache_records
    from runner.lab.janitor import claimed_build_cache

    left = set(records) - claimed_build_cache()
    for _ in range(max_passes):
        if not left:
            break
        prune_build_cache_records(engine_api(), left, all_=all_)
        remaining = left & build_cache_ids()
        if remaining == left:
            break
        left = remaining
    return left


ENGINE_LOCK = Path(os.environ.get("RUNNER_TEST_ENGINE_LOCK", f"/tmp/runner-engine-tests-{ENGINE.name}.lock"))
ENGINE_LOCK_WAIT = 20 * 60
# The sessions that started on this engine and have not cleaned up yet, one empty file each.
SESSIONS = ENGINE_LOCK.with_suffix(".sessions")


@dataclass
class Janitor:
    """Everything a test session created on the shared engine, removed at the end.

    One session at a time per machine: a session cannot tell its build-cache records from
    another's (they carry no labels), so a second session's clean-up would prune the first
    one's cache mid-test and turn cached builds into new image IDs. Sessions queue on a
    lock file (waiting at most ENGINE_LOCK_WAIT, then going on with a warning)."""

    cache_before: set[str] = field(default_factory=set)
    lock: object = None

    def start(self) -> None:
        self.lock, alone = _take_engine_lock()
        SESSIONS.mkdir(exist_ok=True)
        if alone:
            # Holding the lock, no other session runs on this engine: a session still listed
            # was killed before its clean-up (a machine stopped mid-run). Only what carries
            # its own label goes; other users of the label are not ours to touch.
            for killed in SESSIONS.iterdir():
                remove_labelled(f"label={LABEL}={killed.name}")
                killed.unlink()
        (SESSIONS / SESSION).touch()
        self.cache_before = build_cache_ids()

    def clean(self) -> None:
        remove_labelled(f"label={LABEL}={SESSION}")
        # Build-cache records cannot carry labels: remove the ones that appeared during the session.
        try:
            prune_records(build_cache_ids() - self.cache_before)
            (SESSIONS / SESSION).unlink(missing_ok=True)
        finally:
            if self.lock is not None:
                self.lock.close()  # releases the flock
                self.lock = None


def remove_labelled(label: str) -> None:
    """Remove the containers (with their anonymous volumes), networks, volumes and images that
    match the label filter."""
    containers = docker("ps", "-aq", "--filter", label).stdout.split()
    if containers:
        docker("rm", "-f", "-v", *containers, check=False)
    networks = docker("network", "ls", "-q", "--filter", label).stdout.split()
    if networks:
        docker("network", "rm", *networks, check=False)
    volumes = docker("volume", "ls", "-q", "--filter", label).stdout.split()
    if volumes:
        docker("volume", "rm", "-f", *volumes, check=False)
    images = docker("images", "-aq", "--filter", label).stdout.split()
    if images:
        docker("rmi", "-f", *dict.fromkeys(images), check=False)


def _take_engine_lock():  # noqa: ANN202
    import fcntl
    import warnings

    handle = open(ENGINE_LOCK, "a")  # noqa: SIM115 - held for the whole session
    deadline = time.monotonic() + ENGINE_LOCK_WAIT
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle, True
        except BlockingIOError:
            if time.monotonic() > deadline:
                warnings.warn(f"another test session holds {ENGINE_LOCK}; going on beside it", stacklevel=2)
                return handle, False
            time.sleep(1)


def build_base_image(workdir: Path) -> str:
    busybox = shutil.which("busybox") or "/bin/busybox"
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(busybox, workdir / "busybox")
    # A first layer of the session's own (a LABEL changes no cache key): the busybox layer's
    # cache record is then this session's, made and pruned by it, and never one shared with
    # every other build of the same busybox on the engine (on 26.1 such a shared record lost
    # its layer once, and every later base build failed "layer does not exist").
    (workdir / "session").write_text(SESSION + "\n")
    (workdir / "Dockerfile").write_text(
        "FROM scratch\n"
        f"LABEL {LABEL}={SESSION}\n"
        "COPY session /.runner-test-session\n"
        "COPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
    )
    docker("build", "-q", "-t", BASE_IMAGE, str(workdir))
    return BASE_IMAGE


# A project shaped like the seed's: TypeScript sources "compiled" in a builder stage, the
# output copied into a runtime stage, plus static files copied verbatim.
DOCKERFILE = """\
FROM {base} AS backend-builder
WORKDIR /src
COPY server ./server
RUN mkdir -p /out && sed 's/^/compiled: /' server/routes/authRoutes.ts > /out/authRoutes.js

FROM {base}
WORKDIR /app
COPY --from=backend-builder /out ./dist/server/routes
COPY public ./public
CMD ["sh", "-c", "sleep 3600"]
"""

# A command that exits at once on SIGTERM: a shell as PID 1 ignores it, and every stop would
# wait the engine's 10 s before SIGKILL.
FAST_STOP = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]

AUTH_V1 = "return res.redirect(`${frontendUrl}/login?error=no_token`);\n"
AUTH_V2 = "return res.redirect('/login?error=no_token');\n"


@dataclass
class Project:
    """A git checkout with a seed-like Dockerfile, an image tag and a container name."""

    root: Path
    image: str
    container: str

    @classmethod
    def create(cls, tmp: Path, base: str = BASE_IMAGE) -> Project:
        name = f"runner-test-{SESSION}-{uuid.uuid4().hex[:6]}"
        root = tmp / "app"
        (root / "server/routes").mkdir(parents=True)
        (root / "public").mkdir()
        (root / "Dockerfile").write_text(DOCKERFILE.format(base=base))
        (root / "server/routes/authRoutes.ts").write_text(AUTH_V1)
        (root / "public/index.html").write_text("<h1>version AAAA</h1>\n")
        (root / "README.md").write_text("# app\n")
        # Identical content builds identical image IDs: keep each project's images its own.
        (root / "public/project.txt").write_text(name + "\n")
        run(["git", "init", "-q", "-b", "main"], cwd=root)
        project = cls(root, f"{name}:staging", name)
        project.commit("initial")
        return project

    def write(self, relpath: str, text: str) -> None:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def commit(self, message: str) -> None:
        run(["git", "add", "-A"], cwd=self.root)
        run(["git", "commit", "-q", "--allow-empty", "-m", message], cwd=self.root)

    def build(self) -> str:
        done = docker("build", "--progress=plain", "-t", self.image, str(self.root))
        return done.stdout + done.stderr

    def image_id(self) -> str:
        return docker("image", "inspect", "-f", "{{.Id}}", self.image).stdout.strip()

    def run_container(self, *extra: str) -> None:
        docker("rm", "-f", self.container, check=False)
        docker("run", "-d", "--name", self.container, "--label", f"{LABEL}={SESSION}", *extra, self.image)

    def run_fast_stopping(self, *extra: str) -> None:
        """Like run_container, with FAST_STOP as the command (for tests that stop it)."""
        docker("rm", "-f", self.container, check=False)
        docker("run", "-d", "--name", self.container, "--label", f"{LABEL}={SESSION}", *extra, self.image, *FAST_STOP)

    def deploy_then_fix_the_source(self) -> None:
        """The seed's state: a container running v1, then the fix committed and built, and the
        container not recreated (the cause container-not-recreated)."""
        self.build()
        self.run_fast_stopping()
        self.write("server/routes/authRoutes.ts", AUTH_V2)
        self.commit("fix redirect")
        self.build()

    def read(self, path: str) -> str:
        """A file as the running container serves it."""
        return docker("exec", self.container, "cat", path).stdout

    def network(self, suffix: str = "net") -> str:
        name = f"{self.container}-{suffix}"
        docker("network", "create", "--label", f"{LABEL}={SESSION}", name)
        return name

    def volume(self, suffix: str = "public") -> str:
        name = f"{self.container}-{suffix}"
        docker("volume", "create", "--label", f"{LABEL}={SESSION}", name)
        return name

    def container_image(self) -> str:
        return docker("inspect", "-f", "{{.Image}}", self.container).stdout.strip()

    def wait_a_second(self) -> None:
        # Image `Created` and commit times have second resolution: keep them apart.
        time.sleep(1.1)

    def deployed_from_a_clone(self, tmp: Path, fast_stopping: bool = False) -> tuple[Path, Project]:
        """(a bare remote of this project, a server's clone of it), the clone built and run under
        this project's image and container names."""
        remote = tmp / "remote.git"
        run(["git", "clone", "-q", "--bare", str(self.root), str(remote)])
        clone = tmp / "deploy"
        run(["git", "clone", "-q", str(remote), str(clone)])
        deployed = Project(clone, self.image, self.container)
        deployed.build()
        deployed.run_fast_stopping() if fast_stopping else deployed.run_container()
        return remote, deployed

    def deploy_then_change_an_excluded_file(self, pattern: str, path: str, old: str, new: str,
                                            fast_stopping: bool = False, build: Any = None) -> None:
        """Deploy with `path` excluded by `.dockerignore`'s `pattern` (built by `build()`, else
        BuildKit), then commit a change to it."""
        self.write(".dockerignore", pattern + "\n")
        self.write(path, old)
        self.commit(f"add {path}")
        (build or self.build)()
        self.run_fast_stopping() if fast_stopping else self.run_container()
        self.wait_a_second()
        self.write(path, new)
        self.commit(f"change {path}")


# --- apps of the playbook tests, shared with the tests of their checks ----------------------

COMPOSE = ENGINE.compose()  # `docker compose` (v2) where the client has it, else docker-compose (v1)
COMPOSE_V2 = COMPOSE is not None and COMPOSE[-1] == "compose"
NO_COMPOSE = "no Compose for this engine's client: neither the compose plugin nor docker-compose (v1)"
ANONYMOUS_VOLUME = re.compile(r"^[0-9a-f]{64}$")  # the name the engine gives a volume nobody named


def compose(project: str, cwd: Path, *args: str, check: bool = True) -> str:
    """Compose with its own default builder (v1: the legacy one, DOCKER_BUILDKIT unset; v2: BuildKit)."""
    assert COMPOSE is not None, NO_COMPOSE
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_BUILDKIT"}
    done = subprocess.run([*COMPOSE, "-p", project, *args], cwd=cwd, capture_output=True, text=True,
                          env={**env, **GIT_ENV}, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"compose {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


class ServingApp:
    """An app FROM the session's labelled base whose /app/version.txt is what it serves; one
    unique name for its tag, its containers and its Compose project.

    Compose's anonymous volumes carry no label (v2 makes them through mounts, which the engine
    does not label `com.docker.volume.anonymous` either), and one carried over by a recreate is
    mounted by name, so `docker rm -v` and `down -v` leave it: after every Compose command the
    app notes the anonymous volumes its project's containers mount, and `remove` deletes them,
    also after a failure."""

    def __init__(self, root: Path, kind: str) -> None:
        self.root = root
        self.name = f"runner-test-{SESSION}-{kind}-{uuid.uuid4().hex[:6]}"
        self.image = f"{self.name}:latest"
        self.project = self.name
        self.anonymous_volumes: set[str] = set()
        root.mkdir(parents=True)

    def version(self, text: str) -> None:
        (self.root / "version.txt").write_text(text + "\n")

    def served(self, container: str) -> str:
        return docker("exec", container, "cat", "/app/version.txt").stdout.strip()

    def compose(self, *args: str, check: bool = True) -> str:
        try:
            return compose(self.name, self.root, *args, check=check)
        finally:
            self.note_anonymous_volumes(*self.project_containers())

    def project_containers(self) -> list[str]:
        """The IDs of every container of this app's Compose project (Compose finds them by label)."""
        return docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}",
                      check=False).stdout.split()

    def service_container(self, service: str = "web") -> str:
        """The name Compose gave the service's container: `<project>-web-1` (v2), `<project>_web_1` (v1)."""
        found = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}",
                       "--filter", f"label=com.docker.compose.service={service}").stdout.split()
        assert len(found) == 1, f"{len(found)} containers of service {service} in project {self.project}"
        return docker("inspect", "-f", "{{.Name}}", found[0]).stdout.strip().lstrip("/")

    def note_anonymous_volumes(self, *containers: str) -> None:
        for container in containers:
            done = docker("inspect", "-f", "{{range .Mounts}}{{.Name}} {{end}}", container, check=False)
            self.anonymous_volumes |= {n for n in done.stdout.split() if ANONYMOUS_VOLUME.match(n)}

    def remove_compose_project(self) -> None:
        """Containers, networks and the anonymous volumes of this app's Compose project."""
        if COMPOSE and (self.root / "docker-compose.yml").exists():
            self.compose("down", "-v", "-t", "0", check=False)
        containers = self.project_containers()
        self.note_anonymous_volumes(*containers)
        if containers:
            docker("rm", "-f", "-v", *containers, check=False)
        if self.anonymous_volumes:
            docker("volume", "rm", "-f", *sorted(self.anonymous_volumes), check=False)


class StaleContainerApp(ServingApp):
    """A one-service app run by `docker run` or as a Compose service (the stale-container
    playbook); everything it made is removed at the end."""

    DOCKERFILE = """\
FROM {base}
WORKDIR /app
COPY server.sh version.txt ./
CMD ["sh", "/app/server.sh"]
"""
    SERVER = """\
trap 'exit 0' TERM
echo "serving version $(cat /app/version.txt)"
sleep 3600 & wait
"""
    COMPOSE_FILE = """\
services:
  web:
    build: .
{image_line}"""

    def __init__(self, root: Path) -> None:
        super().__init__(root, "sc")
        self.container = self.name
        (root / "Dockerfile").write_text(self.DOCKERFILE.format(base=BASE_IMAGE))
        (root / "server.sh").write_text(self.SERVER)
        # Identical content builds identical image IDs: keep each test's images its own.
        self.version(f"v1 {self.name}")
        self.compose_file(with_image=True)

    def compose_file(self, with_image: bool) -> None:
        line = f"    image: {self.image}\n" if with_image else ""
        (self.root / "docker-compose.yml").write_text(self.COMPOSE_FILE.format(image_line=line))

    def build(self, tag: str | None = None) -> str:
        done = docker("build", "--progress=plain", "-t", tag or self.image, str(self.root))
        return done.stdout + done.stderr

    def run(self) -> None:
        docker("run", "-d", "--name", self.container, "--label", f"{LABEL}={SESSION}", self.image)

    def served(self, container: str | None = None) -> str:
        return super().served(container or self.container)

    def remove(self) -> None:
        self.remove_compose_project()
        docker("rm", "-f", "-v", self.container, check=False)


class VolumeShadowsApp(ServingApp):
    """An app whose /app holds a script and a version file (the volume-shadows-image
    playbook); its containers and volumes are removed at the end."""

    DOCKERFILE = """\
FROM {base}
WORKDIR /app
COPY server.sh version.txt ./
RUN chmod +x server.sh
CMD {cmd}
"""
    SERVER = """\
#!/bin/sh
trap 'exit 0' TERM
echo "serving version $(cat /app/version.txt)"
sleep 3600 & wait
"""

    def __init__(self, root: Path) -> None:
        super().__init__(root, "vs")
        self.containers: list[str] = []
        self.volumes: list[str] = []
        (root / "server.sh").write_text(self.SERVER)
        self.dockerfile('["/app/server.sh"]')
        # Identical content builds identical image IDs: keep each test's images its own.
        self.version(f"v1 {self.name}")

    def dockerfile(self, cmd: str) -> None:
        (self.root / "Dockerfile").write_text(self.DOCKERFILE.format(base=BASE_IMAGE, cmd=cmd))

    def build(self) -> None:
        docker("build", "-q", "-t", self.image, str(self.root))

    def volume(self, suffix: str) -> str:
        name = f"{self.name}-{suffix}"
        docker("volume", "create", "--label", f"{LABEL}={SESSION}", name)
        self.volumes.append(name)
        return name

    def run(self, suffix: str, *mounts: str, client: str = DOCKER, check: bool = True) -> subprocess.CompletedProcess:
        name = f"{self.name}-{suffix}"
        self.containers.append(name)
        argv = [client, "run", "-d", "--name", name, "--label", f"{LABEL}={SESSION}"]
        for mount in mounts:
            argv += ["-v", mount]
        return run([*argv, self.image], check=check)

    def replace(self, suffix: str, *mounts: str) -> str:
        docker("rm", "-f", f"{self.name}-{suffix}")
        return self.run(suffix, *mounts).stdout.strip()

    def remove(self) -> None:
        self.remove_compose_project()
        if self.containers:
            self.note_anonymous_volumes(*self.containers)
            docker("rm", "-f", "-v", *self.containers, check=False)
        if self.volumes or self.anonymous_volumes:
            docker("volume", "rm", "-f", *self.volumes, *sorted(self.anonymous_volumes), check=False)


def app_fixture(kind: type[ServingApp]):  # noqa: ANN201 - a pytest fixture
    """A pytest fixture `app`: a `kind` app in the test's own folder, removed afterwards."""
    import pytest  # here, not at the top: the benchmarks import this module without pytest

    @pytest.fixture
    def app(engine, tmp_path):  # noqa: ARG001 - the engine must answer first
        made = kind(tmp_path / "app")
        yield made
        made.remove()

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PortContainers:
    """Containers of one test that publish a port, named and labelled, removed at the end."""

    def __init__(self) -> None:
        self.prefix = f"runner-test-{SESSION}-port-{uuid.uuid4().hex[:6]}"
        self.made: list[str] = []

    def name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    def run(self, suffix: str, port: int, client: str = DOCKER) -> subprocess.CompletedProcess:
        name = self.name(suffix)
        self.made.append(name)
        return run([client, "run", "-d", "--name", name, "--label", f"{LABEL}={SESSION}",
                    "-p", f"127.0.0.1:{port}:80", BASE_IMAGE, *FAST_STOP], check=False)

    def remove(self) -> None:
        if self.made:
            docker("rm", "-f", *dict.fromkeys(self.made), check=False)


@contextlib.contextmanager
def listening_port() -> Iterator[int]:
    """A host process listening on a 127.0.0.1 port (this test process itself): the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                sock.accept()[0].close()
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


# The dockerignore-excludes playbook's project: a COPY of a folder and of one file.
EXCLUSIONS_DOCKERFILE = """\
FROM {base}
WORKDIR /app
COPY server ./server
COPY config/settings.json ./config/
CMD ["sh", "-c", "sleep 3600"]
"""


def exclusions_context(root: Path, dockerignore: str | None = ".git\nnode_modules\n*.md\n", base: str = "scratch",
                       dockerfile: str = EXCLUSIONS_DOCKERFILE) -> Path:
    (root / "server/routes").mkdir(parents=True)
    (root / "config").mkdir()
    (root / "server/index.js").write_text("require('./routes/authRoutes');\n")
    (root / "server/routes/authRoutes.ts").write_text("export const redirect = '/login';\n")
    (root / "server/routes/settings.local.ts").write_text("export const url = 'old';\n")
    (root / "config/settings.json").write_text('{"port": 4010}\n')
    (root / "README.md").write_text("# app\n")
    # Identical content builds identical image IDs: keep each test's images its own.
    (root / "server/id.txt").write_text(uuid.uuid4().hex + "\n")
    (root / "Dockerfile").write_text(dockerfile.format(base=base))
    if dockerignore is not None:
        (root / ".dockerignore").write_text(dockerignore)
    return root
