"""`runner import` as a library: a Markdown write-up becomes a playbook that validates.

The seed write-up is imported and compared with the hand-written buildkit-stale playbook;
an English write-up, blocks that cannot be placed and placeholders show the rest; a
hypothesis property feeds random Markdown and checks that the importer returns a valid
playbook or a clean error, and never drops a word. The command line is tested in
tests/commands/test_authoring.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.authoring.importer import ImportFailed, import_markdown
from runner.playbook.loader import load_all, load_file
from runner.playbook.model import localize

ROOT = Path(__file__).resolve().parents[2]
HAND_WRITTEN = ROOT / "playbooks" / "buildkit-stale.yaml"
SEED_NAME = "000_3f5ffc3d9df95721.txt"  # the write-up's name in the team's collection of seeds
SEED_PATH = Path(__file__).resolve().parent / "fixtures" / "incident-buildkit.md"  # its bytes, as they came

# The seed write-up as it came (its name in the team's collection of write-ups).
SEED = SEED_PATH.read_text(encoding="utf-8")


def import_seed(**kwargs) -> tuple:
    result = import_markdown(SEED, name=SEED_NAME, **kwargs)
    return result, result.playbook


def test_the_fixture_is_the_write_up_as_it_came():
    # The assertions below are about this exact text: an edit to the fixture must be deliberate.
    assert hashlib.sha256(SEED_PATH.read_bytes()).hexdigest() == \
        "311bafbb8a4c691da791756430f0015a688a9f93f9d5cabcca72c8e3efc28f28"


# --- the seed -----------------------------------------------------------------------------


def test_seed_imports_into_a_valid_playbook(tmp_path):
    result, playbook = import_seed()
    assert playbook.id == "docker-buildkit-kaesi-munje"  # romanised title; --id chooses another
    assert result.yaml.startswith("# yaml-language-server: $schema=../runner/schema/playbook.schema.json\n")
    assert "한" in result.yaml or "캐시" in result.yaml  # unicode kept, not escaped
    assert "\\u" not in result.yaml
    (tmp_path / f"{playbook.id}.yaml").write_text(result.yaml, encoding="utf-8")
    valid, problems = load_all([tmp_path])
    assert problems == [] and [p.id for p in valid] == [playbook.id]
    assert playbook.notes == ()  # the seed has nothing the importer cannot place


def test_seed_yaml_is_block_style_and_readable():
    result, _ = import_seed()
    body = result.yaml.split("\n\n", 1)[1]
    assert "run: [docker, builder, prune, -f]" in body  # commands on one line
    assert "tags: [docker, buildkit, cache, debugging, deployment, troubleshooting]" in body
    assert "        code: |\n          docker stop wbsaleshub-staging\n" in body  # code as literal blocks
    assert not re.search(r"^\S+: \{", body, re.M)  # no flow-style mappings at the top level


def test_seed_warnings_name_every_guess():
    result, _ = import_seed()
    joined = "\n".join(result.warnings)
    assert "docker builder prune -f" in joined and "destructive" in joined
    assert "summary composed from the symptoms" in joined
    assert "no symptom has signatures" in joined
    assert all(f"# - {w}" in result.yaml for w in result.warnings)  # also at the top of the file


def norm(text) -> str:
    """Whitespace collapsed, Markdown emphasis and code marks removed."""
    if not isinstance(text, str):
        text = localize(text, "ko")
    return " ".join(text.replace("**", "").replace("`", "").split())


def test_seed_import_matches_the_hand_written_playbook():
    """The Korean text of the import equals the hand-written playbook's.

    Differences on purpose, not compared: the id (buildkit-stale is a name given by hand); the
    summary (an editor's paragraph; the import composes one from the symptoms and says so);
    every English text (a translation); symptom ids, signatures and examples, checks, causes,
    fixes, params and claims (diagnosis and verification, which a write-up does not have);
    captions of code blocks; reference titles; the code block the hand-written situation adds to
    step 4 (its inline `docker build` command); and in the alternatives, the hand-written
    playbook uses {{image}}/{{context}} params where the write-up has `wbsaleshub:staging .`,
    says what the prune loses, and merges the write-up's two Dockerfile edits into one step.
    """
    _, imported = import_seed()
    hand = load_file(HAND_WRITTEN)

    # the import keeps the report's title; the hand-written playbook names the symptom and
    # keeps that title as the report's
    assert norm(imported.title) == norm(hand.reported_title)
    assert imported.occurred == hand.occurred == dt.date(2026, 1, 16)
    assert norm(imported.project) == norm(hand.project)
    assert imported.tags == hand.tags
    assert [norm(s.text) for s in imported.symptoms] == [norm(s.text) for s in hand.symptoms]
    assert [norm(s.text) for s in imported.situation] == [norm(s.text) for s in hand.situation]
    # the hand-written step 4 also shows its inline command as a code block; otherwise equal
    assert [[norm(c.code) for c in s.code] for s in imported.situation] == \
        [[norm(c.code) for c in s.code] if i != 3 else [] for i, s in enumerate(hand.situation)]
    assert [norm(p) for p in imported.reported_cause.points] == [norm(p) for p in hand.reported_cause.points]

    assert [norm(w.title) for w in imported.wrong_attempts] == [norm(w.title) for w in hand.wrong_attempts]
    assert [[norm(y) for y in w.why] for w in imported.wrong_attempts] == \
        [[norm(y) for y in w.why] for w in hand.wrong_attempts]
    assert [w.verdict for w in imported.wrong_attempts] == [w.verdict for w in hand.wrong_attempts]
    assert [norm(w.result) for w in imported.wrong_attempts] == [norm(w.result) for w in hand.wrong_attempts]
    assert [[norm(c.code) for c in w.code] for w in imported.wrong_attempts] == \
        [[norm(c.code) for c in w.code] for w in hand.wrong_attempts]

    # the write-up's two fixes are the hand-written playbook's first two alternatives
    hand_alternatives = hand.alternatives[:2]
    assert [norm(f.title) for f in imported.alternatives] == [norm(f.title) for f in hand_alternatives]
    prune, hand_prune = imported.alternatives[0], hand_alternatives[0]
    assert [norm(s.title) for s in prune.steps] == [norm(s.title) for s in hand_prune.steps]
    assert prune.steps[0].run == hand_prune.steps[0].run == ("docker", "builder", "prune", "-f")
    assert [s.effect for s in prune.steps] == [s.effect for s in hand_prune.steps]
    assert prune.steps[1].env == hand_prune.steps[1].env == {"DOCKER_BUILDKIT": "1"}
    assert prune.steps[1].run == ("docker", "build", "-t", "wbsaleshub:staging", ".")  # hand: {{image}} {{context}}
    assert [norm(b) for b in prune.benefits] == [norm(b) for b in hand_prune.benefits]
    cachebust = imported.alternatives[1]
    assert "docker build --build-arg CACHEBUST=$(date +%s)" in cachebust.steps[-1].code.code  # kept, not run
    assert cachebust.steps[-1].run is None

    assert [norm(p.title) for p in imported.prevention] == [norm(p.title) for p in hand.prevention]
    assert [[norm(c.code) for c in p.code] for p in imported.prevention] == \
        [[norm(c.code) for c in p.code] for p in hand.prevention]
    assert [norm(lesson.title) for lesson in imported.lessons] == [norm(lesson.title) for lesson in hand.lessons]
    assert [[norm(p) for p in lesson.points] for lesson in imported.lessons] == \
        [[norm(p) for p in lesson.points] for lesson in hand.lessons]
    assert [r.path for r in imported.references] == [r.path for r in hand.references]


# --- other write-ups --------------------------------------------------------------------------

ENGLISH = """\
# Incident: port already allocated on deploy

Intro paragraph that becomes the summary.

## Date
2025-11-03

## Symptoms
- `docker compose up` fails with `port is already allocated`
  ```
  Error response from daemon: driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated
  ```

## What happened
1. Deployed the new compose file.
2. The old container still held the port.

## Root cause
The previous container was never removed.

## What didn't work
- Restarting Docker ❌ failed
  - it came back with the container

## Fix
```bash
# Find who holds the port
docker ps --filter publish=8080
docker rm -f old-web
docker compose up -d
```

## Benchmarks
| run | time |
|-----|------|
| 1   | 3 s  |

## Tags
#docker, #compose, #ports, #포트
"""


def test_english_write_up(tmp_path):
    result = import_markdown(ENGLISH, name="en.md")
    pb = result.playbook
    assert pb.id == "port-already-allocated-on-deploy"
    assert pb.title.en == "port already allocated on deploy" and pb.title.ko is None
    assert localize(pb.summary, "en") == "Intro paragraph that becomes the summary."
    assert pb.occurred == dt.date(2025, 11, 3)
    assert "Bind for 0.0.0.0:8080" in pb.symptoms[0].example.code
    assert [localize(s.text, "en") for s in pb.situation] == ["Deployed the new compose file.",
                                                              "The old container still held the port."]
    [attempt] = pb.wrong_attempts
    assert (localize(attempt.title, "en"), attempt.verdict.value) == ("Restarting Docker", "fails")
    assert [localize(w, "en") for w in attempt.why] == ["it came back with the container"]
    steps = pb.alternatives[0].steps
    assert [(s.run, s.effect.value) for s in steps] == [
        (("docker", "ps", "--filter", "publish=8080"), "read"),
        (("docker", "rm", "-f", "old-web"), "destructive"),
        (("docker", "compose", "up", "-d"), "write")]
    assert localize(steps[0].title, "en") == "Find who holds the port"
    assert pb.tags == ("docker", "compose", "ports")
    notes = [localize(n, "en") for n in pb.notes]
    assert any("## Benchmarks" in n and "| 1   | 3 s  |" in n for n in notes)  # unknown section, kept
    assert any("#포트" in n for n in notes)  # not a valid tag, kept
    assert any("Benchmarks" in w and "unknown section" in w for w in result.warnings)


def test_unplaceable_blocks_go_to_notes_and_are_reported():
    text = "# T\n\n## 에러 증상\n- 증상 하나\n\n## 근본 원인\n- 원인\n\n```\ncode under the cause\n```\n"
    result = import_markdown(text)
    assert [localize(n, "ko") for n in result.playbook.notes] == ["## 근본 원인\n\n```\ncode under the cause\n```"]
    assert any("근본 원인" in w and "kept in notes" in w for w in result.warnings)


def test_placeholders_in_a_fix_become_declared_params():
    text = "# T\n\n## Symptoms\n- s\n\n## Fix\n```bash\ndocker build -t {{image}} .\n```\n"
    result = import_markdown(text)
    assert "image" in result.playbook.params
    assert result.playbook.alternatives[0].steps[0].code.code == "docker build -t {{image}} ."


# --- properties --------------------------------------------------------------------------------

CONTENT = ["alpha", "bravo", "charlie", "delta7", "감자", "고구마", "빌드캐시", "echo9", "포트충돌", "zulu"]
HEADINGS = [h for names in ("발생 날짜", "프로젝트", "에러 증상", "구체적인 상황", "근본 원인", "잘못된 해결 시도",
                            "올바른 해결 방법", "대안", "예방 방법", "학습 포인트", "관련 문서", "태그", "Symptoms",
                            "Fix", "Lessons", "Unknown things", "요약") for h in [names]]
MARKS = ["", " (❌ 실패)", " (❌ 금지)", " (❌ 부분 성공)", " ✅", " ⚠️ partly"]
LINES = ["docker builder prune -f", "# a comment", "DOCKER_BUILDKIT=1 docker build -t app .", "ls | wc -l",
         "echo $(date)", "FROM scratch", "- name: x", "docker rm -f web", "{{image}}", "cd /srv"]

words = st.lists(st.sampled_from(CONTENT), min_size=1, max_size=4).map(" ".join)


@st.composite
def blocks(draw) -> str:
    kind = draw(st.sampled_from(["para", "bullets", "ordered", "code", "label", "sub", "quote", "date", "tags"]))
    if kind == "para":
        return draw(words)
    if kind == "bullets":
        items = draw(st.lists(words, min_size=1, max_size=3))
        nested = draw(st.booleans())
        return "\n".join(f"- {w}" + (f"\n  - {w}" if nested else "") for w in items)
    if kind == "ordered":
        items = draw(st.lists(words, min_size=1, max_size=3))
        fence = draw(st.booleans())
        return "\n".join(f"{n}. {w}" + ("\n   ```bash\n   docker ps\n   ```" if fence else "")
                         for n, w in enumerate(items, 1))
    if kind == "code":
        lang = draw(st.sampled_from(["", "bash", "yaml", "dockerfile", "console"]))
        body = "\n".join(draw(st.lists(st.sampled_from(LINES + CONTENT), min_size=1, max_size=5)))
        return f"```{lang}\n{body}\n```"
    if kind == "label":
        return f"**{draw(st.sampled_from(['이유', '효과', '장점', 'Why', '결과', '단점', 'Note']))}**: {draw(words)}"
    if kind == "sub":
        return f"### {draw(st.sampled_from(['', '1. ']))}{draw(words)}{draw(st.sampled_from(MARKS))}"
    if kind == "quote":
        return f"> {draw(words)}"
    if kind == "date":
        return draw(st.sampled_from(["2026-01-16", "2026년 1월 16일", "2026-13-40", "어제"]))
    return " ".join(f"`#{w}`" for w in draw(st.lists(st.sampled_from(CONTENT + ["docker", "c++"]), max_size=3)))


@st.composite
def write_ups(draw) -> str:
    parts = [f"# {draw(words)}"] if draw(st.integers(0, 9)) else []  # now and then no title
    for _ in range(draw(st.integers(0, 6))):
        level = draw(st.sampled_from(["##", "##", "##", "#", "###"]))
        parts.append(f"{level} {draw(st.sampled_from(HEADINGS))}")
        parts.extend(draw(st.lists(blocks(), max_size=4)))
    return "\n\n".join(parts) + "\n"


def occurrences(word: str, text: str) -> int:
    return len(re.findall(rf"(?<!\w){word}(?!\w)", text))


def all_strings(value) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k} {all_strings(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " ".join(all_strings(v) for v in value)
    return str(value)


def check(markdown: str) -> None:
    try:
        result = import_markdown(markdown, name="random.md")
    except ImportFailed as exc:
        message = str(exc)
        assert "\n" not in message
        assert "bug" not in message, message
        assert message.startswith(("no symptoms", "no title", "cannot make an id", "random.md is empty")), message
        return
    data = yaml.safe_load(result.yaml)
    assert data["id"] == result.playbook.id
    written = all_strings(data)
    tags = data.get("tags") or []
    for word in CONTENT:  # every occurrence is somewhere (a tag given twice is one tag)
        if word not in tags:
            assert occurrences(word, written) >= occurrences(word, markdown), (word, result.yaml)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(write_ups())
def test_random_write_ups_give_a_valid_playbook_or_a_clean_error_and_lose_no_word(markdown):
    check(markdown)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=400))
def test_random_text_never_crashes(text):
    check(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["# ", "## 에러 증상\n", "## Fix\n", "- ", "1. ", "```", "```bash\n", "\n", "\n\n",
                                 "### ", "❌", "**이유**: ", "{{image}}", "{{ evidence.a.b }}", "[x]: http://y\n",
                                 "| a |\n|---|\n", "<div>", "\t", "  ", "alpha", "감자", "docker rm x"]),
                max_size=40).map("".join))
def test_markdown_fragments_never_crash(text):
    check(text)
