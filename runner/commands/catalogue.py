"""`runner list`, `show`, `validate`, `schema`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from runner import exitcodes
from runner.commands.options import json_option, lang_option
from runner.playbook.catalogue import load_catalogue, load_playbook, playbook_dir


@click.command("list")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only playbooks with this tag (repeatable: all must match).")
@json_option
@click.pass_obj
def list_command(obj: dict, tags: tuple[str, ...], as_json: bool) -> None:
    """List the playbooks, with tags and severity.

    JSON: a list of {"id", "title", "tags", "severity"}; title in Korean and English.
    """
    from runner.playbook.model import localize

    playbooks = [p for p in load_catalogue(playbook_dir(obj["playbooks_dir"])) if set(tags) <= set(p.tags)]
    if as_json:
        rows = [{"id": p.id,
                 "title": {"ko": localize(p.title, "ko"), "en": localize(p.title, "en")},
                 "tags": list(p.tags), "severity": p.severity.value} for p in playbooks]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from runner.present.show import playbook_table

    playbook_table(playbooks)


@click.command("show")
@click.argument("playbook_id", metavar="ID")
@lang_option
@click.pass_obj
def show_command(obj: dict, playbook_id: str, lang: str) -> None:
    """Show a whole playbook: symptoms, causes, wrong attempts, fixes, prevention, lessons."""
    from runner.present.show import show_playbook

    show_playbook(load_playbook(playbook_id, playbook_dir(obj["playbooks_dir"])), lang)


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@json_option
@click.pass_obj
def validate_command(obj: dict, paths: tuple[Path, ...], as_json: bool) -> None:
    """Validate playbook files or folders (default: the playbooks folder).

    All files are validated together, so ids must be unique across them. Each problem is
    one line, `file:line:col: key.path: what is wrong (hint)`. Exit 3 when any is invalid.
    """
    from runner.playbook.loader import load_all

    targets = list(paths) or [playbook_dir(obj["playbooks_dir"])]
    playbooks, problems = load_all(targets)
    if as_json:
        click.echo(json.dumps({
            "valid": [p.id for p in playbooks],
            "problems": [{"path": str(p.path), "line": p.line, "column": p.column,
                          "key": p.key_path, "message": p.message, "hint": p.hint} for p in problems],
        }, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem), err=True)
        if not playbooks and not problems:
            click.echo(f"no playbook files (*.yaml) under {', '.join(map(str, targets))}", err=True)
        else:
            click.echo(f"{len(playbooks)} valid, {len(problems)} problem(s)", err=bool(problems))
    if problems or not playbooks:
        raise SystemExit(exitcodes.INVALID_PLAYBOOK)


@click.command("schema")
@click.option("--write", is_flag=True, help="Write runner/schema/playbook.schema.json instead of printing.")
@click.option("--check", is_flag=True, help="Exit 1 when the committed schema is stale.")
def schema_command(write: bool, check: bool) -> None:
    """Print the playbook JSON Schema (generated from the models).

    Editors complete playbooks from it through a first line such as
    `# yaml-language-server: $schema=../runner/schema/playbook.schema.json`.
    """
    from runner.playbook.schema import SCHEMA_PATH, generate

    text = generate()
    if check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            click.echo(f"{SCHEMA_PATH} is stale: run `runner schema --write`", err=True)
            raise SystemExit(exitcodes.PROBLEM)
        click.echo(f"{SCHEMA_PATH} is up to date")
    elif write:
        SCHEMA_PATH.write_text(text, encoding="utf-8")
        click.echo(f"wrote {SCHEMA_PATH}")
    else:
        click.echo(text, nl=False)
