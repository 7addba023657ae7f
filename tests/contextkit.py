"""Shared helpers of the build-context tests (tests/buildctx/, tests/checks/test_context.py):
contexts written from a table, the seed-shaped context, and builds on the real engine whose
output is compared with what the analysis predicts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dockerlab import DOCKER  # the session's engine's own client

import functools

from runner.buildctx.dockerignore import MODERN, DockerIgnore, flavor_for_client


def make_context(root: Path, files: dict[str, str] | list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    items = files.items() if isinstance(files, dict) else ((f, f + "\n") for f in files)
    for name, text in items:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def excluded(patterns: list[str], path: str, flavor: str = MODERN) -> bool:
    return DockerIgnore.from_lines(patterns, flavor=flavor).match(path).excluded


SEED_DOCKERFILE = """\
FROM base AS backend-builder
WORKDIR /src
COPY server ./server
RUN mkdir -p /out && sed 's/^/compiled: /' server/routes/authRoutes.ts > /out/authRoutes.js

FROM base
WORKDIR /app
COPY --from=backend-builder /out ./dist/server/routes
COPY public ./public
CMD ["sh", "-c", "sleep 3600"]
"""


def make_seed_context(root: Path) -> Path:
    return make_context(root, {
        "Dockerfile": SEED_DOCKERFILE, "server/routes/authRoutes.ts": "v1\n", "server/routes/settings.local.ts": "x\n",
        "public/index.html": "<h1>A</h1>\n", "README.md": "# app\n", ".dockerignore": "**/*.local.ts\n",
    })


# --------------------------------------------------------------------------- the real engine



def engine_available() -> bool:
    if not os.access(DOCKER, os.X_OK):
        return False
    try:
        return subprocess.run([DOCKER, "version"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.cache
def session_flavor() -> str:
    """The matcher generation of the session's client: 20.10 sends what LEGACY predicts, a
    buildx-era client (23+) what MODERN predicts."""
    done = subprocess.run([DOCKER, "version", "--format", "{{.Client.Version}}"], capture_output=True, text=True,
                          timeout=10, check=True)
    return flavor_for_client(done.stdout.strip())


def build_to_dir(context: Path, out: Path) -> subprocess.CompletedProcess[str]:
    # --output: files only, no image to clean up (the build cache keeps a few tiny records).
    return subprocess.run([DOCKER, "build", "-q", "--output", f"type=local,dest={out}", str(context)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "DOCKER_BUILDKIT": "1"})


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink())
