"""`runner import` and `runner new`: writing playbooks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

force_option = click.option("--force", is_flag=True, help="Overwrite an existing playbook file.")


def _output_option(what: str):  # noqa: ANN202 - a click decorator
    return click.option(
        "-o", "--output", metavar="DIR | -",
        help=f"Folder to write ID.yaml into, or - to print {what} [default: the playbooks folder].")


def _target(obj: dict, output: str | None) -> Path | None:
    """The folder to write into; None for stdout."""
    if output == "-":
        return None
    if output is not None:
        return Path(output)
    # Like playbook_dir(), but never the folder shipped inside the installed package.
    from runner.errors import RunnerError

    chosen = obj["playbooks_dir"] or os.environ.get("RUNNER_PLAYBOOKS")
    if chosen:
        return Path(chosen)
    if Path("playbooks").is_dir():
        return Path("playbooks")
    raise RunnerError("no ./playbooks folder here: say where with -o DIR (or -o - to print)")


@click.command("import")
@click.argument("source", metavar="FILE.md", type=click.Path(dir_okay=True, allow_dash=True, path_type=Path))
@_output_option("the YAML")
@click.option("--id", "playbook_id", metavar="ID", help="The playbook's id [default: from the title].")
@click.option("--lang", type=click.Choice(["ko", "en"]), default=None,
              help="Language of the write-up's text [default: that of most of its headings].")
@force_option
@click.pass_obj
def import_command(obj: dict, source: Path, output: str | None, playbook_id: str | None, lang: str | None,
                   force: bool) -> None:
    """Convert a Markdown incident write-up into a playbook.

    The write-up's sections (Korean or English headings: 발생 날짜/Date, 프로젝트/Project,
    에러 증상/Symptoms, 구체적인 상황/What happened, 근본 원인/Root cause, 잘못된 해결
    시도/Wrong attempts, 올바른 해결 방법/Fix, 대안/Alternatives, 예방 방법/Prevention, 학습
    포인트/Lessons, 관련 문서/References, 태그/Tags) go to the playbook's fields; code blocks
    stay code, commands become fix steps. What cannot be placed is kept word for word in
    `notes`; that and every guess (a command's effect, a missing reason) is listed on stderr
    and at the top of the file, for you to review. The result always validates.

    \b
    Examples:
      runner import incident.md                    # writes playbooks/<id>.yaml
      runner import incident.md --id buildkit-stale -o playbooks/
      runner import incident.md -o - | less        # look before writing
      runner import incident.md --force            # replace a previous import

    The file is written atomically and never over an existing one without --force.
    Then: `runner validate`, add signatures to the symptoms (for `runner triage`), checks
    and causes (for `runner diagnose`).
    """
    from runner.authoring.files import (
        decode_markdown,
        read_markdown,
        schema_reference,
        write_new,
    )
    from runner.authoring.importer import import_markdown

    if str(source) == "-":
        text, name = decode_markdown(sys.stdin.buffer.read(), "stdin"), "stdin"
    else:
        text, name = read_markdown(source), source.name
    folder = _target(obj, output)
    result = import_markdown(text, name=name, playbook_id=playbook_id, lang=lang,
                             schema=schema_reference(folder))
    if folder is None:
        click.echo(result.yaml, nl=False)
    else:
        path = folder / f"{result.playbook.id}.yaml"
        write_new(path, result.yaml, force=force)
        click.echo(f"wrote {path}", err=True)
    for warning in result.warnings:
        click.echo(f"  - {warning}", err=True)
    if folder is not None:
        click.echo(f"next: runner show {result.playbook.id}   (review the lines above; they are also at the "
                   "top of the file)", err=True)


@click.command("new")
@click.argument("playbook_id", metavar="ID")
@_output_option("the skeleton")
@force_option
@click.pass_obj
def new_command(obj: dict, playbook_id: str, output: str | None, force: bool) -> None:
    """Write a commented skeleton playbook that validates as it is.

    ID is kebab-case (it becomes the file name, a URL and a CLI argument). The skeleton has
    the required fields with placeholder text in both languages, and every optional section
    commented out with an example of its shape.

    \b
    Examples:
      runner new port-already-allocated            # writes playbooks/port-already-allocated.yaml
      runner new volume-shadows-image -o - > draft.yaml
    """
    from runner.authoring.files import schema_reference, write_new
    from runner.authoring.new import skeleton

    folder = _target(obj, output)
    text = skeleton(playbook_id, schema_reference(folder))
    if folder is None:
        click.echo(text, nl=False)
        return
    path = folder / f"{playbook_id}.yaml"
    write_new(path, text, force=force)
    click.echo(f"wrote {path}", err=True)
    click.echo(f"next: edit it, then runner validate {os.fspath(path)}", err=True)
