"""The reference pages' generated parts: every command's help exactly as the CLI prints it,
what each `--json` option prints (from the same help), and the fields of a playbook (from the
model). The CLI is imported when a page asks for it, not before."""

from __future__ import annotations

import re
from typing import Any

from runner.site.markdown_parts import bilingual, fence, indent, one_line, table_head


def _command_help(command: Any, path: list[str], parent: Any = None) -> list[tuple[list[str], str]]:
    import click

    # A fixed width, so the page does not depend on the terminal that built it; the parent
    # context passes on settings such as `-h` for help.
    settings = {"terminal_width": 100, "max_content_width": 100} if parent is None else {}
    ctx = click.Context(command, info_name=path[-1], parent=parent,
                        **{**getattr(command, "context_settings", {}), **settings})
    out = [(path, command.get_help(ctx))]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                out += _command_help(sub, [*path, name], ctx)
    return out


def cli_reference() -> str:
    """`runner --help` and every subcommand's help, exactly as the CLI prints them."""
    from runner.cli import cli

    parts = []
    for path, text in _command_help(cli, ["runner"]):
        name = " ".join(path)
        anchor = "cli-" + "-".join(path[1:]) if len(path) > 1 else "cli-runner"
        parts.append(f"### `{name}` {{#{anchor}}}\n\n" + fence(text.rstrip(), "text"))
    return "\n\n".join(parts)


def json_reference() -> str:
    """What each `--json` option prints, taken from the commands' own help."""
    from runner.cli import cli

    parts = []
    for path, text in _command_help(cli, ["runner"]):
        if "--json" not in text:
            continue
        described, lines = [], text.splitlines()
        for number, line in enumerate(lines):
            if re.match(r"\s*JSON\b", line):
                block = [line]
                for following in lines[number + 1:]:
                    if not following.strip():
                        break
                    block.append(following)
                described.append(fence("\n".join(b[2:] if b.startswith("  ") else b for b in block), "text"))
        undescribed = bilingual("도움말이 JSON 형식을 설명하지 않는다", "the command's help does not describe it")
        body = "\n\n".join(described) or f"({undescribed})"
        parts.append(f"- [`{' '.join(path)} --json`](cli.md#cli-{'-'.join(path[1:])})\n\n" + indent(body, 4))
    return "\n\n".join(parts) or f"({bilingual('아직 없음', 'none yet')})"


def schema_reference() -> str:
    """The fields of a playbook, from the models (so the page cannot drift from the format)."""
    from runner.playbook.model import Playbook as Model

    rows = [*table_head("필드 · Field", "형식 · Type", "필수 · Required", "설명 · Description")]
    for name, field in Model.model_fields.items():
        annotation = getattr(field.annotation, "__name__", None) or str(field.annotation)
        annotation = re.sub(r"typing\.|runner\.model\.|datetime\.|Annotated\[|, .*?\]", "", annotation)
        required = "✓" if field.is_required() else ""
        rows.append(f"| `{name}` | `{one_line(annotation)[:60]}` | {required} | {one_line(field.description or '')} |")
    return "\n".join(rows)
