"""Builds of the real site with `mkdocs build --strict`, for the site tests and their fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output" / "site"
FIXTURES = ROOT / "tests" / "site" / "fixtures"


@dataclass
class Build:
    site: Path
    log: str
    returncode: int


def build_site(dest: Path, playbooks: Path | None = None, config: Path = ROOT / "mkdocs.yml",
               jobs: int | None = None) -> Build:
    """`mkdocs build --strict`; jobs: worker processes for the generated pages (RUNNER_SITE_JOBS)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("RUNNER_PLAYBOOKS", None)
    env.pop("RUNNER_SITE_JOBS", None)
    if playbooks is not None:
        env["RUNNER_PLAYBOOKS"] = str(playbooks)
    if jobs is not None:
        env["RUNNER_SITE_JOBS"] = str(jobs)
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(dest)],
        capture_output=True, text=True, env=env, cwd=config.parent, timeout=300)
    return Build(dest, proc.stdout + proc.stderr, proc.returncode)
