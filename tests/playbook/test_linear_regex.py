"""Signatures and `matches` comparisons run on RE2: a crafted log line cannot make triage
backtrack, and a pattern that needs backtracking is refused when the playbook is validated."""

from __future__ import annotations

import re
import time
from pathlib import Path

import clikit
import pytest

from runner.playbook.linear_regex import compile_linear
from runner.playbook.loader import load_file
from runner.triage.index import triage

EVIL = r"^ERROR: (a+)+$"


def test_a_nested_quantifier_on_a_crafted_line_takes_no_time():
    crafted = "ERROR: " + "a" * 5000 + "!"
    started = time.monotonic()
    assert compile_linear(EVIL).search(crafted) is None
    assert compile_linear(EVIL).search("ERROR: aaaa") is not None
    # Python's engine takes seconds at 28 characters and doubles with each one more
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("pattern", [r"foo(?=bar)", r"(?<!x)y", r"(a)\1", r"(?!z)"])
def test_backtracking_features_are_refused_with_a_hint(pattern):
    re.compile(pattern)  # Python takes them
    with pytest.raises(ValueError, match="linear-time"):
        compile_linear(pattern)


def test_an_invalid_pattern_says_so():
    with pytest.raises(ValueError, match="not a valid regular expression"):
        compile_linear("[unclosed")


def hostile_playbook(folder: Path, signature: str) -> Path:
    text = (clikit.ROOT / "playbooks" / "buildx-missing.yaml").read_text()
    first = "'^ERROR: BuildKit is enabled but the buildx component is missing or broken\\.?$'"
    assert first in text
    path = folder / "buildx-missing.yaml"
    path.write_text(text.replace(first, f"'{signature}'", 1))
    return path


def test_triage_of_crafted_lines_with_an_evil_signature_is_bounded(tmp_path):
    playbook = load_file(hostile_playbook(tmp_path, EVIL))
    log = "\n".join("ERROR: " + "a" * n + "!" for n in range(20, 4000, 97)) + "\nERROR: aaaa\n"
    started = time.monotonic()
    matches = triage([playbook], log)
    assert time.monotonic() - started < 5.0
    assert matches and matches[0].lines[0].text == "ERROR: aaaa"


def test_validate_refuses_a_signature_that_needs_backtracking(tmp_path):
    path = hostile_playbook(tmp_path, r"^ERROR: (?!foo)buildx")
    done = clikit.run("validate", str(path))
    assert done.returncode == 3, done.stdout + done.stderr
    assert f"{path}:" in done.stderr and "signatures" in done.stderr and "linear-time" in done.stderr
