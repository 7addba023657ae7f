"""One playbook as one Markdown page: front matter, the run box, then a section per part of the
playbook (symptoms, causes, wrong attempts, fixes, claims...), each in both languages."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable
from typing import Any

from runner.playbook.model import (
    Check,
    ClaimStatus,
    Effect,
    Fix,
    FixStep,
    LocalizedText,
    Playbook,
    Verdict,
)
from runner.present.labels import DATA_SECTION, EFFECT_LABEL, SECTION, VERDICT_LABEL
from runner.site.commands import (
    command_text,
    referenced_params,
    runner_command,
    shell_preamble,
    wrap_command,
)
from runner.site.conditions import condition_words
from runner.site.languages import current
from runner.site.markdown_parts import (
    BOTH,
    bilingual,
    both_texts,
    claim_badge,
    code_block,
    effect_badge,
    fence,
    heading,
    in_words,
    indent,
    inline_both,
    list_item,
    manual_badge,
    one_line,
    per_lang,
    severity_badge,
    table_cell,
    table_head,
    text_of,
    verification_text,
    word,
)

# Fields of Playbook that have a section of their own; anything else (a field added to the
# model later) still reaches the page through `_data_sections`, so no content is dropped.
HANDLED_FIELDS = frozenset({
    "id", "title", "reported_title", "summary", "occurred", "project", "tags", "severity", "applies_to", "params",
    "symptoms", "situation", "reported_cause", "checks", "causes", "wrong_attempts", "fixes",
    "alternatives", "prevention", "lessons", "references", "claims", "notes",
})

# The admonition a wrong attempt is drawn in
VERDICT_ADMONITION = {Verdict.fails: "warning", Verdict.partial: "warning", Verdict.forbidden: "danger"}


def _claim_links(playbook: Playbook, ids: Iterable[str], lang: str) -> str:
    links = []
    known = {c.id: c for c in playbook.claims}
    for claim_id in ids:
        claim = known.get(claim_id)
        status = f" {claim_badge(claim.status, lang)}" if claim else ""
        links.append(f"[`{claim_id}`](#claim-{claim_id}){status}")
    return ", ".join(links)


def _refuted(pb: Playbook, ids: Iterable[str]) -> list[tuple[Any, list[str]]]:
    """The claims among `ids` the lab refuted, each with the engines it was refuted on (a claim
    that depends on the engine is refuted on some)."""
    known = {c.id: c for c in pb.claims}
    found = []
    for claim_id in ids:
        claim = known.get(claim_id)
        if claim is None:
            continue
        engines = [v.engine + (" (containerd)" if v.store == "containerd" else "")
                   for v in claim.verified if v.by == "lab" and v.verdict_given(claim.status) == "refuted"]
        if claim.status is ClaimStatus.refuted or engines:
            found.append((claim, engines))
    return found


def _refuted_note(pb: Playbook, ids: Iterable[str], lang: str, instead: Any = None) -> str | None:
    """At the item itself, not only in the claims table: what the lab refuted of what this item
    recommends, and what to do instead (the item's `instead`, else the fixes). The item's own
    (the report's) words stay as they are."""
    found = _refuted(pb, ids)
    if not found:
        return None
    lines = [f"- {one_line(text_of(claim.statement, lang))} ([`{claim.id}`](#claim-{claim.id})"
             + (f": {', '.join(engines)}" if engines else "") + ")" for claim, engines in found]
    do = text_of(instead, lang) if instead is not None else f"[{word(lang, 'fixes')}](#fixes)."
    return (f'!!! failure "{word(lang, "refuted_here")}"\n\n'
            + indent("\n".join(lines) + f"\n\n{word(lang, 'refuted_kept')}: {do}"))


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
        if check.args:  # the runner's view: collapsed, for the reader who writes or debugs a check
            arguments = fence(json.dumps(check.args, ensure_ascii=False, indent=2), "json")
            label = bilingual("검사의 인자", "The check's arguments")
            parts.append(f'??? note "{label} (JSON)"\n\n' + indent(arguments))
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
        # the condition in the reader's words, each check by its title
        def said(in_lang: str) -> str:
            titles = {c.id: one_line(text_of(c.title, in_lang)) if c.title else c.id for c in pb.checks}
            return condition_words(cause.when, titles, in_lang)

        when = bilingual(said("ko"), said("en")) if lang == BOTH else said(lang)
        parts.append(f"**{word(lang, 'when')}:** {when}")
        return "\n\n".join(parts)

    facts = []
    if cause.evidence:
        facts.append(f"- {word(BOTH, 'evidence')}: {_check_links(cause.evidence)}")
    if cause.fix:
        fix = _find_fix(pb, cause.fix)
        label = inline_both(fix.title) if fix else cause.fix
        facts.append(f"- {word(BOTH, 'fix')}: [{label}](#fix-{cause.fix})")
    if cause.claims:
        facts.append(f"- {word(BOTH, 'claims')}: {_claim_links(pb, cause.claims, BOTH)}")
    # the condition as the playbook writes it, for authors: folded
    import yaml

    written = yaml.safe_dump(cause.model_dump(mode="json", include={"when"}, by_alias=True, exclude_defaults=True),
                             allow_unicode=True, sort_keys=False).strip()
    folded = f'??? note "{word(BOTH, "when")} (YAML)"\n\n' + indent(fence(written, "yaml"))
    return f"{head}\n\n{per_lang(prose)}\n\n{folded}" + ("\n\n" + "\n".join(facts) if facts else "")


def _find_fix(pb: Playbook, fix_id: str) -> Fix | None:
    return next((f for f in (*pb.fixes, *pb.alternatives) if f.id == fix_id), None)


def _wrong(pb: Playbook, attempt: Any) -> str:
    kind = VERDICT_ADMONITION[attempt.verdict]
    vko, ven = VERDICT_LABEL[attempt.verdict]
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
        if _refuted(pb, attempt.claims):
            body.append(per_lang(lambda lang: _refuted_note(pb, attempt.claims, lang) or ""))
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
        # What the action does, in words; its arguments are the runner's business: collapsed.
        from runner.fix.actions import ACTIONS

        action = ACTIONS.get(step.action.name)
        what = LocalizedText(ko=action.summary_ko or action.summary, en=action.summary) if action else None

        def summary(lang: str) -> str:
            line = f"{word(lang, 'action')}: `{step.action.name}`"
            return f"{line} — {text_of(what, lang)}" if what is not None and what.en else line

        if step.action.args:
            args = fence(in_words(json.dumps(step.action.args, ensure_ascii=False, indent=2), "en"), "json")
            body.append(per_lang(lambda lang: f'??? note "{summary(lang)}"\n\n' + indent(args)))
        else:
            body.append(per_lang(summary))
    elif step.manual:
        body.append(per_lang(lambda lang: f"{word(lang, 'manual')}: {text_of(step.manual, lang)}"))
    if step.code:
        body.append(code_block(step.code))
    if step.loses:
        body.append(per_lang(lambda lang: f"**{word(lang, 'loses')}:** {text_of(step.loses, lang)}"))
    if step.timeout != FixStep.model_fields["timeout"].default:
        body.append(f"{word(BOTH, 'timeout')}: {step.timeout:g} s")
    # A manual step is the reader's to do; what it changes, when it does, is said beside that.
    badge_of_step = effect_badge(step.effect) if not step.manual else manual_badge() + (
        f" {effect_badge(step.effect)}" if step.effect is not Effect.read else "")
    head = f"{number}. {badge_of_step} **{title}**"
    if step.effect is Effect.destructive:
        label = bilingual(*EFFECT_LABEL[step.effect])
        inner = f'!!! danger "{label}: {title}"\n\n' + indent("\n\n".join(body))
        return f"{head}\n\n" + indent(inner, 4)
    return f"{head}\n\n" + indent("\n\n".join(body), 4)


def _fix(pb: Playbook, fix: Fix) -> str:
    ko, en = both_texts(fix.title)
    parts = [heading(3, ko, en, f"fix-{fix.id}")]
    if _refuted(pb, fix.claims):
        parts.append(per_lang(lambda lang: _refuted_note(pb, fix.claims, lang, fix.instead) or ""))
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


def _titled(pb: Playbook, items: Iterable[Any], body: Callable[[Any, str], str | None]) -> str:
    """A numbered list of titled items (prevention, lessons): each its title in bold, then
    body(item, lang) unless None, then the claims it rests on."""
    def render(item: Any, lang: str) -> list[str]:
        parts = [f"**{one_line(text_of(item.title, lang))}**"]
        text = body(item, lang)
        if text is not None:
            parts.append(text)
        if item.claims:
            parts.append(f"{word(lang, 'claims')}: {_claim_links(pb, item.claims, lang)}")
            parts.append(_refuted_note(pb, item.claims, lang, item.instead) or "")
        return parts

    return _numbered(list(items), render)


def _prevention(pb: Playbook) -> str:
    return _titled(pb, pb.prevention,
                   lambda item, lang: text_of(item.description, lang) if item.description else None)


def _lessons(pb: Playbook) -> str:
    return _titled(pb, pb.lessons, lambda lesson, lang: _bullets(lesson.points, lang) if lesson.points else None)


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


def _claims(pb: Playbook) -> str:
    """One table for both languages (statement in Korean, English below), so that each claim's
    anchor exists once and links to it work whichever language tab is open."""
    rows = [*table_head("상태 · Status", "주장 · Claim", "검증한 엔진과 날짜 · Verified on", "출처 · Source")]
    for claim in pb.claims:
        statement = table_cell(claim.statement)
        rows.append(f'| <span id="claim-{claim.id}"></span>{claim_badge(claim.status)} '
                    f"| {statement} <small>`{claim.id}`</small> | {verification_text(claim)} | {claim.source} |")
    table = "\n".join(rows)

    def notes(lang: str) -> str:
        out = []
        for claim in pb.claims:
            # the lab's own record of what it saw: text, never a tag (it quotes the files it wrote)
            bits = [one_line(text_of(v.evidence, lang)).replace("<", "&lt;") for v in claim.verified if v.evidence]
            if claim.note:
                bits.append(text_of(claim.note, lang))
            if bits:
                out.append(f"- `{claim.id}`: " + indent(" ".join(bits), 4).lstrip())
        return "\n".join(out)

    parts = [table, *filter(None, [_engine_table(pb)])]
    if any(v.evidence for c in pb.claims for v in c.verified) or any(c.note for c in pb.claims):
        # collapsed: what the lab saw, for the reader who doubts a verdict
        parts.append(f'??? info "{bilingual("랩이 본 것과 메모", "What the lab saw, and notes")}"\n\n'
                     + indent(per_lang(notes)))
    return "\n\n".join(parts)


def _engines(pb: Playbook) -> list[tuple[str, str, str]]:
    """(engine, client, image store) of every engine a lab verified this playbook's claims on,
    oldest engine first."""
    found = {(v.engine, v.client or "", v.store or "overlay2") for c in pb.claims for v in c.verified if v.by == "lab"}
    return sorted(found, key=lambda key: ([int(n) for n in re.findall(r"\d+", key[0])[:3]], key[2], key[1]))


def _engine_table(pb: Playbook) -> str:
    """Each claim's verdict on each engine its lab ran on (one column an engine), and when the
    lab last ran there: a claim that holds on one engine and not on another says so here."""
    engines = _engines(pb)
    if not engines:
        return ""
    last = {key: max(v.on for c in pb.claims for v in c.verified
                     if v.by == "lab" and (v.engine, v.client or "", v.store or "overlay2") == key) for key in engines}
    heads = [f"{engine.removeprefix('Docker Engine ')} · {store}<br><small>{client}</small>"
             for engine, client, store in engines]
    rows = [*table_head("주장 · Claim", *heads)]
    for claim in pb.claims:
        cells = []
        for key in engines:
            entry = next((v for v in claim.verified if v.by == "lab" and
                          (v.engine, v.client or "", v.store or "overlay2") == key), None)
            verdict = entry.verdict_given(claim.status) if entry else None
            cells.append(claim_badge(ClaimStatus(verdict)) if verdict else "—")
        if any(cell != "—" for cell in cells):
            rows.append(f"| [`{claim.id}`](#claim-{claim.id}) | " + " | ".join(cells) + " |")
    ran = "; ".join(f"{engine.removeprefix('Docker Engine ')} ({store}): {last[(engine, client, store)].isoformat()}"
                    for engine, client, store in engines)
    caption = (f'<p class="pb-lab-ran">{bilingual("랩을 마지막으로 실행한 엔진과 날짜", "The lab last ran on")}: '
               f"{ran}</p>")
    return caption + "\n\n" + "\n".join(rows)


def _params(pb: Playbook) -> str:
    """One table for both languages (a description in Korean, its English below, as for claims)."""
    rows = [*table_head("이름 · Name", "종류 · Type", "필수 · Required", "기본값 · Default", "예 · Example",
                       "설명 · Description")]
    for name, param in pb.params.items():
        default = "" if param.default is None else f"`{param.default}`"
        example = "" if param.example is None else f"`{param.example}`"
        required = "✓" if param.required else ""
        description = table_cell(param.description)
        rows.append(f"| `{name}` | {param.type.value} | {required} | {default} | {example} | {description} |")
    return "\n".join(rows)


def _run_box(pb: Playbook) -> str:
    ko, en = SECTION["run"]
    if pb.checks:
        intro = _paragraphs("읽기 전용 검사로 원인을 찾는다. 고칠 때는 계획을 보여 주고 동의를 받아 적용한 뒤 다시 진단한다.",
                            "Find the cause with read-only checks; `fix` shows its plan, asks before it changes "
                            "anything, then diagnoses again to prove it worked.")
        # one block, so one copy button, per command: a reader copies the diagnosis first
        blocks = [f"**{bilingual(*label)}**\n\n{fence(wrap_command(runner_command(verb, pb)), 'bash')}"
                  for verb, label in (("diagnose", ("진단", "Diagnose")), ("fix", ("고치기", "Fix")))]
        body = intro + "\n\n" + "\n\n".join(blocks)
        optional = [f"`--param {name}=...`" + (f" ({param.default})" if param.default is not None else "")
                    for name, param in pb.params.items() if not param.required]
        if any(p.required for p in pb.params.values()):
            body += "\n\n`<...>`: " + bilingual("값을 채워 넣는다", "replace with your own value") + "."
        if optional:
            body += "\n\n" + bilingual("선택", "Optional") + ": " + ", ".join(optional)
    else:
        intro = bilingual("이 플레이북에는 아직 검사가 없다", "This playbook has no checks yet") + "."
        commands = f"runner show {shlex.quote(pb.id)} --lang ko\nrunner show {shlex.quote(pb.id)} --lang en"
        body = f"{intro}\n\n{fence(commands, 'bash')}"
    return f'!!! tip "{bilingual(ko, en)}"\n\n' + indent(body)


def _paragraphs(ko: str, en: str) -> str:
    """A sentence in the page's language; both, one per line, on a page in both."""
    return bilingual(ko, en) if current() is not None else f"{ko}<br>{en}"


# Fields without a section are shown as data (YAML) under a heading of their own
# (DATA_SECTION's, or "Other: NAME" for a field the generator does not know yet).
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
        ko, en = DATA_SECTION.get(name, (f"기타: {name}", f"Other: {name}"))
        out.append((name.replace("_", "-"), ko, en, f'??? example "{name}"\n\n{indent(body)}'))
    return out


def _each(render: Callable[[Playbook, Any], str], field: str) -> Callable[[Playbook], str]:
    """A section made of one block per item of a list field."""
    return lambda pb: "\n\n".join(render(pb, item) for item in getattr(pb, field))


# The sections after the symptoms, in page order: anchor -> (the field it shows, when the
# playbook has it; its Markdown)
SECTION_BODIES: dict[str, tuple[str, Callable[[Playbook], str]]] = {
    "situation": ("situation", _situation),
    "reported": ("reported_cause", _reported),
    "causes": ("causes", _each(_cause, "causes")),
    "wrong": ("wrong_attempts", _each(_wrong, "wrong_attempts")),
    "fixes": ("fixes", _each(_fix, "fixes")),
    "alternatives": ("alternatives", _each(_fix, "alternatives")),
    "prevention": ("prevention", _prevention),
    "lessons": ("lessons", _lessons),
    "references": ("references", _references),
    "claims": ("claims", _claims),
    "checks": ("checks", _checks),
    "params": ("params", _params),
    "notes": ("notes", lambda pb: per_lang(lambda lang: _bullets(pb.notes, lang))),
}


SEARCH_BOOST = 2


def playbook_markdown(pb: Playbook) -> str:
    """The whole playbook as one Markdown page (front matter included)."""
    title_ko, title_en = both_texts(pb.title)
    if current() is not None:  # a page in one language: its title, and the other's only if it has none
        title_ko = title_en = bilingual(title_ko, title_en) or title_ko or title_en
    # search.boost: a playbook answers a reader's query before a list or a guide that names it
    front = {"title": title_ko or title_en, "tags": list(pb.tags), "search": {"boost": SEARCH_BOOST},
             "description": one_line(text_of(pb.summary, current() or "en") or text_of(pb.summary, "ko"))[:300]}
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
        if pb.reported_title:
            facts.append(f"{word(lang, 'reported_title')}: \"{one_line(text_of(pb.reported_title, lang))}\"")
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
    for key, (field, render) in SECTION_BODIES.items():
        if getattr(pb, field):
            section(key, render(pb))
    for anchor, ko, en, body in _data_sections(pb):
        lines.extend([heading(2, ko, en, anchor), "", body, ""])
    return "\n".join(lines).rstrip() + "\n"
