"""A playbook in tmp whose checks are commands and whose fixes write files, so that `runner fix`
(plan output, consent, timeouts, failures, rounds, Ctrl-C, the run report) is tested for real
without an engine, and quickly: the cases in tests/fix/ and tests/commands/test_fix.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import cli

# Causes in chain order: a, b, c, d, each "missing marker file"; `broken` exists = an
# earlier cause (so a fix that creates it makes things worse).
PLAYBOOK = """\
id: markers
title: Markers
summary: files that should exist
params:
  dir: {type: directory, description: the folder, required: true}
symptoms: [{text: a marker is missing}]
checks:
  - {id: broken, kind: command, args: {run: [test, '!', -e, "{{dir}}/broken"]}}
  - {id: a, kind: command, args: {run: [test, -e, "{{dir}}/a"]}}
  - {id: b, kind: command, args: {run: [test, -e, "{{dir}}/b"]}}
  - {id: c, kind: command, args: {run: [test, -e, "{{dir}}/c"]}}
  - {id: d, kind: command, args: {run: [test, -e, "{{dir}}/d"]}}
causes:
  - {id: is-broken, title: broken, when: {check: broken, status: fail}, explanation: e, fix: make-a}
  - {id: no-a, title: no a, when: {check: a, status: fail}, explanation: a is missing, evidence: [a], fix: make-a}
  - {id: no-b, title: no b, when: {check: b, status: fail}, explanation: e, fix: make-b}
  - {id: no-c, title: no c, when: {check: c, status: fail}, explanation: e, fix: make-c}
  - {id: no-d, title: no d, when: {check: d, status: fail}, explanation: e, fix: make-d}
fixes:
  - id: make-a
    title: Make a
    steps:
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
    verify: [a]
  - id: make-b
    title: Make b
    steps: [{title: Write b, run: [touch, "{{dir}}/b"], effect: write}]
  - id: make-c
    title: Make c
    steps: [{title: Write c, run: [touch, "{{dir}}/c"], effect: write}]
  - id: make-d
    title: Make d
    steps: [{title: Write d, run: [touch, "{{dir}}/d"], effect: write}]
alternatives:
  - id: slow
    title: Too slow
    steps:
      - {title: Sleep, run: [sleep, "5"], effect: write, timeout: 0.3}
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
  - id: failing
    title: Fails half way
    steps:
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
      - {title: Fail, run: [sh, -c, "echo cannot; exit 3"], effect: write}
      - {title: Write b, run: [touch, "{{dir}}/b"], effect: write}
  - id: wipe
    title: Wipe and write
    steps:
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
      - title: Delete the scratch folder
        run: [rm, -rf, "{{dir}}/scratch"]
        effect: destructive
        loses: everything in {{dir}}/scratch
  - id: breaks
    title: Makes it worse
    steps: [{title: Break, run: [touch, "{{dir}}/broken"], effect: write}]
  - id: noop
    title: Does nothing
    steps: [{title: Nothing, run: ["true"], effect: write}]
  - id: by-hand
    title: By hand
    steps: [{title: Do it yourself, manual: "touch {{dir}}/a", effect: read}]
  - id: leaky
    title: Prints secrets
    steps:
      - title: Leak
        run: [sh, -c, 'echo "Authorization: Bearer abcdefghijklmnop12"; echo "$GITHUB_TOKEN"; touch a']
        env: {GITHUB_TOKEN: ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}
        effect: write
  - id: two-steps
    title: Two slow steps
    steps:
      - {title: Start, run: [sh, -c, "touch started; sleep 1.5"], effect: write}
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
"""


def markers_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The work folder (the playbook's `dir`), the cwd; run reports go to tmp_path/state."""
    books = tmp_path / "playbooks"
    books.mkdir()
    (books / "markers.yaml").write_text(PLAYBOOK)
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(folder)
    return folder


def invoke(work: Path, *args: str, input: str | None = None, terminal: bool = False, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr("runner.commands.fix.stdin_is_terminal", lambda: terminal)
    return CliRunner().invoke(cli, ["--playbooks", str(work.parent / "playbooks"), "fix", "markers",
                                    "--param", f"dir={work}", *args], input=input)


def reports(work: Path) -> list[dict]:
    folder = work.parent / "state/runner/runs"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def touch_all(work: Path, *names: str) -> None:
    for name in names:
        (work / name).touch()
