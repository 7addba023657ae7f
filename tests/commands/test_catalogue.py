"""The catalogue commands (list, show, validate, schema) and the CLI core, through click's
CliRunner (fast, in-process) and as a real process (exit codes are mapped by runner.cli.main)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from runner import __version__, exitcodes
from runner.cli import COMMANDS, _importable, cli
from runner.playbook.loader import load_file
from runner.present.show import HEADINGS

TESTS = Path(__file__).resolve().parents[1]  # the examples/ paths are relative to it
ROOT = TESTS.parent
VALID = "examples/valid"
INVALID = "examples/invalid"
VALID_IDS = sorted(p.stem for p in (TESTS / VALID).glob("*.yaml"))
SHIPPED = sorted((ROOT / "playbooks").glob("*.yaml"))

# Section of the model -> key of its heading in runner.render.HEADINGS.
SECTIONS = {"symptoms": "symptoms", "situation": "situation", "reported_cause": "reported", "causes": "causes",
            "wrong_attempts": "wrong", "fixes": "fixes", "alternatives": "alternatives",
            "prevention": "prevention", "lessons": "lessons", "references": "references", "claims": "claims",
            "params": "params", "notes": "notes"}


@pytest.fixture(autouse=True)
def _in_tests_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TESTS)
    monkeypatch.delenv("RUNNER_PLAYBOOKS", raising=False)


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m runner ARGS` in the tests folder, as a user would run it."""
    environment = {k: v for k, v in os.environ.items() if k != "RUNNER_PLAYBOOKS"}
    environment.update({"PYTHONPATH": str(ROOT), "COLUMNS": "100"}, **(env or {}))
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=TESTS, env=environment,
                          capture_output=True, text=True, timeout=120)


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


# --- schema ------------------------------------------------------------------------------------


def test_committed_schema_is_up_to_date():
    from runner.playbook.schema import SCHEMA_PATH, generate

    assert SCHEMA_PATH.read_text(encoding="utf-8") == generate(), "stale: run `runner schema --write`"


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


def _as_an_editor_reads(path: Path) -> object:
    """The playbook as a YAML 1.2 editor hands it to the schema: dates are strings."""
    from runner.playbook.loader import parse_yaml, read_text

    data, _ = parse_yaml(read_text(path))
    return json.loads(json.dumps(data, default=str))


def schema_validator():
    import jsonschema
    from runner.playbook.schema import SCHEMA_PATH

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", sorted([*(ROOT / "playbooks").glob("*.yaml"), *(TESTS / VALID).glob("*.yaml")]),
                         ids=lambda p: p.stem)
def test_the_schema_accepts_every_valid_playbook(path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in schema_validator().iter_errors(_as_an_editor_reads(path))]
    assert errors == []


def test_the_schema_names_the_actions_and_their_arguments():
    data = _as_an_editor_reads(ROOT / "playbooks/buildkit-stale.yaml")

    def actions(node):
        if isinstance(node, dict):
            if isinstance(node.get("action"), dict):
                yield node["action"]
            for value in node.values():
                yield from actions(value)
        elif isinstance(node, list):
            for value in node:
                yield from actions(value)

    def messages(errors):  # an action sits in an anyOf (or null): its errors are in the context
        for error in errors:
            yield error.message
            yield from messages(error.context)

    action = next(action for action in actions(data) if action["name"] == "unexclude-paths")
    validator = schema_validator()
    assert list(validator.iter_errors(data)) == []
    action["name"] = "unexclude-path"
    assert any("'unexclude-path' is not one of" in m for m in messages(validator.iter_errors(data)))
    action["name"] = "unexclude-paths"
    action["args"]["dockerfle"] = "Dockerfile"
    assert any("'dockerfle' was unexpected" in m for m in messages(validator.iter_errors(data)))


# --- the CLI core ------------------------------------------------------------------------------


def test_every_importable_command_has_help():
    listed = cli.list_commands(click.Context(cli))
    assert {"list", "show", "validate", "schema"} <= set(listed)
    for name, (target, one_line) in COMMANDS.items():
        assert one_line.strip(), f"{name}: no one-line help"
        if not _importable(target):
            assert name not in listed
            continue
        assert name in listed
        command = cli.get_command(click.Context(cli), name)
        assert command is not None, f"{name}: {target} does not import"
        assert (command.help or "").strip(), f"{name}: no help text"
        result = invoke(name, "--help")
        assert result.exit_code == 0, result.output
        usage, *_ = result.stdout.splitlines()
        assert usage.startswith("Usage: ") and f" {name} " in f"{usage} "
        first_paragraph = command.help.strip().split("\n\n")[0]
        assert " ".join(first_paragraph.split()) in " ".join(result.stdout.split())


def test_top_level_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for name in cli.list_commands(click.Context(cli)):
        assert f"  {name} " in result.stdout
    assert "Exit codes:" in result.stdout


def test_python_dash_m_runner_help_and_version():
    done = run("--help")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("Usage: ") and "validate" in done.stdout
    done = run("--version")
    assert done.returncode == 0 and done.stdout == f"runner, version {__version__}\n"


def test_console_script():
    script = Path(sys.executable).with_name("runner")
    if not script.exists():
        pytest.skip("the runner console script is not installed next to this Python")
    done = subprocess.run([str(script), "--playbooks", VALID, "validate"], cwd=TESTS, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == exitcodes.OK, done.stderr
    assert done.stdout == f"{len(VALID_IDS)} valid, 0 problem(s)\n"


def test_usage_errors_exit_2():
    done = run("bogus")
    assert done.returncode == exitcodes.CANNOT
    assert "No such command 'bogus'" in done.stderr
    done = run("list", "--bogus")
    assert done.returncode == exitcodes.CANNOT
    assert "No such option: --bogus" in done.stderr or "No such option '--bogus'" in done.stderr


def _modules_after(argv: list[str]) -> list[str]:
    code = ("import sys\nfrom runner.cli import cli\n"
            f"try:\n    cli.main({argv!r}, prog_name='runner')\nexcept SystemExit as exc:\n"
            "    assert exc.code in (0, None), exc.code\n"
            "heavy = ('docker', 'mkdocs', 'pydantic', 'yaml', 'rich', 'requests')\n"
            "print(','.join(sorted(name for name in heavy if name in sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=TESTS, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return [name for name in done.stdout.splitlines()[-1].split(",") if name]


def test_help_imports_nothing_heavy():
    assert _modules_after(["--help"]) == []


def test_catalogue_commands_do_not_import_docker_or_mkdocs():
    for argv in (["--playbooks", VALID, "list"], ["--playbooks", VALID, "validate"],
                 ["--playbooks", VALID, "show", "minimal", "--lang", "en"]):
        loaded = _modules_after(argv)
        assert "docker" not in loaded and "mkdocs" not in loaded, (argv, loaded)


def test_show_prints_brackets_in_text_verbatim(tmp_path: Path):
    (tmp_path / "brackets.yaml").write_text(
        'id: brackets\ntitle: "[bold]not bold[/]"\nsummary: s\nsymptoms: [{text: "[/oops]"}]\n'
        'fixes:\n  - id: daemon\n    title: "Set [/etc/docker] daemon.json"\n'
        '    steps: [{title: "[red]step", manual: "[/m]", effect: read}]\n', encoding="utf-8")
    done = run("--playbooks", str(tmp_path), "show", "brackets", "--lang", "en")
    assert done.returncode == exitcodes.OK, done.stderr
    for text in ("[bold]not bold[/]", "[/oops]", "Set [/etc/docker] daemon.json", "[red]step", "[/m]"):
        assert text in done.stdout, text
