"""Text from playbooks and logs reaches the terminal as text: no control sequence, no markup
error. Every command that prints playbook text runs here on a playbook whose title and symptom
carry both, as a subprocess and in a pseudo-terminal's worth of colour (FORCE_COLOR)."""

from __future__ import annotations

import re
from pathlib import Path

import clikit
import pytest
import yaml
from rich.text import Text

from runner.present.terminal import SafeConsole, plain

HOSTILE = "[bold]x[/nope] \x1b]0;pwned\x07 \x1b[2J cleared \x9b31m"  # sets the window title, clears


def test_plain_keeps_text_tabs_and_newlines_only():
    assert plain("a\tb\nc\x1b[31md\re\x07f\x9bg") == "a\tb\nc[31mdefg"


@pytest.mark.parametrize("renderable", [HOSTILE, Text(HOSTILE)])
def test_the_console_prints_broken_markup_as_it_is_and_no_escape(renderable):
    console = SafeConsole(force_terminal=True, color_system="standard", width=200, highlight=False)
    with console.capture() as captured:
        console.print(renderable)
        console.print("[bold]ours[/]")  # the console's own styles still work
    out = captured.get()
    assert "]0;pwned" in out and "[/nope]" in out
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\x07" not in out and "\x9b" not in out
    assert "\x1b[1mours" in out


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    text = (clikit.ROOT / "playbooks" / "buildx-missing.yaml").read_text()
    hostile = '"[bold]x[/nope] \\e]0;pwned\\a \\e[2J cleared \\x9b31m"'  # YAML's own escapes
    text = re.sub(r"^title:\n  ko: .*\n  en: .*$", lambda found: f"title:\n  ko: {hostile}\n  en: {hostile}", text,
                  count=1, flags=re.MULTILINE)
    (folder / "buildx-missing.yaml").write_text(text)
    assert yaml.safe_load(text)["title"]["en"] == HOSTILE
    return folder


@pytest.mark.parametrize("command", [
    ["list"], ["show", "buildx-missing", "--lang", "en"], ["show", "buildx-missing", "--lang", "ko"],
    ["search", "cleared"], ["validate"],
])
def test_every_command_prints_playbook_text_as_text(hostile_folder, command):
    if command == ["validate"]:
        command = ["validate", str(hostile_folder)]
    done = clikit.run("--playbooks", str(hostile_folder), *command, env={"FORCE_COLOR": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout + done.stderr
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\x07" not in out, out


def test_triage_prints_the_logs_lines_as_text(hostile_folder, tmp_path):
    log = tmp_path / "build.log"
    log.write_text("\x1b[31mERROR: BuildKit is enabled but the buildx component is missing or broken.\x1b[0m\n"
                   "\x1b]0;pwned\x07\n")
    done = clikit.run("--playbooks", str(hostile_folder), "triage", str(log))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\x1b" not in done.stdout and "ERROR: BuildKit is enabled" in done.stdout
