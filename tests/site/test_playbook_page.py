"""runner/site/playbook_page.py: Playbook -> Markdown. Pure functions, checked on real playbook files."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from runner.playbook.loader import load_file
from runner.playbook.placeholders import NAME_PLACEHOLDER
from runner.site import playbook_page
from runner.site.commands import evidence_fill_in
from runner.site.markdown_parts import in_words

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "tests" / "examples" / "valid").glob("*.yaml"))
REAL = sorted((ROOT / "playbooks").glob("*.yaml"))


def leaves(value, path=()):
    """Every string, number and date of a dumped model, with its key path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    elif value is not None and not isinstance(value, bool):
        yield path, value


@pytest.mark.parametrize("path", EXAMPLES + REAL, ids=lambda p: p.name)
def test_every_value_of_the_playbook_is_on_its_page(path: Path) -> None:
    """Generic coverage: no field of the model, present or future, is dropped from the page."""
    playbook = load_file(path)
    page = playbook_page.playbook_markdown(playbook)
    skipped = {"timeout"}  # shown only when it differs from the default
    missing = []
    for key_path, value in leaves(playbook.model_dump(mode="json", exclude_defaults=True)):
        if key_path[-1] in skipped or key_path[0] not in playbook_page.HANDLED_FIELDS:
            continue  # fields without a section are shown as YAML: checked below, parsed back
        text = str(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = f"{value:g}" if isinstance(value, float) else str(value)
        # {{param}} becomes the shell variable ${param}; the rest must be there as written
        pieces = [p for p in NAME_PLACEHOLDER.split(text) if p.strip()] if NAME_PLACEHOLDER.search(text) else [text]
        for piece in pieces:
            probe = piece.strip()
            # outside code, `{{evidence.CHECK.field}}` is said in words (markdown_parts.in_words);
            # in a command, it is a `<field from the CHECK check>` to fill in
            worded = {in_words(probe, lang) for lang in ("ko", "en")} | {evidence_fill_in(probe)}
            # a lab's evidence is text: a tag it quotes is escaped
            if probe not in page and shlex.quote(probe) not in page and _loose(probe) not in _loose(page) \
                    and _loose(probe.replace("<", "&lt;")) not in _loose(page) \
                    and not any(_loose(text) in _loose(page) for text in worded):
                missing.append((".".join(map(str, key_path)), probe[:80]))
    assert not missing, f"{len(missing)} values missing from the page: {missing[:10]}"
    for name in set(type(playbook).model_fields) - playbook_page.HANDLED_FIELDS:
        if getattr(playbook, name) in (None, (), {}, []):
            continue
        block = re.search(rf'\?\?\? example "{name}"\n\n\s*```yaml\n(.*?\n)\s*```', page, re.S)
        shown = yaml.safe_load(re.sub(r"(?m)^    ", "", block.group(1)))
        assert shown == playbook.model_dump(mode="json", include={name}, by_alias=True, exclude_defaults=True)


def _loose(text: str) -> str:
    """Whitespace, Markdown table escapes and JSON quoting do not count."""
    return re.sub(r"\s+|\\\\|\\(?=\|)", "", text.replace("<br>", "")).replace('\\"', '"')


def test_an_unknown_field_still_reaches_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    playbook = load_file(ROOT / "tests/examples/valid/minimal.yaml")
    monkeypatch.setattr(playbook_page, "HANDLED_FIELDS", playbook_page.HANDLED_FIELDS - {"notes", "tags"})
    page = playbook_page.playbook_markdown(playbook.model_copy(update={"notes": ("a new kind of content",)}))
    assert "## 기타: notes · Other: notes {#notes}" in page
    assert "a new kind of content" in page


def test_full_example_page_layout() -> None:
    page = playbook_page.playbook_markdown(load_file(ROOT / "tests/examples/valid/stale-image.yaml"))
    # front matter with the Korean title and the tags, for Material's tags plugin
    front = yaml.safe_load(page.split("---")[1])
    assert front["title"] == "빌드 후에도 예전 이미지가 실행됨"
    assert front["tags"] == ["docker", "buildkit", "cache"]
    # every section, Korean heading with the English beside it, with a stable anchor
    for anchor in ("symptoms", "situation", "reported", "causes", "wrong", "fixes", "alternatives",
                   "prevention", "lessons", "references", "claims", "checks", "params", "notes"):
        assert re.search(rf"^## .+ · .+ \{{#{anchor}\}}$", page, re.M), anchor
    assert "### 오래된 빌드 캐시 · Stale build cache {#cause-stale-cache}" in page
    assert "{#fix-rebuild-no-cache}" in page
    # both languages, in linked tabs
    assert '===! "한국어"' in page and '=== "English"' in page
    # signatures in code blocks
    assert "```text\nCACHED \\[\\d+/\\d+\\] COPY\n^#\\d+ CACHED$\n```" in page.replace("    ", "")
    # wrong attempt: a warning that says why, its title in both languages
    assert '!!! warning "✗ 실패 · fails: 이미지 삭제 · Removing the image"' in page
    assert "rmi는 빌드 캐시를 지우지 않는다" in page and "rmi does not remove the build cache" in page
    # the destructive step stands out and says what it loses, in each language
    assert '!!! danger "파괴적 · destructive: Prune the build cache"' in page
    assert "**잃는 것:** 모든 빌드 캐시" in page and "**Loses:** every build cache record" in page
    # what reads the same in both languages is written once: code, and texts without a translation
    assert page.count("docker rmi app:staging") == 1 and page.count("docker builder prune --force") == 1
    assert page.count("CACHED \\[\\d+/\\d+\\] COPY") == 1
    assert "**장점 · Benefits:**" in page  # the benefit has no Korean: one text, labels in both
    assert 'pb-effect-destructive' in page and 'pb-effect-write' in page
    assert 'pb-effect-manual' in page and 'pb-effect-read' not in page  # its one read step is by hand
    # fix commands are copyable: params become shell variables set just above
    assert 'image=app:staging  # the deployed image tag' in page
    assert 'DOCKER_BUILDKIT=1 docker build --no-cache -t "${image}" "${context}"' in page
    # claims with status and the engine they were verified on
    assert re.search(r'id="claim-rmi-keeps-cache".*확인됨.*Docker Engine 25\.0\.3 · 2024-04-01 · lab', page)
    # the run-it box
    # the run box: one block per command, the reader's values to fill in
    assert re.search(r"```bash\n\s*runner diagnose stale-image --param image=<image>\n\s*```", page)
    assert re.search(r"```bash\n\s*runner fix stale-image --param image=<image>\n\s*```", page)
    assert "`--param context=...` (.)" in page  # an optional param, with its default
    assert "runner fix stale-image" in page


def test_a_missing_translation_falls_back_to_the_other_language() -> None:
    """A page without English reads once, in Korean, with labels in both languages (no tabs that
    would show the same Korean text twice)."""
    page = playbook_page.playbook_markdown(load_file(ROOT / "tests/examples/valid/korean-only.yaml"))
    assert '=== "English"' not in page
    assert page.count("엔진이 응답하지 않는다") == 1
    assert "로그에서 찾을 패턴 · Log patterns:" in page and "**조건 · When:** ‘engine’ 검사 실패 · ‘engine’ fails" in page


def test_the_title_names_the_symptom_and_the_reports_title_stays_the_reports() -> None:
    page = playbook_page.playbook_markdown(load_file(ROOT / "playbooks/buildkit-stale.yaml"))
    assert page.splitlines()[page.splitlines().index("---", 1) + 2].startswith(
        "# git pull 후 재빌드해도 컨테이너에 이전 코드가 남음")
    assert '- 보고서의 제목: "Docker BuildKit 캐시 문제"' in page
    assert '- The report\'s title: "Docker BuildKit cache problem"' in page


def test_code_is_written_once_outside_the_language_tabs() -> None:
    page = playbook_page.playbook_markdown(load_file(ROOT / "playbooks/buildkit-stale.yaml"))
    tabs_text = "\n".join(block for block in re.split(r"(?m)^(?=\S)", page) if block.startswith("==="))
    assert "```" not in tabs_text  # no code block inside a top-level language tab
    assert page.count("docker builder prune") >= 1


def test_each_claims_verdict_on_each_engine_and_when_the_lab_last_ran_there() -> None:
    from runner.playbook.model import Playbook

    def entry(engine: str, store: str, verdict: str | None, on: str) -> dict:
        found = {"on": on, "engine": engine, "client": "docker x", "store": store, "by": "lab"}
        return {**found, "verdict": verdict} if verdict else found

    playbook = Playbook.model_validate({
        "id": "p", "title": "t", "summary": "s", "symptoms": [{"text": "x"}],
        "claims": [
            {"id": "du-exists", "statement": "s", "status": "depends", "verified": [
                entry("Docker Engine 20.10.24", "overlay2", "refuted", "2026-11-26"),
                entry("Docker Engine 26.1.5", "overlay2", "confirmed", "2026-12-02"),
                entry("Docker Engine 26.1.5", "containerd", "confirmed", "2026-12-01")]},
            {"id": "old-entry", "statement": "s", "status": "confirmed", "verified": [
                entry("Docker Engine 20.10.24", "overlay2", None, "2026-11-20")]},
            {"id": "never-run", "statement": "s"}]})
    page = playbook_page.playbook_markdown(playbook)
    assert "The lab last ran on: 20.10.24 (overlay2): 2026-11-26; 26.1.5 (containerd): 2026-12-01; " \
           "26.1.5 (overlay2): 2026-12-02" in page
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
            for line in page.splitlines() if line.startswith("| [`")}
    assert list(rows) == ["[`du-exists`](#claim-du-exists)", "[`old-entry`](#claim-old-entry)"]
    assert ["refuted" in cell for cell in rows["[`du-exists`](#claim-du-exists)"]] == [True, False, False]
    assert ["confirmed" in cell for cell in rows["[`du-exists`](#claim-du-exists)"]] == [False, True, True]
    # An entry from before verdicts were per engine shows the claim's status; nothing ran elsewhere.
    assert "confirmed" in rows["[`old-entry`](#claim-old-entry)"][0]
    assert rows["[`old-entry`](#claim-old-entry)"][1:] == ["—", "—"]


def test_an_item_resting_on_a_refuted_claim_says_so_where_it_stands() -> None:
    from runner.playbook.catalogue import load_playbook, playbook_dir

    pb = load_playbook("buildkit-stale", playbook_dir(None))
    page = playbook_page.playbook_markdown(pb)
    alternative = page[page.index("{#fix-prune-all-and-rebuild}"):]
    alternative = alternative[:alternative.index("\n### ")]
    assert '!!! failure "The lab refuted what this rests on"' in alternative
    assert "[`prune-keeps-cache-mounts`](#claim-prune-keeps-cache-mounts)" in alternative
    # what to do instead is the item's own `instead`, and the report's words stay
    assert "Do instead: Before deleting any cache, find the real cause with `runner diagnose" in alternative
    assert "**Advantage**: much faster than `--no-cache` (cache mounts are used)" in page
    # a fix whose claims all held brings no note
    refuted = {c.id for c in pb.claims if c.status.value in ("refuted", "depends")}
    for fix in pb.fixes:
        section = page[page.index(f"{{#fix-{fix.id}}}"):]
        section = section[:section.index("\n### ")] if "\n### " in section else section
        assert ("The lab refuted what this rests on" in section) is bool(set(fix.claims) & refuted), fix.id


def test_placeholders_are_said_in_words_outside_code() -> None:
    assert in_words("Stop {{evidence.port.process_name}} (PID {{evidence.port.process_pid}})", "en") == \
        "Stop ‹process name, as the port check finds it› (PID ‹process pid, as the port check finds it›)"
    assert in_words("{{evidence.port.holder_names}} 멈추기", "ko") == "‹port 검사가 찾은 holder names› 멈추기"
    assert in_words("build {{ image }}", "en") == "build ‹image›"
    assert in_words("no placeholder: {not one}", "en") == "no placeholder: {not one}"
