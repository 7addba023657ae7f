"""Docker contexts as the docker CLI finds them: under DOCKER_CONFIG, else ~/.docker, whether or
not a config.json exists there (the docker SDK looks in the current directory when it does not:
a machine where nobody ever logged in)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DockerContext:
    name: str
    host: str


def config_dir() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def current_name() -> str:
    """DOCKER_CONTEXT, else config.json's currentContext, else "default"."""
    if os.environ.get("DOCKER_CONTEXT"):
        return os.environ["DOCKER_CONTEXT"]
    try:
        config = json.loads((config_dir() / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "default"
    name = config.get("currentContext") if isinstance(config, dict) else None
    return name if isinstance(name, str) and name else "default"


def contexts() -> list[DockerContext]:
    """Every context with a docker endpoint, by name; unreadable ones left out."""
    found = []
    for meta in sorted((config_dir() / "contexts" / "meta").glob("*/meta.json")):
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            host = data["Endpoints"]["docker"]["Host"]
            name = data["Name"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(name, str) and isinstance(host, str) and host:
            found.append(DockerContext(name, host))
    return sorted(found, key=lambda context: context.name)


def find(name: str) -> DockerContext | None:
    return next((context for context in contexts() if context.name == name), None)
