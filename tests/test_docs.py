"""No text of the repository refers to a file of the code, the tests or the benches that does
not exist: README, the docs, mkdocs.yml, the playbooks' comments, and the docstrings and
comments of the code and the tests (paths like `runner/lab/janitor.py`, `tests/playbooks/`).
Paths under docs/ and playbooks/ are left out: the tests write such paths as site addresses
and fixture data."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A path into one of the repository's own top-level folders, as text writes it.
PATH = re.compile(r"(?<![\w./~-])((?:runner|tests|bench|\.ci)/[\w./-]*[\w/])")
TEXTS = (".py", ".md", ".yml", ".yaml", ".toml", ".css")
# Where a path stands for something made at run time, not a file of the repository.
MADE_AT_RUN_TIME = {"runner/runs/", "runner/runs"}


def tracked_texts() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in listed.split() if name.endswith(TEXTS) or name in ("Makefile", ".ci/run")]


def test_every_path_a_text_names_exists():
    missing = []
    for path in tracked_texts():
        if "examples/invalid" in str(path):
            continue  # files that are wrong on purpose
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for found in PATH.findall(line):
                named = found.rstrip(".")
                if named in MADE_AT_RUN_TIME:
                    continue
                if not (ROOT / named).exists():
                    missing.append(f"{path.relative_to(ROOT)}:{number}: {named}")
    assert missing == []


def test_every_make_target_a_text_names_exists():
    """docs/onboarding/runner.md said `make setup`, which never existed."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    missing = []
    for path in tracked_texts():
        if path.suffix != ".md":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for target in re.findall(r"`make ([\w-]+)", line):
                if target not in targets:
                    missing.append(f"{path.relative_to(ROOT)}:{number}: make {target}")
    assert targets >= {"run", "test", "install"} and missing == []
