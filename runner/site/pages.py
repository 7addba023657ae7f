"""Playbooks -> Markdown pages for the MkDocs site.

Plain functions, no MkDocs import: the MkDocs hook (runner/site/hook.py) calls them at
build time and `runner site export DIR` writes the same pages to disk, so the site can move
to another generator (Zensical runs no MkDocs hooks) without rewriting any of this.

Text fields hold Markdown as the team writes it. Every text that differs between Korean
and English is shown in content tabs labelled "한국어" and "English"; the tabs are linked
(`content.tabs.link`), so one click switches the language of every tab on every page, and
both languages sit in the page's HTML, so search finds either. What reads the same in both
languages is written once: code blocks, commands and log lines sit outside the tabs, and a
text without a translation gets no tabs at all (its labels carry both languages). A page
holds each code block once, which keeps it short to read and cheap to build.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from runner.playbook.model import (
    LANGS,
    PARAM_REF,
    AllCondition,
    AnyCondition,
    Check,
    Claim,
    ClaimStatus,
    CodeBlock,
    Effect,
    FieldCondition,
    Fix,
    FixStep,
    NotCondition,
    Playbook,
    StatusCondition,
    Verdict,
    localize,
)

LANG_LABEL = {"ko": "한국어", "en": "English"}
PLAYBOOK_DIR = "playbooks"  # URL prefix and docs sub-folder of the generated pages

# Section headings: Korean first, English beside it, one heading for both readers.
SECTION = {
    "run": ("실행하기", "Run it"),
    "symptoms": ("증상", "Symptoms"),
    "situation": ("구체적인 상황", "What happened"),
    "reported": ("보고된 원인 (검증 전 주장)", "Root cause as reported (a claim to verify)"),
    "checks": ("진단 검사", "Checks"),
    "causes": ("원인과 확인 방법", "Causes and how to recognise them"),
    "wrong": ("잘못된 해결 시도", "Wrong attempts"),
    "fixes": ("해결 방법", "Fixes"),
    "alternatives": ("대안", "Alternatives"),
    "prevention": ("예방 방법", "Prevention"),
    "lessons": ("학습 포인트", "Lessons"),
    "references": ("관련 문서", "References"),
    "claims": ("주장과 검증", "Claims and their verification"),
    "params": ("매개변수", "Parameters"),
    "notes": ("메모", "Notes"),
}

WORD = {
    "ko": {"why": "실패하는 이유", "result": "결과", "recognise": "확인 방법", "fix": "해결", "loses": "잃는 것",
           "cost": "비용", "benefits": "장점", "verify": "확인 검사", "evidence": "근거 검사", "claims": "관련 주장",
           "when": "조건", "requires": "먼저 통과해야 할 검사", "action": "러너 동작", "manual": "직접 할 일",
           "timeout": "제한 시간", "caption": "", "signatures": "로그에서 찾을 패턴", "example": "예",
           "project": "프로젝트", "applies": "적용 대상"},
    "en": {"why": "Why it fails", "result": "Result", "recognise": "Recognise it", "fix": "Fix", "loses": "Loses",
           "cost": "Cost", "benefits": "Benefits", "verify": "Verified by", "evidence": "Evidence",
           "claims": "Claims", "when": "When", "requires": "Requires", "action": "Runner action",
           "manual": "By hand", "timeout": "timeout", "caption": "", "signatures": "Log patterns",
           "example": "Example", "project": "Project", "applies": "Applies to"},
}

EFFECT_LABEL = {
    Effect.read: ("읽기", "read"),
    Effect.write: ("쓰기", "write"),
    Effect.destructive: ("파괴적", "destructive"),
}
VERDICT = {
    Verdict.fails: ("warning", "실패", "fails"),
    Verdict.partial: ("warning", "부분적", "partial"),
    Verdict.forbidden: ("danger", "금지", "forbidden"),
}
CLAIM_LABEL = {
    ClaimStatus.confirmed: ("확인됨", "confirmed"),
    ClaimStatus.refuted: ("반박됨", "refuted"),
    ClaimStatus.unverified: ("미검증", "unverified"),
}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}

# Fields of Playbook that have a section of their own; anything else (a field added to the
# model later) still reaches the page through `_other_fields`, so no content is dropped.
HANDLED_FIELDS = frozenset({
    "id", "title", "summary", "occurred", "project", "tags", "severity", "applies_to", "params",
    "symptoms", "situation", "reported_cause", "checks", "causes", "wrong_attempts", "fixes",
    "alternatives", "prevention", "lessons", "references", "claims", "notes",
})


# --------------------------------------------------------------------------- Markdown bits


def indent(text: str, spaces: int = 4) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in text.split("\n"))


def bilingual(ko: str, en: str) -> str:
    """One label for both readers: 'ko · en', or one of them when they are the same."""
    return ko if ko == en else f"{ko} · {en}"


def heading(level: int, ko: str, en: str, anchor: str) -> str:
    return f"{'#' * level} {bilingual(ko, en)} {{#{anchor}}}"


# The `lang` of a text rendered once for both readers: it holds no translated text, and its
# labels carry both languages. `per_lang` tries it first.
BOTH = "both"


class _Differs(Exception):
    """Raised by text_of(value, BOTH) when the value reads differently in Korean and English."""


def text_of(value: Any, lang: str) -> str:
    if lang == BOTH:
        ko, en = localize(value, "ko").strip(), localize(value, "en").strip()
        if ko != en:
            raise _Differs
        return ko
    return localize(value, lang).strip()


def word(lang: str, key: str) -> str:
    """A label in `lang`; both languages ('ko · en') for BOTH."""
    return bilingual(WORD["ko"][key], WORD["en"][key]) if lang == BOTH else WORD[lang][key]


def inline_both(value: Any) -> str:
    """A short text (a title) on one line in both languages: 'ko · en', or once when the same."""
    ko, en = both_texts(value)
    return bilingual(one_line(ko), one_line(en))


def both_texts(value: Any) -> tuple[str, str]:
    return text_of(value, "ko"), text_of(value, "en")


def one_line(text: str) -> str:
    """Text fit for a table cell or a list item's first line."""
    return text.strip().replace("|", "\\|").replace("\n\n", "<br>").replace("\n", " ")


def tabs(by_lang: Mapping[str, str]) -> str:
    """Content tabs, or the text alone when both languages read the same."""
    bodies = [by_lang[lang].strip() for lang in LANGS]
    if bodies[0] == bodies[1]:
        return bodies[0]
    # `===!` starts a new tab set even right after another one
    return "\n\n".join(f'{"===!" if lang == LANGS[0] else "==="} "{LANG_LABEL[lang]}"\n\n{indent(body)}'
                       for lang, body in zip(LANGS, bodies))


def per_lang(render: Callable[[str], str]) -> str:
    """render(lang) once when every text it reads is the same in both languages (labels then
    carry both), else once per language in content tabs."""
    try:
        return render(BOTH)
    except _Differs:
        return tabs({lang: render(lang) for lang in LANGS})


def fence(code: str, lang: str = "text", title: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    ticks = "`" * max(3, longest + 1)
    lexer = lang or "text"
    attrs = f' title="{title}"' if title and '"' not in title else ""
    return f"{ticks}{lexer}{attrs}\n{code.rstrip(chr(10))}\n{ticks}"


def code_block(block: CodeBlock) -> str:
    """A code block, once, under its caption (a line; both languages when they differ)."""
    body = fence(block.code, block.lang)
    return f"{inline_both(block.caption)}\n\n{body}" if block.caption else body


def list_item(marker: str, parts: Iterable[str]) -> str:
    """A list item ('-' or '1.') holding blocks; the first may be a tab set."""
    return f"{marker} " + indent("\n\n".join(p for p in parts if p), 4).lstrip()


def badge(kind: str, value: str, label: str) -> str:
    return f'<span class="pb-badge pb-{kind}-{value}">{label}</span>'


def severity_badge(severity: str) -> str:
    return badge("severity", severity, severity)


def claim_badge(status: ClaimStatus, lang: str | None = None) -> str:
    ko, en = CLAIM_LABEL[status]
    label = {"ko": ko, "en": en}.get(lang or "", f"{ko} · {en}")
    return badge("claim", status.value, label)


def effect_badge(effect: Effect, lang: str = BOTH) -> str:
    ko, en = EFFECT_LABEL[effect]
    return badge("effect", effect.value, {"ko": ko, "en": en}.get(lang, bilingual(ko, en)))


# --------------------------------------------------------------------------- commands


def shell_word(arg: str) -> str:
    """One argv element as a shell word; `{{name}}` becomes the shell variable `$name`."""
    if not PARAM_REF.search(arg):
        return shlex.quote(arg)
    out, last = [], 0
    for match in PARAM_REF.finditer(arg):
        out.append(re.sub(r'([\\"$`])', r"\\\1", arg[last:match.start()]))
        out.append("${" + match.group(1) + "}")
        last = match.end()
    out.append(re.sub(r'([\\"$`])', r"\\\1", arg[last:]))
    return '"' + "".join(out) + '"'


def command_text(run: Iterable[str], env: Mapping[str, str] | None = None) -> str:
    prefix = " ".join(f"{name}={shell_word(value)}" for name, value in (env or {}).items())
    line = " ".join(shell_word(arg) for arg in run)
    return f"{prefix} {line}" if prefix else line


def referenced_params(playbook: Playbook, items: Iterable[Any]) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.extend(m.group(1) for m in PARAM_REF.finditer(value))
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    for item in items:
        walk(item)
    return [name for name in playbook.params if name in found]


def param_value(playbook: Playbook, name: str) -> str:
    param = playbook.params[name]
    if param.example is not None:
        return param.example
    if param.default is not None:
        return str(param.default).lower() if isinstance(param.default, bool) else str(param.default)
    return f"<{name}>"


def runner_command(verb: str, playbook: Playbook) -> str:
    parts = ["runner", verb, shlex.quote(playbook.id)]
    for name, param in playbook.params.items():
        if param.required or param.example is not None or param.default is not None:
            value = param_value(playbook, name)
            shown = value if value.startswith("<") else shlex.quote(value)  # <name>: fill in
            parts += ["--param", f"{name}={shown}"]
    return " ".join(parts)


def shell_preamble(playbook: Playbook, names: list[str]) -> str:
    lines = []
    for name in names:
        value = param_value(playbook, name)
        shown = f'"{value}"' if value.startswith("<") else shlex.quote(value)
        note = text_of(playbook.params[name].description, "en") or text_of(playbook.params[name].description, "ko")
        lines.append(f"{name}={shown}  # {one_line(note).replace('<br>', ' ')}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- conditions


def condition_text(cond: Any) -> str:
    if isinstance(cond, AllCondition):
        return "all(" + ", ".join(condition_text(c) for c in cond.all) + ")"
    if isinstance(cond, AnyCondition):
        return "any(" + ", ".join(condition_text(c) for c in cond.any) + ")"
    if isinstance(cond, NotCondition):
        return "not(" + condition_text(cond.not_) + ")"
    if isinstance(cond, StatusCondition):
        status = cond.status if isinstance(cond.status, str) else "|".join(cond.status)
        return f"{cond.check} is {status}"
    if isinstance(cond, FieldCondition):
        tests = []
        for name, op in (("equals", "=="), ("not_equals", "!="), ("one_of", "in"), ("matches", "~"),
                         ("exists", "exists:"), ("truthy", "truthy:"), ("gt", ">"), ("lt", "<"),
                         ("same_as", "=="), ("differs_from", "!=")):
            value = getattr(cond, name)
            if value is None or (name == "equals" and "equals" not in cond.model_fields_set):
                continue
            shown = value if name in ("same_as", "differs_from") else json.dumps(
                list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
            tests.append(f"{op} {shown}")
        return f"{cond.check}.{cond.field} " + " and ".join(tests or ["is set"])
    return str(cond)


# --------------------------------------------------------------------------- sections


def _claim_links(playbook: Playbook, ids: Iterable[str], lang: str) -> str:
    links = []
    known = {c.id: c for c in playbook.claims}
    for claim_id in ids:
        claim = known.get(claim_id)
        status = f" {claim_badge(claim.status, lang)}" if claim else ""
        links.append(f"[`{claim_id}`](#claim-{claim_id}){status}")
    return ", ".join(links)


def _check_links(ids: Iterable[str]) -> str:
    return ", ".join(f"[`{c}`](#check-{c})" for c in ids)


def _bullets(items: Iterable[Any], lang: str) -> str:
    return "\n".join(f"- {indent(text_of(item, lang), 4).lstrip()}" for item in items)


def _symptoms(pb: Playbook) -> str:
    items = []
    for symptom in pb.symptoms:
        label = f" <small>`{symptom.id}`</small>" if symptom.id else ""
        parts = [per_lang(lambda lang: text_of(symptom.text, lang) + label)]
        if symptom.signatures:
            parts.append(f"{word(BOTH, 'signatures')}:\n\n" + fence("\n".join(symptom.signatures), "text"))
        if symptom.example:
            parts.append(code_block(symptom.example))
        items.append(list_item("-", parts))
    return "\n\n".join(items)


def _situation(pb: Playbook) -> str:
    return "\n\n".join(
        list_item(f"{number}.", [per_lang(lambda lang: text_of(step.text, lang)),
                                 *(code_block(block) for block in step.code)])
        for number, step in enumerate(pb.situation, 1))


def _reported(pb: Playbook) -> str:
    rc = pb.reported_cause
    assert rc is not None

    def render(lang: str) -> str:
        body = _bullets(rc.points, lang)
        if rc.claims:
            body += f"\n\n{word(lang, 'claims')}: {_claim_links(pb, rc.claims, lang)}"
        return body

    return per_lang(render)


def _checks(pb: Playbook) -> str:
    """One list; each check's anchor sits in its item, its arguments (JSON) once."""
    items = []
    for check in pb.checks:
        title = f" — {inline_both(check.title)}" if check.title else ""
        parts = [f'<span id="check-{check.id}"></span>**`{check.id}`** (`{check.kind}`){title}']
        if check.description:
            parts.append(per_lang(lambda lang: text_of(check.description, lang)))
        if check.args:
            parts.append(fence(json.dumps(check.args, ensure_ascii=False, indent=2), "json"))
        extras = []
        if check.requires:
            extras.append(f"{word(BOTH, 'requires')}: {_check_links(check.requires)}")
        if check.timeout != Check.model_fields["timeout"].default:
            extras.append(f"{word(BOTH, 'timeout')}: {check.timeout:g} s")
        if extras:
            parts.append(" · ".join(extras))
        items.append(list_item("-", parts))
    return "\n\n".join(items)


def _cause(pb: Playbook, cause: Any) -> str:
    ko, en = both_texts(cause.title)
    head = heading(3, ko, en, f"cause-{cause.id}")

    def prose(lang: str) -> str:
        parts = [text_of(cause.explanation, lang)]
        if cause.recognise:
            parts.append(f"**{word(lang, 'recognise')}:** {text_of(cause.recognise, lang)}")
        return "\n\n".join(parts)

    facts = [f"- {word(BOTH, 'when')}: `{condition_text(cause.when)}`"]
    if cause.evidence:
        facts.append(f"- {word(BOTH, 'evidence')}: {_check_links(cause.evidence)}")
    if cause.fix:
        fix = _find_fix(pb, cause.fix)
        label = inline_both(fix.title) if fix else cause.fix
        facts.append(f"- {word(BOTH, 'fix')}: [{label}](#fix-{cause.fix})")
    if cause.claims:
        facts.append(f"- {word(BOTH, 'claims')}: {_claim_links(pb, cause.claims, BOTH)}")
    return f"{head}\n\n{per_lang(prose)}\n\n" + "\n".join(facts)


def _find_fix(pb: Playbook, fix_id: str) -> Fix | None:
    return next((f for f in (*pb.fixes, *pb.alternatives) if f.id == fix_id), None)


def _wrong(pb: Playbook, attempt: Any) -> str:
    kind, vko, ven = VERDICT[attempt.verdict]
    title = inline_both(attempt.title)  # a title may hold quotes: the admonition's ends at the line's last one

    def prose(lang: str) -> str:
        parts = []
        if attempt.result:
            parts.append(f"**{word(lang, 'result')}:** {text_of(attempt.result, lang)}")
        parts.append(f"**{word(lang, 'why')}:**\n\n{_bullets(attempt.why, lang)}")
        return "\n\n".join(parts)

    body = [code_block(block) for block in attempt.code] + [per_lang(prose)]
    if attempt.claims:
        body.append(f"{word(BOTH, 'claims')}: {_claim_links(pb, attempt.claims, BOTH)}")
    return (f'<span id="wrong-{attempt.id}"></span>\n\n!!! {kind} "✗ {bilingual(vko, ven)}: {title}"\n\n'
            + indent("\n\n".join(body)))


def _step(pb: Playbook, step: FixStep, number: int) -> str:
    title = inline_both(step.title)
    body: list[str] = []
    if step.run:
        names = referenced_params(pb, [step.run, step.env])
        code = command_text(step.run, step.env)
        if names:
            code = shell_preamble(pb, names) + "\n" + code
        body.append(fence(code, "bash"))
    elif step.action:
        args = json.dumps(step.action.args, ensure_ascii=False) if step.action.args else ""
        body.append(f"{word(BOTH, 'action')}: `{step.action.name}`" + (f" `{args}`" if args else ""))
    elif step.manual:
        body.append(per_lang(lambda lang: f"{word(lang, 'manual')}: {text_of(step.manual, lang)}"))
    if step.code:
        body.append(code_block(step.code))
    if step.loses:
        body.append(per_lang(lambda lang: f"**{word(lang, 'loses')}:** {text_of(step.loses, lang)}"))
    if step.timeout != FixStep.model_fields["timeout"].default:
        body.append(f"{word(BOTH, 'timeout')}: {step.timeout:g} s")
    head = f"{number}. {effect_badge(step.effect)} **{title}**"
    if step.effect is Effect.destructive:
        label = bilingual(*EFFECT_LABEL[step.effect])
        inner = f'!!! danger "{label}: {title}"\n\n' + indent("\n\n".join(body))
        return f"{head}\n\n" + indent(inner, 4)
    return f"{head}\n\n" + indent("\n\n".join(body), 4)


def _fix(pb: Playbook, fix: Fix) -> str:
    ko, en = both_texts(fix.title)
    parts = [heading(3, ko, en, f"fix-{fix.id}")]
    if fix.description:
        parts.append(per_lang(lambda lang: text_of(fix.description, lang)))
    parts += [_step(pb, step, n) for n, step in enumerate(fix.steps, 1)]
    # paragraphs, not a list: a list right after the steps would continue their numbering
    if fix.verify:
        parts.append(f"**{word(BOTH, 'verify')}:** {_check_links(fix.verify)}")

    def notes(lang: str) -> str:
        out = []
        if fix.benefits:
            out.append(f"**{word(lang, 'benefits')}:**\n\n{_bullets(fix.benefits, lang)}")
        if fix.cost:
            out.append(f"**{word(lang, 'cost')}:** {text_of(fix.cost, lang)}")
        return "\n\n".join(out)

    if fix.benefits or fix.cost:
        parts.append(per_lang(notes))
    if fix.claims:
        parts.append(f"**{word(BOTH, 'claims')}:** {_claim_links(pb, fix.claims, BOTH)}")
    return "\n\n".join(parts)


def _numbered(items: list[Any], render: Callable[[Any, str], list[str]]) -> str:
    """A numbered list of text items: one tab set for the whole list (one switch per section),
    or, when items hold code blocks, the text of each item in the reader's language and its code
    once. render(item, lang) -> the item's text blocks; item.code -> its code blocks."""
    if not any(getattr(item, "code", ()) for item in items):
        return per_lang(lambda lang: "\n\n".join(
            list_item(f"{n}.", render(item, lang)) for n, item in enumerate(items, 1)))
    return "\n\n".join(
        list_item(f"{n}.", [per_lang(lambda lang: "\n\n".join(render(item, lang))),
                            *(code_block(block) for block in item.code)])
        for n, item in enumerate(items, 1))


def _prevention(pb: Playbook) -> str:
    def render(item: Any, lang: str) -> list[str]:
        parts = [f"**{one_line(text_of(item.title, lang))}**"]
        if item.description:
            parts.append(text_of(item.description, lang))
        if item.claims:
            parts.append(f"{word(lang, 'claims')}: {_claim_links(pb, item.claims, lang)}")
        return parts

    return _numbered(list(pb.prevention), render)


def _lessons(pb: Playbook) -> str:
    def render(lesson: Any, lang: str) -> list[str]:
        parts = [f"**{one_line(text_of(lesson.title, lang))}**"]
        if lesson.points:
            parts.append(_bullets(lesson.points, lang))
        if lesson.claims:
            parts.append(f"{word(lang, 'claims')}: {_claim_links(pb, lesson.claims, lang)}")
        return parts

    return _numbered(list(pb.lessons), render)


def _references(pb: Playbook) -> str:
    def render(lang: str) -> str:
        out = []
        for ref in pb.references:
            title = one_line(text_of(ref.title, lang))
            line = f"- [{title}]({ref.url})" if ref.url else f"- {title}"
            if ref.path:
                line += f" — `{ref.path}`"
            if ref.note:
                line += f" — {one_line(text_of(ref.note, lang))}"
            out.append(line)
        return "\n".join(out)

    return per_lang(render)


def verification_text(claim: Claim) -> str:
    if not claim.verified:
        return "—"
    return "<br>".join(
        f"{v.engine} · {v.on.isoformat()} · {v.by}" + (f" · client {v.client}" if v.client else "")
        for v in claim.verified)


def _claims(pb: Playbook) -> str:
    """One table for both languages (statement in Korean, English below), so that each claim's
    anchor exists once and links to it work whichever language tab is open."""
    rows = ["| 상태 · Status | 주장 · Claim | 검증한 엔진 · 날짜 · Verified on | 출처 · Source |", "|---|---|---|---|"]
    for claim in pb.claims:
        ko, en = both_texts(claim.statement)
        statement = one_line(ko) if ko == en else f"{one_line(ko)}<br><small>{one_line(en)}</small>"
        rows.append(f'| <span id="claim-{claim.id}"></span>{claim_badge(claim.status)} '
                    f"| {statement} <small>`{claim.id}`</small> | {verification_text(claim)} | {claim.source} |")
    table = "\n".join(rows)

    def notes(lang: str) -> str:
        out = []
        for claim in pb.claims:
            bits = [one_line(text_of(v.evidence, lang)) for v in claim.verified if v.evidence]
            if claim.note:
                bits.append(text_of(claim.note, lang))
            if bits:
                out.append(f"- `{claim.id}`: " + indent(" ".join(bits), 4).lstrip())
        return "\n".join(out)

    if not any(v.evidence for c in pb.claims for v in c.verified) and not any(c.note for c in pb.claims):
        return table
    return f"{table}\n\n{per_lang(notes)}"


def _params(pb: Playbook) -> str:
    """One table for both languages (a description in Korean, its English below, as for claims)."""
    rows = ["| 이름 · Name | 종류 · Type | 필수 · Required | 기본값 · Default | 예 · Example | 설명 · Description |",
            "|---|---|---|---|---|---|"]
    for name, param in pb.params.items():
        default = "" if param.default is None else f"`{param.default}`"
        example = "" if param.example is None else f"`{param.example}`"
        required = "✓" if param.required else ""
        ko, en = both_texts(param.description)
        description = one_line(ko) if ko == en else f"{one_line(ko)}<br><small>{one_line(en)}</small>"
        rows.append(f"| `{name}` | {param.type.value} | {required} | {default} | {example} | {description} |")
    return "\n".join(rows)


def wrap_command(line: str, width: int = 78) -> str:
    """A long command broken at `--` options with shell line continuations."""
    if len(line) <= width:
        return line
    parts = re.split(r" (?=--)", line)
    return " \\\n    ".join(parts)


def _run_box(pb: Playbook) -> str:
    ko, en = SECTION["run"]
    if pb.checks:
        intro = ("읽기 전용 검사로 원인을 찾는다. 고칠 때는 계획을 보여 주고 동의를 받아 적용한 뒤 다시 진단한다.<br>"
                 "Find the cause with read-only checks; `fix` shows its plan, asks before it changes anything, "
                 "then diagnoses again to prove it worked.")
        commands = "\n".join(wrap_command(runner_command(verb, pb)) for verb in ("diagnose", "fix"))
    else:
        intro = "이 플레이북에는 아직 검사가 없다 · This playbook has no checks yet."
        commands = f"runner show {shlex.quote(pb.id)} --lang ko\nrunner show {shlex.quote(pb.id)} --lang en"
    body = f"{intro}\n\n{fence(commands, 'bash')}"
    if any(p.required and p.example is None for p in pb.params.values()):
        body += "\n\n`<...>`: 값을 채워 넣는다 · replace with your value."
    return f'!!! tip "{bilingual(ko, en)}"\n\n' + indent(body)


# Fields shown as data (YAML) under a heading of their own; any other field the generator does
# not know yet lands under "Other fields" the same way.
DATA_SECTIONS = {"lab": ("재현 실험", "Lab reproduction")}


class _BlockDumper(__import__("yaml").SafeDumper):
    pass


_BlockDumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def _data_sections(pb: Playbook) -> list[tuple[str, str, str, str]]:
    """(anchor, Korean heading, English heading, Markdown) for each field without a section."""
    import yaml

    out = []
    for name in type(pb).model_fields:
        value = getattr(pb, name)
        if name in HANDLED_FIELDS or value in (None, (), {}, []):
            continue
        data = pb.model_dump(mode="json", include={name}, by_alias=True, exclude_defaults=True)
        body = fence(yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=100), "yaml")
        ko, en = DATA_SECTIONS.get(name, (f"기타: {name}", f"Other: {name}"))
        out.append((name.replace("_", "-"), ko, en, f'??? example "{name}"\n\n{indent(body)}'))
    return out


def playbook_markdown(pb: Playbook) -> str:
    """The whole playbook as one Markdown page (front matter included)."""
    title_ko, title_en = both_texts(pb.title)
    front = {"title": title_ko or title_en, "tags": list(pb.tags),
             "description": one_line(text_of(pb.summary, "en") or text_of(pb.summary, "ko"))[:300]}
    lines = ["---", *(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in front.items()), "---", ""]
    lines.append(f"# {one_line(title_ko or title_en)} {{#top}}")
    if title_en and title_en != title_ko:
        lines += ["", one_line(title_en), "{: .pb-subtitle }"]
    meta = [severity_badge(pb.severity.value), f"`{pb.id}`"]
    if pb.occurred:
        meta.append(pb.occurred.isoformat())
    lines += ["", " · ".join(meta), "{: .pb-meta }", ""]

    def summary(lang: str) -> str:
        parts = [text_of(pb.summary, lang)]
        facts = []
        if pb.project:
            facts.append(f"{word(lang, 'project')}: {one_line(text_of(pb.project, lang))}")
        for tool in pb.applies_to:
            note = f" ({one_line(text_of(tool.note, lang))})" if tool.note else ""
            facts.append(f"{word(lang, 'applies')}: `{tool.tool} {tool.versions}`{note}")
        if facts:
            parts.append("\n".join(f"- {f}" for f in facts))
        return "\n\n".join(parts)

    lines += [per_lang(summary), "", _run_box(pb), ""]

    def section(key: str, body: str) -> None:
        ko, en = SECTION[key]
        lines.extend([heading(2, ko, en, key), "", body, ""])

    section("symptoms", _symptoms(pb))
    if pb.situation:
        section("situation", _situation(pb))
    if pb.reported_cause:
        section("reported", _reported(pb))
    if pb.causes:
        section("causes", "\n\n".join(_cause(pb, c) for c in pb.causes))
    if pb.wrong_attempts:
        section("wrong", "\n\n".join(_wrong(pb, a) for a in pb.wrong_attempts))
    if pb.fixes:
        section("fixes", "\n\n".join(_fix(pb, f) for f in pb.fixes))
    if pb.alternatives:
        section("alternatives", "\n\n".join(_fix(pb, f) for f in pb.alternatives))
    if pb.prevention:
        section("prevention", _prevention(pb))
    if pb.lessons:
        section("lessons", _lessons(pb))
    if pb.references:
        section("references", _references(pb))
    if pb.claims:
        section("claims", _claims(pb))
    if pb.checks:
        section("checks", _checks(pb))
    if pb.params:
        section("params", _params(pb))
    if pb.notes:
        section("notes", per_lang(lambda lang: _bullets(pb.notes, lang)))
    for anchor, ko, en, body in _data_sections(pb):
        lines.extend([heading(2, ko, en, anchor), "", body, ""])
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- catalogue pages


def page_path(playbook_id: str) -> str:
    return f"{PLAYBOOK_DIR}/{playbook_id}.md"


def sorted_playbooks(playbooks: Iterable[Playbook]) -> list[Playbook]:
    return sorted(playbooks, key=lambda p: (SEVERITY_ORDER.get(p.severity.value, 9), p.id))


def playbook_table(playbooks: Iterable[Playbook], from_dir: str = PLAYBOOK_DIR, limit: int | None = None) -> str:
    """A table of playbooks with severity and tags; links relative to a page in `from_dir`.
    With `limit`, the most severe `limit` playbooks and a link to the whole list."""
    rows = ["| 플레이북 · Playbook | 심각도 · Severity | 태그 · Tags |", "|---|---|---|"]
    prefix = "" if from_dir == PLAYBOOK_DIR else f"{PLAYBOOK_DIR}/" if not from_dir else "../" * (
        from_dir.count("/") + 1) + f"{PLAYBOOK_DIR}/"
    ordered = sorted_playbooks(playbooks)
    rest = len(ordered) - limit if limit is not None and len(ordered) > limit else 0
    for pb in ordered[:len(ordered) - rest]:
        ko, en = both_texts(pb.title)
        title = one_line(ko) if ko == en else f"{one_line(ko)}<br><small>{one_line(en)}</small>"
        tags = " ".join(f"`{t}`" for t in pb.tags)
        rows.append(f"| [{title}]({prefix}{pb.id}.md) | {severity_badge(pb.severity.value)} | {tags} |")
    if len(rows) == 2:
        rows.append("| (아직 없음 · none yet) | | |")
    if rest:
        rows.append(f"| [… 나머지 {rest}개 · {rest} more: 전체 목록 · the whole list]({prefix}index.md) | | |")
    return "\n".join(rows)


def claims_table(playbooks: Iterable[Playbook], from_dir: str, *, tags: set[str] | None = None,
                 statuses: set[str] | None = None) -> str:
    """Every claim of the selected playbooks, with its status and the engine it was verified on."""
    prefix = "../" * (from_dir.count("/") + 1) if from_dir else ""
    rows = ["| 상태 · Status | 주장 · Claim | 검증 · Verified on | 플레이북 · Playbook |", "|---|---|---|---|"]
    for pb in sorted_playbooks(playbooks):
        if tags and not tags & set(pb.tags):
            continue
        for claim in pb.claims:
            if statuses and claim.status.value not in statuses:
                continue
            ko, en = both_texts(claim.statement)
            statement = one_line(ko) if ko == en else f"{one_line(ko)}<br><small>{one_line(en)}</small>"
            rows.append(f"| {claim_badge(claim.status)} | {statement} | {verification_text(claim)} "
                        f"| [`{pb.id}`]({prefix}{PLAYBOOK_DIR}/{pb.id}.md#claim-{claim.id}) |")
    if len(rows) == 2:
        rows.append("| | (아직 없음 · none yet) | | |")
    return "\n".join(rows)


# --------------------------------------------------------------------------- the CLI's own help


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
        body = "\n\n".join(described) or \
            "(도움말이 JSON 형식을 설명하지 않는다 · the command's help does not describe it)"
        parts.append(f"- [`{' '.join(path)} --json`](cli.md#cli-{'-'.join(path[1:])})\n\n" + indent(body, 4))
    return "\n\n".join(parts) or "(아직 없음 · none yet)"


def schema_reference() -> str:
    """The fields of a playbook, from the models (so the page cannot drift from the format)."""
    from runner.playbook.model import Playbook as Model

    rows = ["| 필드 · Field | 형식 · Type | 필수 · Required | 설명 · Description |", "|---|---|---|---|"]
    for name, field in Model.model_fields.items():
        annotation = getattr(field.annotation, "__name__", None) or str(field.annotation)
        annotation = re.sub(r"typing\.|runner\.model\.|datetime\.|Annotated\[|, .*?\]", "", annotation)
        required = "✓" if field.is_required() else ""
        rows.append(f"| `{name}` | `{one_line(annotation)[:60]}` | {required} | {one_line(field.description or '')} |")
    return "\n".join(rows)


# --------------------------------------------------------------------------- markers in hand-written pages

MARKER = re.compile(r"<!--\s*runner:(?P<name>[a-z-]+)(?P<args>(?:\s+[a-z]+=[^\s>]+)*)\s*-->")


def expand_markers(markdown: str, playbooks: list[Playbook], src_path: str) -> str:
    """Replace `<!-- runner:NAME key=value -->` in a hand-written page with generated Markdown.

    NAME: playbooks (the table; limit=N: the N most severe), claims (tags=a,b status=confirmed,refuted),
    cli, json, schema, count.
    """
    from_dir = str(Path(src_path).parent).replace("\\", "/").strip(".")

    def replace(match: re.Match) -> str:
        args = dict(arg.split("=", 1) for arg in match.group("args").split())
        name = match.group("name")
        if name == "playbooks":
            selected = [p for p in playbooks if not args.get("tags") or set(args["tags"].split(",")) & set(p.tags)]
            return playbook_table(selected, from_dir, int(args["limit"]) if args.get("limit") else None)
        if name == "claims":
            return claims_table(playbooks, from_dir,
                                tags=set(args["tags"].split(",")) if args.get("tags") else None,
                                statuses=set(args["status"].split(",")) if args.get("status") else None)
        if name == "cli":
            return cli_reference()
        if name == "json":
            return json_reference()
        if name == "schema":
            return schema_reference()
        if name == "count":
            return str(len(playbooks))
        raise ValueError(f"{src_path}: unknown marker runner:{name}")

    return MARKER.sub(replace, markdown)


# --------------------------------------------------------------------------- the site as files


def generated_pages(playbooks: Iterable[Playbook]) -> dict[str, str]:
    """docs-relative path -> Markdown, one page per playbook."""
    return {page_path(pb.id): playbook_markdown(pb) for pb in playbooks}


NAV_PLAYBOOKS_UP_TO = 30  # more playbooks than this: none of them is listed in the nav


def nav_entries(playbooks: Iterable[Playbook]) -> list[dict[str, Any]]:
    """Nav items for the playbook pages: one per playbook for a small catalogue, none for a large one.

    A large catalogue is read from the playbook list (severity and tags), the tags page and
    search; its pages are `not_in_nav` (mkdocs.yml). A nav entry per playbook would help no
    reader past a few dozen, and would cost every page of the site: each page renders the nav.
    """
    ordered = sorted_playbooks(playbooks)
    if len(ordered) > NAV_PLAYBOOKS_UP_TO:
        return []
    return [{one_line(text_of(pb.title, "ko")) or pb.id: page_path(pb.id)} for pb in ordered]


def add_to_nav(nav: Any, playbooks: list[Playbook], anchor: str = f"{PLAYBOOK_DIR}/index.md") -> bool:
    """Append the playbook pages to the nav list that holds `anchor`; False when no list does."""
    if isinstance(nav, list):
        if any(item == anchor or (isinstance(item, dict) and anchor in item.values()) for item in nav):
            nav.extend(nav_entries(playbooks))
            return True
        return any(add_to_nav(item, playbooks, anchor) for item in nav)
    if isinstance(nav, dict):
        return any(add_to_nav(value, playbooks, anchor) for value in nav.values())
    return False


def export_site(root: Path, out: Path, playbooks: list[Playbook]) -> list[Path]:
    """Write a hook-free copy of the site: out/mkdocs.yml and out/docs/ with every page generated.

    The copy builds with plain MkDocs or with Zensical, which reads mkdocs.yml but runs no hooks.
    """
    import shutil

    import yaml

    config_path = root / "mkdocs.yml"
    config = yaml.load(config_path.read_text(encoding="utf-8"), Loader=_ConfigLoader)
    docs = root / config.get("docs_dir", "docs")
    out_docs = out / "docs"
    written: list[Path] = []
    if out_docs.exists():
        shutil.rmtree(out_docs)
    for source in sorted(docs.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        rel = source.relative_to(docs).as_posix()
        target = out_docs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".md":
            target.write_text(expand_markers(source.read_text(encoding="utf-8"), playbooks, rel), encoding="utf-8")
        else:
            shutil.copyfile(source, target)
        written.append(target)
    for rel, text in {**generated_pages(playbooks), **static_files()}.items():
        target = out_docs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    config.pop("hooks", None)
    config["docs_dir"] = "docs"
    config["site_dir"] = "site"
    if "nav" in config:
        add_to_nav(config["nav"], playbooks)
    out_config = out / "mkdocs.yml"
    out_config.write_text(yaml.dump(config, Dumper=_ConfigDumper, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
    written.append(out_config)
    return written


def static_files() -> dict[str, str]:
    """Generated non-page files: the playbook JSON Schema, served beside the authoring guide."""
    from runner.playbook.schema import SCHEMA_PATH

    if SCHEMA_PATH.exists():
        return {"schema/playbook.schema.json": SCHEMA_PATH.read_text(encoding="utf-8")}
    return {}


# mkdocs.yml holds `!!python/...` tags (pymdownx options); they are carried over as written.
class _PythonTag:
    def __init__(self, tag: str, node_kind: str, value: Any):
        self.tag, self.node_kind, self.value = tag, node_kind, value


class _ConfigLoader(__import__("yaml").SafeLoader):
    pass


class _ConfigDumper(__import__("yaml").SafeDumper):
    pass


def _construct_python_tag(loader: Any, suffix: str, node: Any) -> _PythonTag:
    import yaml

    tag = "tag:yaml.org,2002:python/" + suffix
    if isinstance(node, yaml.MappingNode):
        return _PythonTag(tag, "mapping", loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return _PythonTag(tag, "sequence", loader.construct_sequence(node, deep=True))
    return _PythonTag(tag, "scalar", loader.construct_scalar(node))


def _represent_python_tag(dumper: Any, data: _PythonTag) -> Any:
    if data.node_kind == "mapping":
        return dumper.represent_mapping(data.tag, data.value)
    if data.node_kind == "sequence":
        return dumper.represent_sequence(data.tag, data.value)
    return dumper.represent_scalar(data.tag, data.value)


_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_python_tag)
_ConfigDumper.add_representer(_PythonTag, _represent_python_tag)
