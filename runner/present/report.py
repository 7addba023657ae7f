"""Diagnoses as text for a person (rich) or JSON for machines. Presentation only."""

from __future__ import annotations

import json
import shlex
from typing import Any

from rich.console import Console
from rich.text import Text

from runner.diagnose.diagnosis import CheckOutcome, Diagnosis
from runner.playbook.model import Playbook, localize
from runner.present.labels import DIAGNOSIS_VERDICT
from runner.present.show import command_line

MARK = {"pass": ("✓", "green"), "fail": ("✗", "red"), "warn": ("!", "yellow"), "error": ("✗", "bold red"),
        "skip": ("-", "dim")}
VERDICT_STYLE = {"ok": "green", "problem": "bold red", "error": "bold red"}


def check_line(outcome: CheckOutcome | Any, width: int = 22) -> Text:
    mark, style = MARK.get(outcome.status, ("?", ""))
    line = Text(f"{mark} ", style=style)
    line.append(f"{outcome.id:<{width}}", style="bold")
    line.append(outcome.summary)
    line.append(f"  {outcome.ms} ms", style="dim")
    return line


# The evidence a person needs to see; everything else is in --json.
HEADLINE_KEYS = ("image_id", "built_image_id", "id", "found_elsewhere", "behind", "ahead", "upstream", "submodules",
                 "excluded_changes", "stale_files", "verbatim_mismatched", "shadowing", "error")


def _evidence_lines(evidence: dict[str, Any], indent: str = "    ") -> list[str]:
    lines = []
    for key in HEADLINE_KEYS:
        value = evidence.get(key)
        if value in (None, [], {}, "", 0):
            continue
        items = value if isinstance(value, list) else [value]
        for item in items[:5]:
            rendered = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, default=str)
            lines.append(f"{indent}{key}: {rendered[:200]}")
        if len(items) > 5:
            lines.append(f"{indent}{key}: ... {len(items) - 5} more (see --json)")
    return lines


def fix_command(playbook: Playbook, diagnosis: Diagnosis, docker_host: str | None) -> str:
    argv = ["runner", "fix", playbook.id]
    for name, value in diagnosis.params.items():
        if name in playbook.params and playbook.params[name].default != value:
            argv += ["--param", f"{name}={value}"]
    if docker_host:
        argv += ["--docker-host", docker_host]
    return command_line(argv)


def print_verdict(console: Console, playbook: Playbook, diagnosis: Diagnosis, lang: str,
                  docker_host: str | None = None) -> None:
    label, style = DIAGNOSIS_VERDICT[diagnosis.status], VERDICT_STYLE[diagnosis.status]
    console.print()
    console.print(Text(f"{label}", style=style), Text(f"({diagnosis.ms} ms)", style="dim"))
    for line in diagnosis.interrupted_fixes:
        console.print(Text(f"  {line}", style="bold yellow"))
    if diagnosis.status == "error":
        for error in diagnosis.errors:
            console.print(Text(f"  {error}", style="red"))
        return
    if diagnosis.cause is None and diagnosis.interrupted_fixes and not diagnosis.unexplained:
        return
    if diagnosis.cause is None and diagnosis.unexplained:
        console.print(Text("  A check failed, and no cause of this playbook explains it:", style="bold"))
        for line in diagnosis.unexplained:
            console.print(Text(f"  {line}"))
        console.print(Text(f"  look at the failing check above, or at other playbooks: runner triage, "
                           f"runner show {playbook.id}", style="dim"))
        return
    if diagnosis.cause is None:
        console.print("  Every check passed and no cause holds: the deploy reflects the build context.")
        return
    cause = diagnosis.cause
    console.print(Text(f"cause: {cause['id']}", style="bold"), Text(f"  {cause['title']}"))
    console.print(Text(f"  {cause['explanation'].strip()}"))
    console.print(Text("evidence:", style="bold"))
    for check_id, evidence in cause["evidence"].items():
        console.print(Text(f"  {check_id}: {evidence.get('summary', '')}"))
        for line in _evidence_lines(evidence):
            console.print(Text(line, style="dim"))
    if diagnosis.fix:
        fix = playbook.fix(diagnosis.fix)
        console.print(Text("fix:", style="bold"), Text(localize(fix.title, lang)))
        console.print(Text(f"  {fix_command(playbook, diagnosis, docker_host)}", style="green"))
        for step in fix.steps:
            if step.run:
                from runner.playbook.params import substitute

                env = " ".join(f"{k}={shlex.quote(v)}" for k, v in step.env.items())
                argv = substitute(list(step.run), diagnosis.params)
                console.print(Text(f"    [{step.effect.value}] {env + ' ' if env else ''}{command_line(argv)}",
                                   style="dim"))
            else:
                console.print(Text(f"    [{step.effect.value}] {localize(step.title, lang)}", style="dim"))
