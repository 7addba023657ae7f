"""runner/triage/index.py: ranking playbooks by the signatures a log shows (the command,
`runner triage`, is tested in tests/commands/test_triage.py).

The shipped catalogue with the seed's own log excerpt and with logs real commands produce (a
real `docker build --progress=plain` on the engine, `curl -I` against a server that answers
404); the scoring on small synthetic catalogues; and a property: the literal prefilter that
makes triage fast finds exactly the lines that running every regex on every line finds."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runner.triage.index as triage_module
from runner.playbook.catalogue import load_catalogue
from runner.playbook.linear_regex import compile_linear
from runner.playbook.model import Playbook
from runner.triage.index import (
    MAX_LINE_CHARS,
    MAX_LINES_PER_SYMPTOM,
    TriageIndex,
    analyse,
    score,
    triage,
)

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"

# The build log excerpt of the seed write-up (구체적인 상황, step 5), as pasted there.
SEED_EXCERPT = """\
#14 [backend-builder 4/7] COPY server ./server
#14 CACHED

#19 [backend-builder 7/7] RUN npm run build:server
#19 CACHED
"""


def catalogue() -> list[Playbook]:
    return load_catalogue(PLAYBOOKS)


def playbook(pid: str, *symptoms: list[str]) -> Playbook:
    return Playbook.model_validate({
        "id": pid, "title": f"title of {pid}", "summary": "s",
        "symptoms": [{"id": f"s{i}", "text": f"symptom {i}", "signatures": sigs} for i, sigs in enumerate(symptoms)]})


# --- the shipped catalogue ----------------------------------------------------------------


def test_seed_excerpt_ranks_buildkit_stale_first():
    matches = triage(catalogue(), SEED_EXCERPT)
    assert matches and matches[0].id == "buildkit-stale"
    first = matches[0]
    assert [s.key for s in first.symptoms] == ["build-all-cached"]
    assert [(line.number, line.text) for line in first.lines] == [(2, "#14 CACHED"), (5, "#19 CACHED")]
    assert {line.symptom for line in first.lines} == {"build-all-cached"}


def test_real_http_404_from_curl():
    """`curl -I` against a server that answers 404: the browser-404 symptom."""
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/auth/sso-complete"
        output = subprocess.run(["curl", "-sI", url], capture_output=True, text=True, timeout=30).stdout
    finally:
        server.shutdown()
    assert output.startswith("HTTP/1.0 404")  # CRLF line ends, as curl prints them
    matches = triage(catalogue(), output)
    assert matches[0].id == "buildkit-stale"
    assert [s.key for s in matches[0].symptoms] == ["browser-404"]


@pytest.mark.engine
def test_real_rebuild_log_ranks_buildkit_stale_first(project):
    """A second `docker build --progress=plain` of an unchanged project: every step CACHED."""
    project.build()
    log = project.build()
    assert re.search(r"^#\d+ CACHED$", log, re.M), log
    matches = triage(catalogue(), log)
    assert matches[0].id == "buildkit-stale"
    assert "build-all-cached" in [s.key for s in matches[0].symptoms]
    assert all(re.fullmatch(r"#\d+ CACHED", line.text) for line in matches[0].lines)


# --- scoring ------------------------------------------------------------------------------


def test_distinct_symptoms_beat_repeated_lines():
    one_symptom = playbook("repeats", [r"^ERROR: disk full$"])
    two_symptoms = playbook("distinct", [r"^ERROR: disk full$"], [r"^WARN: cache large$"])
    log = "ERROR: disk full\n" * 200 + "WARN: cache large\n"
    matches = triage([one_symptom, two_symptoms], log)
    assert [m.id for m in matches] == ["distinct", "repeats"]
    assert matches[0].score == score(2, 201) == 2.5  # repeats add at most 0.5
    assert matches[1].score == score(1, 200) == 1.5
    assert matches[1].symptoms[0].lines == 200  # every line counted ...
    assert len(matches[1].lines) == MAX_LINES_PER_SYMPTOM  # ... a few shown


def test_a_line_matching_two_signatures_of_a_symptom_counts_once():
    pb = playbook("p", [r"disk", r"full$"])
    [match] = triage([pb], "disk full\n")
    assert match.symptoms[0].lines == 1 and match.score == 1.0


def test_shared_pattern_attributes_lines_to_every_playbook():
    a, b = playbook("a", [r"^#\d+ CACHED$"]), playbook("b", [r"^#\d+ CACHED$"], [r"boom"])
    matches = triage([a, b], "#1 CACHED\nboom\n")
    assert [(m.id, m.score) for m in matches] == [("b", 2.0), ("a", 1.0)]


def test_colour_codes_and_crlf_do_not_hide_a_match():
    pb = playbook("port", [r"port is already allocated$"])
    log = "\x1b[31mError response from daemon: Bind for 0.0.0.0:80 failed: port is already allocated\x1b[0m\r\n"
    [match] = triage([pb], log)
    assert match.lines[0].text.endswith("port is already allocated")


def test_long_line_is_cut_around_the_match():
    pb = playbook("p", [r"needle \d+"])
    line = "x" * 5000 + " needle 42 " + "y" * 5000
    [match] = triage([pb], line)
    text = match.lines[0].text
    assert "needle 42" in text and len(text) <= MAX_LINE_CHARS + 2 and text.startswith("…")


def test_signature_without_literals_still_matches():
    pb = playbook("p", [r"^\d+$"])
    assert analyse(r"^\d+$").key is None
    [match] = triage([pb], "abc\n123\n")
    assert match.lines[0].number == 2


def test_analyse_finds_fenced_words():
    lit = analyse(r"^#\d+ CACHED$")
    assert lit.words == {"CACHED"} and lit.key == " CACHED"
    lit = analyse(r"(?i)^location: https?://\S*/login\?error=")
    assert lit.words_folded == {"location", "login", "error"} and lit.key_folded
    lit = analyse(r"port is already allocated")
    assert lit.words == {"is", "already"} and set(lit.fragments) == {"port", "allocated"}
    assert analyse("(unclosed").key is None  # never raises


# --- the prefilter never loses a match ----------------------------------------------------

WORDS = ["error", "ERROR", "Error", "cache", "CACHED", "port", "kill", "sig", "is", "já", "빌드"]
PIECES = [*WORDS, " ", ":", "-", "/", "_", r"\b", r"\s+", r"\d+", r"[ :]", r"\w*", ".*", "^", "$", r"\S*",
          "(?:", ")", "(?i:", "[a-z]+", r"\.", "k"]
TEXT = [*WORDS, " ", ":", "-", "\n", "\r\n", "1", "42", "_", "İ", "ı", "ſ", "\u212a", "é", "\x1b[1m", "→"]


@st.composite
def patterns(draw) -> str:
    prefix = draw(st.sampled_from(["", "(?i)"]))
    body = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=7)))
    opened = body.count("(?:") + body.count("(?i:") - body.count(")")
    body = body + ")" * max(opened, 0)
    pattern = prefix + body
    try:
        re.compile(pattern)
    except re.error:
        return prefix + re.escape(body)
    return pattern


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(patterns(), min_size=1, max_size=3), min_size=1, max_size=3),
       st.lists(st.lists(st.sampled_from(TEXT), max_size=12).map("".join), max_size=8))
def test_prefilter_finds_what_every_regex_on_every_line_finds(symptom_patterns, lines):
    text = "\n".join(lines)
    pb = playbook("p", *symptom_patterns)
    index = TriageIndex([pb])
    got = {(s.key, line.number) for m in index.scan(text) for s in m.symptoms
           for line in m.lines if line.symptom == s.key}
    # the word pass runs for large catalogues only: force it on this small one, same answer
    saved = triage_module.WORD_PASS_FROM
    triage_module.WORD_PASS_FROM = 0
    try:
        with_words = {(s.key, line.number) for m in index.scan(text) for s in m.symptoms
                      for line in m.lines if line.symptom == s.key}
    finally:
        triage_module.WORD_PASS_FROM = saved
    assert with_words == got
    expected = set()
    clean = re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", text)
    for number, line in enumerate(clean.split("\n"), start=1):
        line = line[:-1] if line.endswith("\r") else line
        for i, sigs in enumerate(symptom_patterns):
            if any(compile_linear(sig).search(line) for sig in sigs):  # what triage runs: RE2
                expected.add((f"s{i}", number))
    # the index keeps the first few lines of each symptom; compare those
    firsts = {(key, n) for key, n in expected
              if n in sorted(m for k, m in expected if k == key)[:MAX_LINES_PER_SYMPTOM]}
    assert got == firsts
