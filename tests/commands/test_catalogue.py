"""The catalogue commands (list, show, validate, schema), through click's CliRunner (fast,
in-process) and as a real process (exit codes are mapped by runner.cli.main). The CLI core is
in tests/test_cli.py, the schema's content in tests/playbook/test_schema.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from clikit import ROOT, TESTS, invoke, run

from runner import exitcodes
from runner.playbook.loader import load_file
from runner.present.labels import TERMINAL_HEADINGS as HEADINGS

VALID = "examples/valid"
INVALID = "examples/invalid"
VALID_IDS = sorted(p.stem for p in (TESTS / VALID).glob("*.yaml"))
SHIPPED = sorted((ROOT / "playbooks").glob("*.yaml"))

# Section of the model -> key of its heading in runner.present.show.HEADINGS.
SECTIONS = {"symptoms": "symptoms", "situation": "situation", "reported_cause": "reported", "causes": "causes",
            "wrong_attempts": "wrong", "fixes": "fixes", "alternatives": "alternatives",
            "prevention": "prevention", "lessons": "lessons", "references": "references", "claims": "claims",
            "params": "params", "notes": "notes"}


@pytest.fixture(autouse=True)
def _in_tests_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TESTS)
    monkeypatch.delenv("RUNNER_PLAYBOOKS", raising=False)


def expected_lines(folder: str) -> list[str]:
    """The `# expect:` lines of every file of an example folder, in the order validate reads them."""
    lines = []
    for path in sorted((TESTS / folder).iterdir()):
        for raw in path.read_bytes().splitlines():
            if not raw.startswith(b"# expect: "):
                break
            lines.append(raw[len(b"# expect: "):].decode("utf-8"))
    if folder == INVALID:
        lines.insert(0, "examples/invalid/empty.yaml:1:1: the file is empty "
                        "(a playbook needs at least id, title, summary, symptoms)")
        lines.sort(key=lambda line: line.split(":", 1)[0])  # stable: keeps each file's order
    return lines


# --- validate ---------------------------------------------------------------------------------


def test_validate_valid_folder():
    result = invoke("validate", VALID)
    assert result.exit_code == exitcodes.OK
    assert result.stdout == f"{len(VALID_IDS)} valid, 0 problem(s)\n"
    assert result.stderr == ""


def test_validate_invalid_folder_prints_each_problem_on_stderr():
    result = invoke("validate", INVALID)
    assert result.exit_code == exitcodes.INVALID_PLAYBOOK
    lines = result.stderr.splitlines()
    assert lines[:-1] == expected_lines(INVALID)
    assert lines[-1] == f"0 valid, {len(lines) - 1} problem(s)"
    assert result.stdout == ""


def test_validate_valid_and_invalid_together():
    result = invoke("validate", VALID, INVALID)
    assert result.exit_code == exitcodes.INVALID_PLAYBOOK
    assert result.stderr.splitlines()[-1] == f"{len(VALID_IDS)} valid, {len(expected_lines(INVALID))} problem(s)"


def test_validate_ids_unique_across_files():
    result = invoke("validate", "examples/duplicate-ids")
    assert result.exit_code == exitcodes.INVALID_PLAYBOOK
    assert result.stderr.splitlines() == [*expected_lines("examples/duplicate-ids"), "1 valid, 1 problem(s)"]


def test_validate_one_file():
    assert invoke("validate", f"{VALID}/minimal.yaml").exit_code == exitcodes.OK
    result = invoke("validate", f"{INVALID}/wrong-type.yaml")
    assert result.exit_code == exitcodes.INVALID_PLAYBOOK
    assert result.stderr.splitlines()[0] == "examples/invalid/wrong-type.yaml:5:7: tags: expected a list (e.g. [docker])"


def test_validate_missing_path_and_empty_folder(tmp_path: Path):
    result = invoke("validate", "examples/no-such.yaml")
    assert result.exit_code == exitcodes.INVALID_PLAYBOOK
    assert result.stderr.splitlines()[0] == "examples/no-such.yaml: no such file or directory"
    result = invoke("validate", str(tmp_path))
    assert result.exit_code == exitcodes.INVALID_PLAYBOOK
    assert result.stderr == f"no playbook files (*.yaml) under {tmp_path}\n"


def test_validate_defaults_to_the_playbooks_folder():
    assert invoke("validate", env={"RUNNER_PLAYBOOKS": VALID}).exit_code == exitcodes.OK
    assert invoke("--playbooks", INVALID, "validate").exit_code == exitcodes.INVALID_PLAYBOOK


def test_validate_json():
    result = invoke("validate", "--json", VALID, f"{INVALID}/bad-id.yaml")
    assert result.exit_code == exitcodes.INVALID_PLAYBOOK
    report = json.loads(result.stdout)
    assert sorted(report["valid"]) == VALID_IDS
    assert report["problems"] == [{
        "path": "examples/invalid/bad-id.yaml", "line": 2, "column": 5, "key": "id",
        "message": "'Buildkit_Stale' is not a valid name",
        "hint": "ids are kebab-case: lowercase letters, digits and single hyphens, e.g. buildkit-stale"}]


def test_shipped_playbooks_validate():
    if not SHIPPED:
        pytest.skip("no playbooks/*.yaml yet")
    result = invoke("validate", str(ROOT / "playbooks"))
    assert result.exit_code == exitcodes.OK, result.stderr


# --- list --------------------------------------------------------------------------------------


def test_list_json_shape():
    result = invoke("--playbooks", VALID, "list", "--json")
    assert result.exit_code == exitcodes.OK
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == VALID_IDS
    for row in rows:
        assert set(row) == {"id", "title", "tags", "severity"}
        assert set(row["title"]) == {"ko", "en"} and all(row["title"].values())
        assert isinstance(row["tags"], list) and all(isinstance(t, str) for t in row["tags"])
        assert row["severity"] in ("low", "medium", "high", "critical")
    stale = next(row for row in rows if row["id"] == "stale-image")
    assert stale == {"id": "stale-image",
                     "title": {"ko": "빌드 후에도 예전 이미지가 실행됨", "en": "The old image still runs after a build"},
                     "tags": ["docker", "buildkit", "cache"], "severity": "high"}
    korean = next(row for row in rows if row["id"] == "korean-only")
    assert korean["title"] == {"ko": "한국어만 있는 플레이북", "en": "한국어만 있는 플레이북"}  # falls back


@pytest.mark.parametrize(("tags", "ids"), [
    (["docker"], ["korean-only", "stale-image"]),
    (["docker", "cache"], ["stale-image"]),
    (["nope"], []),
])
def test_list_tag(tags: list[str], ids: list[str]):
    args = [arg for tag in tags for arg in ("--tag", tag)]
    result = invoke("--playbooks", VALID, "list", "--json", *args)
    assert result.exit_code == exitcodes.OK
    assert [row["id"] for row in json.loads(result.stdout)] == ids


def test_list_table():
    result = invoke("--playbooks", VALID, "list")
    assert result.exit_code == exitcodes.OK
    for playbook_id in VALID_IDS:
        assert playbook_id in result.stdout
    assert "The old image still runs after a" in result.stdout and "빌드 후에도" in result.stdout


def test_list_reads_the_env_variable():
    result = invoke("list", "--json", env={"RUNNER_PLAYBOOKS": VALID})
    assert [row["id"] for row in json.loads(result.stdout)] == VALID_IDS


def test_list_shipped_playbooks_by_default():
    if not SHIPPED:
        pytest.skip("no playbooks/*.yaml yet")
    done = subprocess.run([sys.executable, "-m", "runner", "list", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == exitcodes.OK, done.stderr
    assert [row["id"] for row in json.loads(done.stdout)] == [p.stem for p in SHIPPED]


# --- show --------------------------------------------------------------------------------------


def _show_cases() -> list[tuple[Path, str]]:
    return [(path, lang) for path in [*sorted((TESTS / VALID).glob("*.yaml")), *SHIPPED] for lang in ("en", "ko")]


@pytest.mark.parametrize(("path", "lang"), _show_cases(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_show_has_a_heading_for_each_section(path: Path, lang: str):
    playbook = load_file(path)
    result = invoke("--playbooks", str(path.parent), "show", playbook.id, "--lang", lang)
    assert result.exit_code == exitcodes.OK
    out = result.stdout
    rules = [line for line in out.splitlines() if line.endswith("──")]  # section headings: `Title ─────`
    shown = [key for rule in rules for key, heading in HEADINGS[lang].items() if rule.startswith(f"{heading} ─")]
    present = [key for field, key in SECTIONS.items() if getattr(playbook, field)]
    assert "symptoms" in present
    assert shown == present, "a heading for each section the playbook has, in order, and no other"
    assert len(rules) == len(present)
    assert playbook.id in out


def test_show_stale_image_shows_the_content():
    en = invoke("--playbooks", VALID, "show", "stale-image", "--lang", "en").stdout
    for text in ("The old image still runs after a build", "rmi does not remove the build cache",  # why
                 "docker builder prune --force", "every build cache record",  # a step and what it loses
                 "action: recreate-container", "Check the deployment settings", "Suspect the cache",
                 "https://docs.docker.com/build/cache/", "confirmed"):
        assert text in en, text
    ko = invoke("--playbooks", VALID, "show", "stale-image", "--lang", "ko").stdout
    for text in ("빌드 후에도 예전 이미지가 실행됨", "rmi는 빌드 캐시를 지우지 않는다", "모든 빌드 캐시", "캐시를 의심하라"):
        assert text in ko, text


def test_show_lang_from_the_environment():
    result = invoke("--playbooks", VALID, "show", "stale-image", env={"RUNNER_LANG": "ko"})
    assert HEADINGS["ko"]["symptoms"] in result.stdout
    result = invoke("--playbooks", VALID, "show", "stale-image", env={"RUNNER_LANG": "en", "LANG": "ko_KR.UTF-8"})
    assert HEADINGS["en"]["symptoms"] in result.stdout


def test_show_unknown_id_exits_2_with_did_you_mean():
    done = run("--playbooks", VALID, "show", "stale-imag", "--lang", "en")
    assert done.returncode == exitcodes.CANNOT
    assert done.stderr == "runner: no playbook 'stale-imag' in examples/valid (did you mean 'stale-image'?)\n"
    assert done.stdout == ""
    done = run("--playbooks", VALID, "show", "zzz")
    assert done.returncode == exitcodes.CANNOT
    assert done.stderr == f"runner: no playbook 'zzz' in examples/valid (known: {', '.join(VALID_IDS)})\n"


def test_show_invalid_playbook_exits_3():
    done = run("--playbooks", INVALID, "show", "wrong-type")
    assert done.returncode == exitcodes.INVALID_PLAYBOOK
    assert done.stderr == "examples/invalid/wrong-type.yaml:5:7: tags: expected a list (e.g. [docker])\n"


def test_list_invalid_folder_exits_3_and_missing_folder_exits_2():
    done = run("--playbooks", INVALID, "list")
    assert done.returncode == exitcodes.INVALID_PLAYBOOK
    assert done.stderr.splitlines() == expected_lines(INVALID)
    done = run("--playbooks", "examples/no-such-folder", "list")
    assert done.returncode == exitcodes.CANNOT
    assert done.stderr == "runner: examples/no-such-folder is not a folder of playbooks (set --playbooks DIR)\n"


def test_show_prints_brackets_in_text_verbatim(tmp_path: Path):
    (tmp_path / "brackets.yaml").write_text(
        'id: brackets\ntitle: "[bold]not bold[/]"\nsummary: s\nsymptoms: [{text: "[/oops]"}]\n'
        'fixes:\n  - id: daemon\n    title: "Set [/etc/docker] daemon.json"\n'
        '    steps: [{title: "[red]step", manual: "[/m]", effect: read}]\n', encoding="utf-8")
    done = run("--playbooks", str(tmp_path), "show", "brackets", "--lang", "en")
    assert done.returncode == exitcodes.OK, done.stderr
    for text in ("[bold]not bold[/]", "[/oops]", "Set [/etc/docker] daemon.json", "[red]step", "[/m]"):
        assert text in done.stdout, text


# --- schema ------------------------------------------------------------------------------------


def test_schema_check_passes():
    result = invoke("schema", "--check")
    assert result.exit_code == exitcodes.OK, result.stderr
    assert result.stdout.endswith("is up to date\n")


def test_schema_prints_json():
    result = invoke("schema")
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"id", "title", "summary", "symptoms"} <= set(schema["required"])
    assert "not" in schema["$defs"]["NotCondition"]["properties"]  # aliases, as written in YAML
