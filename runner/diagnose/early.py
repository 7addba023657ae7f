"""The cached build of a diagnosis, started before the playbook is loaded.

Loading a playbook is most of a diagnosis's start-up (~0.3 s: pydantic builds the models, the
YAML is read and validated), and the build it leads to is the longest wait. So a diagnosis
remembers the builds its checks started, under the command that asked: the playbook's file as
it is now (size and time), the params as given, the folder it ran in, the engine asked for and
the runner's version. The same command next time starts those builds first, and the check that
would start the same build adopts it (runner/engine/building.py); one no check adopts is
stopped and what it made removed. Anything else (an edited playbook, other params, another
folder or engine): nothing starts early, and the diagnosis runs as it would have.

Light on purpose: no models, no docker SDK until a build is actually started.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from runner import __version__
from runner.engine.building import Builds, BuildSpec
from runner.playbook.folders import playbook_file
from runner.state import state_dir, write_atomically

# The environment that decides which engine and which client a command reaches.
_ENGINE_ENV = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "RUNNER_DOCKER", "RUNNER_DOCKER_HOST")


def _command(playbook: Path, given: dict[str, str], docker_host: str | None, cwd: Path) -> list:
    stat = playbook.stat()
    return [__version__, str(playbook.resolve()), stat.st_size, stat.st_mtime_ns, sorted(given.items()),
            docker_host, str(cwd), [os.environ.get(name) for name in _ENGINE_ENV]]


def _record(playbook: Path, cwd: Path) -> Path:
    name = hashlib.sha256(f"{playbook.resolve()}\0{cwd}".encode()).hexdigest()[:24]
    return state_dir("cache") / "early-builds" / f"{name}.json"


def start_remembered(folder: Path, playbook_id: str, given: dict[str, str], docker_host: str | None,
                     cwd: Path, builds: Builds) -> int:
    """Start the builds the last diagnosis of this same command started, in the background,
    into `builds`; how many. Never raises: whatever goes wrong here, the diagnosis finds out
    and says so itself."""
    try:
        playbook = playbook_file(playbook_id, folder)
        if playbook is None:
            return 0
        remembered = json.loads(_record(playbook, cwd).read_text())
        if remembered.get("command") != json.loads(json.dumps(_command(playbook, given, docker_host, cwd))):
            return 0
        specs = [BuildSpec(**spec) for spec in remembered.get("builds", ())]
    except (OSError, ValueError, TypeError, AttributeError):
        return 0
    if specs:
        builds.start_early(specs)
    return len(specs)


def remember(folder: Path, playbook_id: str, given: dict[str, str], docker_host: str | None, cwd: Path,
             builds: list[BuildSpec]) -> None:
    """What this diagnosis built, for the next one of the same command to start first."""
    try:
        playbook = playbook_file(playbook_id, folder)
        if playbook is None:
            return
        record = {"command": _command(playbook, given, docker_host, cwd),
                  "builds": [{"context": b.context, "dockerfile": b.dockerfile, "target": b.target, "host": b.host}
                             for b in builds]}
        # A hint: a broken record after a power cut starts nothing early (start_remembered).
        write_atomically(_record(playbook, cwd), json.dumps(record), durable=False)
    except OSError:
        pass  # an unwritable state folder costs only the early start
