"""`runner import` and `runner new` on the command line: the seed write-up imported in-process
(CliRunner) and as a process, then validated and shown; an existing file needs --force; -o -
prints; bad input gives one line on stderr, a non-zero exit and no file; `runner new` writes a
commented skeleton that validates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from runner import exitcodes
from runner.authoring.importer import ImportFailed
from runner.authoring.new import skeleton
from runner.cli import cli
from runner.playbook.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "tests" / "authoring" / "fixtures" / "incident-buildkit.md").read_text(encoding="utf-8")


def invoke(*args: str, stdin: str | None = None, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, list(args), input=stdin)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), input=stdin)
    finally:
        os.chdir(old)


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RUNNER_PLAYBOOKS"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=cwd, input=stdin, env=env,
                          capture_output=True, text=True, timeout=120)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- the CLI --------------------------------------------------------------------------------


@pytest.fixture
def seed_file(tmp_path) -> Path:
    path = tmp_path / "incident.md"
    path.write_text(SEED, encoding="utf-8")
    return path


def test_cli_import_in_process(tmp_path, seed_file):
    out = tmp_path / "out"
    out.mkdir()
    result = invoke("import", str(seed_file), "--id", "buildkit-seed", "-o", str(out))
    assert result.exit_code == exitcodes.OK, result.output
    assert files(out) == ["buildkit-seed.yaml"]
    assert load_file(out / "buildkit-seed.yaml").id == "buildkit-seed"
    assert result.stdout == ""
    assert result.stderr.startswith(f"wrote {out / 'buildkit-seed.yaml'}\n")
    assert "  - step 'docker builder prune -f': destructive" in result.stderr
    schema_line = (out / "buildkit-seed.yaml").read_text().split("\n", 1)[0]
    schema = (out / schema_line.split("$schema=", 1)[1]).resolve()
    assert schema == (ROOT / "runner/schema/playbook.schema.json").resolve()  # relative to where it is


def test_cli_import_as_a_process_then_validate(tmp_path, seed_file):
    (tmp_path / "playbooks").mkdir()
    done = run("import", str(seed_file), cwd=tmp_path)  # default: ./playbooks
    assert done.returncode == exitcodes.OK, done.stderr
    assert files(tmp_path / "playbooks") == ["docker-buildkit-kaesi-munje.yaml"]
    done = run("validate", "playbooks", cwd=tmp_path)
    assert done.returncode == exitcodes.OK, done.stderr
    done = run("show", "docker-buildkit-kaesi-munje", "--lang", "ko", cwd=tmp_path)
    assert done.returncode == exitcodes.OK and "빌드 캐시 삭제" in done.stdout


def test_existing_file_needs_force(tmp_path, seed_file):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "seed.yaml"
    target.write_text("hand edits\n")
    done = run("import", str(seed_file), "--id", "seed", "-o", str(out), cwd=tmp_path)
    assert done.returncode == exitcodes.CANNOT
    assert done.stderr == f"runner: {target} exists: pass --force to overwrite it\n"
    assert target.read_text() == "hand edits\n" and files(out) == ["seed.yaml"]
    result = invoke("import", str(seed_file), "--id", "seed", "-o", str(out))
    assert isinstance(result.exception, ImportFailed)  # in-process: the error, for main() to map
    done = run("import", str(seed_file), "--id", "seed", "-o", str(out), "--force", cwd=tmp_path)
    assert done.returncode == exitcodes.OK, done.stderr
    assert load_file(target).id == "seed" and files(out) == ["seed.yaml"]


def test_output_dash_prints_and_writes_nothing(tmp_path, seed_file):
    done = run("import", str(seed_file), "-o", "-", cwd=tmp_path)
    assert done.returncode == exitcodes.OK
    assert done.stdout.startswith("# yaml-language-server: $schema=../runner/schema/playbook.schema.json")
    assert yaml.safe_load(done.stdout)["id"] == "docker-buildkit-kaesi-munje"
    assert files(tmp_path) == ["incident.md"]


def test_stdin_input(tmp_path):
    done = run("import", "-", "-o", "-", "--id", "from-stdin", cwd=tmp_path, stdin=SEED)
    assert done.returncode == exitcodes.OK, done.stderr
    assert yaml.safe_load(done.stdout)["id"] == "from-stdin"


def test_no_playbooks_folder_and_no_output_is_an_error(tmp_path, seed_file):
    done = run("import", str(seed_file), cwd=tmp_path)
    assert done.returncode == exitcodes.CANNOT
    assert done.stderr == "runner: no ./playbooks folder here: say where with -o DIR (or -o - to print)\n"


BAD_INPUTS = {
    "missing.md": (None, "cannot read {path}: No such file or directory"),
    "folder": ("<dir>", "{path} is a folder: give the Markdown file"),
    "binary.md": (b"\x00\x01\x02 binary", "{path} is not a text file"),
    "latin1.md": ("# Titel\n\n## Symptome\n- caf\xe9\n".encode("latin-1"), "{path}:4: not UTF-8 text"),
    "empty.md": (b"  \n", "incident.md is empty"),
    "no-title.md": ("## 에러 증상\n- 무언가 실패\n".encode(), "no title: start the write-up with a '# title' line"),
    "no-symptoms.md": ("# 제목\n\n## 프로젝트\nX\n".encode(), "no symptoms: the write-up needs a section"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_line_and_writes_nothing(tmp_path, name):
    content, message = BAD_INPUTS[name]
    source = tmp_path / "in" / ("incident.md" if name in ("empty.md", "no-title.md", "no-symptoms.md") else name)
    source.parent.mkdir()
    if content == "<dir>":
        source.mkdir()
    elif content is not None:
        source.write_bytes(content)
    out = tmp_path / "out"
    out.mkdir()
    done = run("import", str(source), "-o", str(out), cwd=tmp_path)
    assert done.returncode == exitcodes.CANNOT
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("runner: ")
    assert message.format(path=source) in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert files(out) == []  # not even a temporary file


def test_bad_id_is_refused(tmp_path, seed_file):
    done = run("import", str(seed_file), "--id", "Bad_ID", "-o", "-", cwd=tmp_path)
    assert done.returncode == exitcodes.CANNOT
    assert "'Bad_ID' is not a valid id" in done.stderr


def test_help_teaches_with_examples():
    result = invoke("import", "--help")
    assert result.exit_code == 0
    assert "runner import incident.md -o - | less" in result.output
    assert "--force" in result.output and "notes" in result.output


# --- runner new ----------------------------------------------------------------------------


def test_new_writes_a_commented_skeleton_that_validates(tmp_path):
    (tmp_path / "playbooks").mkdir()
    done = run("new", "port-already-allocated", cwd=tmp_path)
    assert done.returncode == exitcodes.OK, done.stderr
    path = tmp_path / "playbooks" / "port-already-allocated.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert "# wrong_attempts:" in text and "signatures:" in text
    assert load_file(path).id == "port-already-allocated"
    assert run("validate", "playbooks", cwd=tmp_path).returncode == exitcodes.OK
    done = run("new", "port-already-allocated", cwd=tmp_path)
    assert done.returncode == exitcodes.CANNOT and "exists: pass --force" in done.stderr
    assert run("new", "port-already-allocated", "--force", cwd=tmp_path).returncode == exitcodes.OK


def test_new_refuses_a_bad_id_and_prints_with_dash(tmp_path):
    done = run("new", "Not An Id", "-o", "-", cwd=tmp_path)
    assert done.returncode == exitcodes.CANNOT and "is not a valid id" in done.stderr
    result = invoke("new", "draft", "-o", "-")
    assert result.exit_code == exitcodes.OK
    assert yaml.safe_load(result.stdout)["id"] == "draft"
    assert skeleton("draft").startswith("# yaml-language-server")
