"""Builds of the real site with `mkdocs build --strict`, for the site tests and their fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output" / "site"
FIXTURES = ROOT / "tests" / "site" / "fixtures"
CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright downloads no browser here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


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


def assert_local(page, base: str) -> None:  # noqa: ANN001 - a Playwright page
    """Every request the page made stayed on the site's own server (the build is offline)."""
    host = urlsplit(base).netloc
    outside = [url for url in page.requests if urlsplit(url).scheme in ("http", "https")
               and urlsplit(url).netloc != host]
    assert outside == []
