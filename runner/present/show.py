"""Playbooks as text for a terminal (rich). Pure presentation: no loading, no exits."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from runner.playbook.model import (
    CodeBlock,
    Effect,
    Fix,
    FixStep,
    Playbook,
    Verdict,
    localize,
)
from runner.present.labels import TERMINAL_HEADINGS, VERDICT_LABEL, WORD
from runner.present.terminal import SafeConsole

SEVERITY_STYLE = {"low": "green", "medium": "yellow", "high": "red", "critical": "bold red"}
EFFECT_STYLE = {Effect.read: "green", Effect.write: "yellow", Effect.destructive: "bold red"}
# The sign before a wrong attempt's verdict
VERDICT_SIGN = {Verdict.fails: "✗", Verdict.forbidden: "⛔", Verdict.partial: "△"}
CLAIM_STYLE = {"confirmed": "green", "refuted": "bold red", "unverified": "yellow", "depends": "magenta"}


def command_line(argv: Iterable[str]) -> str:
    return shlex.join(list(argv))


def _code(block: CodeBlock, lang: str) -> RenderableType:
    lexer = {"shell": "bash", "sh": "bash", "console": "bash"}.get(block.lang, block.lang)
    syntax = Syntax(block.code.rstrip("\n"), lexer, theme="ansi_dark", word_wrap=True, background_color="default")
    if block.caption:
        return Group(Text(localize(block.caption, lang), style="dim"), syntax)
    return syntax


def _step(step: FixStep, lang: str, h: dict[str, str]) -> RenderableType:
    label = Text(f"[{step.effect.value}] ", style=EFFECT_STYLE[step.effect])
    label.append(localize(step.title, lang))
    parts: list[RenderableType] = [label]
    if step.run:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in step.env.items())
        parts.append(Syntax(f"{env + ' ' if env else ''}{command_line(step.run)}", "bash",
                            theme="ansi_dark", background_color="default", word_wrap=True))
    elif step.action:
        parts.append(Text(f"action: {step.action.name} {step.action.args or ''}", style="cyan"))
    elif step.manual:
        parts.append(Text(localize(step.manual, lang)))
    if step.code:
        parts.append(_code(step.code, lang))
    if step.loses:
        parts.append(Text(f"{h['loses']}: {localize(step.loses, lang)}", style="red"))
    return Group(*parts)


def _fix(fix: Fix, lang: str, h: dict[str, str], style: str) -> RenderableType:
    body: list[RenderableType] = []
    if fix.description:
        body.append(Text(localize(fix.description, lang)))
    for number, step in enumerate(fix.steps, 1):
        body.append(Text(f"{number}.", style="bold"))
        body.append(_step(step, lang, h))
    body.extend(Text(f"+ {localize(b, lang)}", style="green") for b in fix.benefits)
    if fix.cost:
        body.append(Text(f"{h['cost']}: {localize(fix.cost, lang)}", style="yellow"))
    return Panel(Group(*body), title=f"{escape(localize(fix.title, lang))}  [dim]({fix.id})[/]", title_align="left",
                 border_style=style)


def _bullets(items: Iterable, lang: str) -> RenderableType:
    return Group(*(Text(f"• {localize(item, lang)}") for item in items))


def playbook_renderables(playbook: Playbook, lang: str) -> list[RenderableType]:
    h = TERMINAL_HEADINGS[lang]
    out: list[RenderableType] = []
    header = Text(localize(playbook.title, lang), style="bold")
    header.append(f"  ({playbook.id})", style="dim")
    if playbook.reported_title:
        header.append(f"\n{WORD['reported_title'].text(lang)}: \"{localize(playbook.reported_title, lang)}\"",
                      style="dim")
    meta = [Text(playbook.severity.value, style=SEVERITY_STYLE[playbook.severity.value])]
    if playbook.occurred:
        meta.append(Text(playbook.occurred.isoformat()))
    if playbook.project:
        meta.append(Text(localize(playbook.project, lang)))
    meta.extend(Text(f"#{t}", style="cyan") for t in playbook.tags)
    out += [header, Text("  ").join(meta), Text(localize(playbook.summary, lang))]
    if playbook.applies_to:
        out.append(Text(", ".join(f"{a.tool} {a.versions}" for a in playbook.applies_to), style="dim"))

    def section(key: str) -> None:
        out.append(Rule(h[key], align="left", style="blue"))

    section("symptoms")
    for symptom in playbook.symptoms:
        out.append(Text(f"• {localize(symptom.text, lang)}"))
        out.extend(Text(f"    /{s}/", style="magenta") for s in symptom.signatures)
        if symptom.example:
            out.append(_code(symptom.example, lang))

    if playbook.situation:
        section("situation")
        for number, step in enumerate(playbook.situation, 1):
            out.append(Text(f"{number}. {localize(step.text, lang)}"))
            out.extend(_code(block, lang) for block in step.code)

    if playbook.reported_cause:
        section("reported")
        out.append(_bullets(playbook.reported_cause.points, lang))
        if playbook.reported_cause.claims:
            out.append(Text("→ " + ", ".join(
                f"{c}: {playbook.claim(c).status.value}" for c in playbook.reported_cause.claims), style="dim"))

    if playbook.causes:
        section("causes")
        for cause in playbook.causes:
            out.append(Text(f"{localize(cause.title, lang)}  ({cause.id})", style="bold"))
            out.append(Text(localize(cause.explanation, lang)))
            if cause.recognise:
                out.append(Text(f"{h['recognise']}: {localize(cause.recognise, lang)}", style="dim"))
            if cause.fix:
                out.append(Text(f"{h['fix']}: {cause.fix}", style="green"))

    if playbook.wrong_attempts:
        section("wrong")
        for attempt in playbook.wrong_attempts:
            body: list[RenderableType] = [_code(block, lang) for block in attempt.code]
            if attempt.result:
                body.append(Text(f"{h['result']}: {localize(attempt.result, lang)}"))
            body.append(Text(f"{h['why']}:", style="bold"))
            body.append(_bullets(attempt.why, lang))
            out.append(Panel(Group(*body), border_style="red", title_align="left",
                             title=f"{VERDICT_SIGN[attempt.verdict]} {VERDICT_LABEL[attempt.verdict].en}  "
                                   f"{escape(localize(attempt.title, lang))}"))

    if playbook.fixes:
        section("fixes")
        out.extend(_fix(fix, lang, h, "green") for fix in playbook.fixes)
    if playbook.alternatives:
        section("alternatives")
        out.extend(_fix(fix, lang, h, "yellow") for fix in playbook.alternatives)

    if playbook.prevention:
        section("prevention")
        for number, item in enumerate(playbook.prevention, 1):
            out.append(Text(f"{number}. {localize(item.title, lang)}", style="bold"))
            if item.description:
                out.append(Text(localize(item.description, lang)))
            out.extend(_code(block, lang) for block in item.code)

    if playbook.lessons:
        section("lessons")
        for number, lesson in enumerate(playbook.lessons, 1):
            out.append(Text(f"{number}. {localize(lesson.title, lang)}", style="bold"))
            out.extend(Text(f"   - {localize(p, lang)}") for p in lesson.points)

    if playbook.references:
        section("references")
        for ref in playbook.references:
            where = ref.url or ref.path or ""
            line = Text(f"• {localize(ref.title, lang)}")
            if where:
                line.append(f"  {where}", style="dim")
            out.append(line)

    if playbook.claims:
        section("claims")
        table = Table(show_header=False, box=None, padding=(0, 1))
        for claim in playbook.claims:
            where = "; ".join(f"{v.engine} ({v.on})" for v in claim.verified)
            statement = Text(localize(claim.statement, lang))
            if claim.note:
                statement.append(f"\n{localize(claim.note, lang)}", style="dim")
            table.add_row(Text(claim.status.value, style=CLAIM_STYLE[claim.status.value]), statement,
                          Text(where, style="dim"))
        out.append(table)

    if playbook.params:
        section("params")
        for name, param in playbook.params.items():
            default = f" = {param.default}" if param.default is not None else ""
            default += " (required)" if param.required else ""
            default += f", e.g. {param.example}" if param.example else ""
            out.append(Text(f"{name} ({param.type.value}{default}): {localize(param.description, lang)}"))
    if playbook.notes:
        section("notes")
        out.append(_bullets(playbook.notes, lang))
    return out


def show_playbook(playbook: Playbook, lang: str, console: Console | None = None) -> None:
    console = console or SafeConsole()
    for renderable in playbook_renderables(playbook, lang):
        console.print(renderable)


def playbook_table(playbooks: list[Playbook], console: Console | None = None) -> None:
    console = console or SafeConsole()
    table = Table("id", "severity", "tags", "title", box=None, header_style="bold")
    for p in playbooks:
        table.add_row(p.id, Text(p.severity.value, style=SEVERITY_STYLE[p.severity.value]),
                      " ".join(p.tags), f"{localize(p.title, 'ko')}\n{localize(p.title, 'en')}")
    console.print(table)
