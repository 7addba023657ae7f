"""runner/site/reference_pages.py: the CLI, JSON and schema references, from the code itself."""

from __future__ import annotations

from runner.site.reference_pages import cli_reference, json_reference, schema_reference


def test_cli_page_is_the_clis_own_help() -> None:
    from click.testing import CliRunner

    from runner.cli import cli

    reference = cli_reference()
    for name in ("list", "show", "validate", "site", "site export"):
        help_text = CliRunner().invoke(cli, [*name.split(), "--help"], terminal_width=100).output
        first = next(line for line in help_text.splitlines() if line.strip() and not line.startswith("Usage"))
        assert f"### `runner {name}`" in reference
        assert first.strip() in reference


def test_json_reference_links_each_json_option_to_its_command() -> None:
    reference = json_reference()
    assert "- [`runner diagnose --json`](cli.md#cli-diagnose)" in reference


def test_schema_reference_has_a_row_per_playbook_field() -> None:
    from runner.playbook.model import Playbook

    rows = schema_reference().splitlines()
    assert rows[0].startswith("| 필드 · Field |")
    assert len(rows) == 2 + len(Playbook.model_fields)
    assert any(row.startswith("| `id` |") and "| ✓ |" in row for row in rows)
