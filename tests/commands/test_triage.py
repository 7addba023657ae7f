"""`runner triage` and `runner search` (runner/commands/triage.py): text and JSON, the log from
a file, standard input or neither, no match, and how many playbooks are shown. What they rank
is tested in tests/triage/test_index.py and tests/triage/test_search.py."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import clikit
import pytest
from click.testing import CliRunner

from runner import exitcodes
from runner.cli import cli
from runner.commands.triage import TEXT_LIMIT

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"

# The build log excerpt of the seed write-up (구체적인 상황, step 5), as pasted there.
SEED_EXCERPT = """\
#14 [backend-builder 4/7] COPY server ./server
#14 CACHED

#19 [backend-builder 7/7] RUN npm run build:server
#19 CACHED
"""


def invoke(*args: str, stdin: str | bytes | None = None, playbooks: Path = PLAYBOOKS):
    return CliRunner().invoke(cli, ["--playbooks", str(playbooks), *args], input=stdin, catch_exceptions=False)


def run(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RUNNER_PLAYBOOKS"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(PLAYBOOKS), *args], input=stdin,
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


# --- runner triage ------------------------------------------------------------------------


def test_triage_text_names_the_lines_and_their_symptom():
    result = invoke("triage", "--lang", "en", stdin=SEED_EXCERPT)
    assert result.exit_code == exitcodes.OK
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1. buildkit-stale  Old code in the container after git pull")
    assert "build-all-cached: After `git pull`, a Docker build does not pick up the changes (2 lines)" in lines[1]
    assert re.search(r"^\s+2  #14 CACHED$", result.stdout, re.M)
    assert re.search(r"^\s+5  #19 CACHED$", result.stdout, re.M)
    assert "runner show buildkit-stale" in result.stderr


def test_triage_json_shape():
    result = invoke("triage", "--json", "-", stdin=SEED_EXCERPT)
    assert result.exit_code == exitcodes.OK
    data = json.loads(result.stdout)
    assert list(data) == ["matches"]
    match = data["matches"][0]
    assert set(match) == {"id", "score", "symptoms", "lines"}
    assert match["id"] == "buildkit-stale" and match["score"] == 1.01
    assert match["symptoms"] == [{"id": "build-all-cached", "index": 1, "lines": 2, "text": {
        "ko": "`git pull` 후 Docker 빌드를 해도 변경사항이 반영되지 않음",
        "en": "After `git pull`, a Docker build does not pick up the changes"}}]
    assert match["lines"][0] == {"line": 2, "text": "#14 CACHED", "symptom": "build-all-cached",
                                 "signature": r"^#\d+ CACHED$"}


def test_triage_no_match_exits_1_with_a_hint():
    result = invoke("triage", "-", stdin="everything is fine\n")
    assert result.exit_code == exitcodes.PROBLEM
    assert result.stdout == ""
    assert "no playbook matches" in result.stderr and "runner search" in result.stderr
    result = invoke("triage", "--json", "-", stdin="everything is fine\n")
    assert result.exit_code == exitcodes.PROBLEM
    assert json.loads(result.stdout) == {"matches": []}


def test_triage_as_a_process_stdin_dash_no_argument_and_file(tmp_path):
    log = tmp_path / "build.log"
    log.write_text(SEED_EXCERPT)
    for args, stdin in ((["-"], SEED_EXCERPT), ([], SEED_EXCERPT), ([str(log)], None)):
        done = run("triage", "--json", *args, stdin=stdin)
        assert done.returncode == exitcodes.OK, (args, done.stderr)
        assert json.loads(done.stdout)["matches"][0]["id"] == "buildkit-stale"
    done = run("triage", stdin="nothing to see\n")
    assert done.returncode == exitcodes.PROBLEM
    assert done.stderr.count("\n") == 1  # one line


def test_triage_missing_file_is_a_one_line_error(tmp_path):
    done = run("triage", str(tmp_path / "nope.log"))
    assert done.returncode == exitcodes.CANNOT
    assert "nope.log" in done.stderr and "Traceback" not in done.stderr


def test_triage_terminal_without_file_asks_for_one(monkeypatch):
    import runner.commands.triage as command

    monkeypatch.setattr(command, "_stdin_is_terminal", lambda: True)
    result = invoke("triage")
    assert result.exit_code == exitcodes.CANNOT
    assert "pipe the log in" in result.stderr


def test_triage_undecodable_bytes_do_not_stop():
    result = invoke("triage", "--json", "-", stdin=b"\xff\xfe garbage\n#3 CACHED\n")
    assert result.exit_code == exitcodes.OK
    assert json.loads(result.stdout)["matches"][0]["lines"][0]["line"] == 2


# --- runner search ------------------------------------------------------------------------


def test_search_json_same_shape_as_triage():
    result = invoke("search", "--json", "빌드", "캐시")
    assert result.exit_code == exitcodes.OK
    data = json.loads(result.stdout)
    assert list(data) == ["matches"]
    assert all(set(match) == {"id", "score", "symptoms", "lines"} for match in data["matches"])
    scores = [match["score"] for match in data["matches"]]
    assert scores == sorted(scores, reverse=True)
    # build-cache-disk-full has 빌드 캐시 in its title and may rank first; both are right.
    match = next(m for m in data["matches"] if m["id"] == "buildkit-stale")
    assert all(set(line) == {"field", "text", "lang", "symptom"} for line in match["lines"])


def test_search_text_and_no_match():
    result = invoke("search", "--lang", "en", "builder", "prune")
    assert result.exit_code == exitcodes.OK
    assert result.stdout.startswith("1. ")
    assert re.search(r"^\d+\. buildkit-stale  Old code in the container after git pull", result.stdout, re.M)
    assert "docker builder prune -f" in result.stdout
    result = invoke("search", "xyzzy")
    assert result.exit_code == exitcodes.PROBLEM
    assert result.stdout == "" and "no playbook matches 'xyzzy'" in result.stderr


def test_search_needs_a_query():
    result = invoke("search")
    assert result.exit_code == exitcodes.CANNOT  # click's usage error


# --- how many are shown (--limit, shared by both) ----------------------------------------


@pytest.fixture
def widgets(tmp_path: Path) -> Path:
    """More playbooks than text shows by default, each titled with the word "widget"."""
    for n in range(TEXT_LIMIT + 2):
        (tmp_path / f"widget-{n}.yaml").write_text(
            f"id: widget-{n}\ntitle: Widget {n}\nsummary: s\nsymptoms:\n  - text: widget {n} is broken\n"
            "    signatures: ['^widget broke$']\n")
    return tmp_path


@pytest.mark.parametrize("command", [["search", "widget"], ["triage", "-"]])
def test_text_shows_the_first_few_and_says_how_many_more(widgets, command):
    result = invoke(*command, stdin="widget broke\n", playbooks=widgets)
    assert result.exit_code == exitcodes.OK
    ranks = re.findall(r"^(\d+)\. widget-", result.stdout, re.M)
    assert ranks == [str(n) for n in range(1, TEXT_LIMIT + 1)]
    assert result.stdout.endswith("... and 2 more (--limit N)\n")


@pytest.mark.parametrize("command", [["search", "widget"], ["triage", "-"]])
def test_json_gives_every_match_unless_limited(widgets, command):
    every = json.loads(invoke(*command, "--json", stdin="widget broke\n", playbooks=widgets).stdout)
    assert len(every["matches"]) == TEXT_LIMIT + 2
    limited = invoke(*command, "--json", "--limit", "3", stdin="widget broke\n", playbooks=widgets)
    assert [m["id"] for m in json.loads(limited.stdout)["matches"]] == [m["id"] for m in every["matches"][:3]]


@pytest.mark.parametrize("command", [["search", "widget"], ["triage", "-"]])
def test_limit_shows_that_many_as_text(widgets, command):
    result = invoke(*command, "-n", "1", stdin="widget broke\n", playbooks=widgets)
    assert re.findall(r"^\d+\. ", result.stdout, re.M) == ["1. "]
    assert result.stdout.endswith(f"... and {TEXT_LIMIT + 1} more (--limit N)\n")


def test_a_limit_below_1_is_a_usage_error(widgets):
    result = CliRunner().invoke(cli, ["--playbooks", str(widgets), "search", "--limit", "0", "widget"])
    assert result.exit_code == exitcodes.CANNOT
    assert "--limit" in result.output


# --- bounded input ------------------------------------------------------------------------

BUILDX_LINE = "ERROR: BuildKit is enabled but the buildx component is missing or broken.\n"


def triage_process(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(clikit.ROOT)}
    env.pop("RUNNER_PLAYBOOKS", None)
    return subprocess.Popen([sys.executable, "-m", "runner", "--playbooks", str(clikit.ROOT / "playbooks"),
                             "triage", "-", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def test_an_endless_stream_is_read_up_to_max_bytes_then_triaged():
    yes = subprocess.Popen(["yes", BUILDX_LINE.strip()], stdout=subprocess.PIPE)
    try:
        env = {**os.environ, "PYTHONPATH": str(clikit.ROOT)}
        done = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(clikit.ROOT / "playbooks"),
                               "triage", "-", "--max-bytes", "2000000", "--json"], stdin=yes.stdout,
                              capture_output=True, text=True, timeout=120, env=env)
    finally:
        yes.kill()
        yes.wait()
    assert done.returncode == 0, done.stderr
    assert "stopped reading standard input after 2,000,000 bytes (--max-bytes)" in done.stderr
    assert json.loads(done.stdout)["matches"][0]["id"] == "buildx-missing"


def test_ctrl_c_on_a_stream_that_never_ends_triages_what_came():
    process = triage_process()
    assert process.stdin is not None
    process.stdin.write(BUILDX_LINE.encode())
    process.stdin.flush()
    time.sleep(3)  # the runner is up and waiting for more (the stream stays open)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert b"interrupted: triaged the" in err and b"buildx-missing" in out
