"""runner/site/commands.py: argv as shell words a reader can copy, params as shell variables."""

from __future__ import annotations

import re

import subprocess
from pathlib import Path

import pytest
from sitekit import ROOT

from runner.playbook.loader import load_file
from runner.site.commands import command_text, runner_command, shell_word, wrap_command


@pytest.mark.parametrize("arg, expected", [
    ("{{image}}", '"${image}"'),
    ("--filter=id={{name}}", '"--filter=id=${name}"'),
    ("{{.Server.Version}}", "'{{.Server.Version}}'"),
    ("x; rm -rf /", "'x; rm -rf /'"),
    ("$(id) {{p}}", '"\\$(id) ${p}"'),
])
def test_commands_quote_each_argument(arg: str, expected: str) -> None:
    assert shell_word(arg) == expected


def test_quoted_commands_run_as_the_same_arguments(tmp_path: Path) -> None:
    """The shell reads back exactly the argv the playbook holds, params filled in."""
    argv = ["printf", "%s\\n", "a b", "$(id)", "it's", "{{p}}/x", "`x`", '"q"']
    line = f"p='v w'\n{command_text(argv)}"
    out = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["a b", "$(id)", "it's", "v w/x", "`x`", '"q"']


def test_the_run_box_command_leaves_the_values_to_the_reader_and_wraps_at_options() -> None:
    playbook = load_file(ROOT / "tests/examples/valid/stale-image.yaml")
    line = runner_command("diagnose", playbook)
    # the reader's own image, never the incident's example (app:staging); optional params left out
    assert line.startswith("runner diagnose stale-image --param image=<image>")
    assert "app:staging" not in line
    assert all(playbook.params[name].required for name in re.findall(r"--param (\w+)=", line))
    assert wrap_command("runner list") == "runner list"
    wrapped = wrap_command(line, width=40)
    assert wrapped.replace(" \\\n    ", " ") == line
    assert all(part.startswith("--") for part in wrapped.split(" \\\n    ")[1:])


def test_evidence_in_a_command_is_a_fill_in_not_the_runners_placeholder():
    from runner.site.commands import shell_word

    assert shell_word("{{evidence.port.holder_names}}") == '"<holder names from the port check>"'
    assert shell_word("{{evidence.port.process_pid}}:{{image}}") == '"<process pid from the port check>:${image}"'
    assert shell_word("it's") == "'it'\"'\"'s'"  # everything else as before
