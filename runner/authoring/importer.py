"""A Markdown incident write-up -> a playbook (YAML text that the real loader validates).

The team's write-ups share one shape (Korean headings, English ones accepted too):

    # 에러 케이스: <title>
    ## 발생 날짜 / 프로젝트 / 에러 증상 / 구체적인 상황 / 근본 원인
    ## 잘못된 해결 시도      ### 1. <attempt> (❌ 실패|금지|부분 ...)  + code + **이유**: ...
    ## 올바른 해결 방법      ### ✅ <fix>  + code (one step per command) + **효과**/**장점**: lists
    ## 대안 / 예방 방법 / 학습 포인트 / 관련 문서 / 태그

Each section goes to its field. What the importer cannot place (an unknown section, a code
block under the root cause, a tag that is not a valid tag) is kept word for word in `notes`
and listed in the returned warnings: nothing is dropped. What it had to guess (the effect of
a command, a missing reason) is listed too, so a person reviews exactly those.

The write-up's fix goes to `alternatives`, not `fixes`: in a playbook a fix is what a
diagnosed cause points to, and a write-up has no checks or causes to point from. Its
"root cause" is the report's claim (`reported_cause`), not a diagnosis.

Library code: returns data or raises ImportFailed (one line for the person); writing a file
is `write_new` (runner/authoring/files.py), which is atomic and refuses to overwrite unless
asked. Here is the importer that places each section (_Importer) and the entry point
(import_markdown); it reads the write-up as blocks (markdown.py), names sections and verdicts
by their headings (headings.py), turns code into steps (shell.py), makes ids (ids.py) and
writes the YAML (yaml_out.py).
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from runner.authoring.headings import (
    BARE_VERDICTS,
    SECTIONS,
    TITLE_PREFIX,
    normalise,
    section_key,
    split_marker,
    unnumbered,
    verdict_of,
)
from runner.authoring.ids import slug, unique
from runner.authoring.markdown import (
    Block,
    Section,
    clip,
    item_parts,
    parse_markdown,
    split_sections,
    split_subsections,
    titled_items,
    to_markdown,
)
from runner.authoring.shell import code_lang, command_groups, effect_of
from runner.authoring.yaml_out import DEFAULT_SCHEMA, Dumper, Flow, dump
from runner.errors import PlaybookError, RunnerError
from runner.playbook.model import ID_PATTERN, TAG_PATTERN, Playbook
from runner.playbook.placeholders import NAME_PLACEHOLDER


class ImportFailed(RunnerError):
    """The input cannot become a playbook; the message says why in one line."""


@dataclass(frozen=True)
class Imported:
    playbook: Playbook
    yaml: str
    warnings: tuple[str, ...]  # what was kept in notes or guessed, one line each


class _Importer:
    def __init__(self, lang: str):
        self.lang = lang
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.data: dict[str, Any] = {}
        self.fix_ids: set[str] = set()  # fixes and alternatives share one namespace
        self.attempt_ids: set[str] = set()

    # -- helpers

    def text(self, value: str) -> dict[str, str]:
        return {self.lang: value}

    def titled(self, heading: str) -> str:
        """A heading as a title; an empty `###` still needs one."""
        return heading.strip() or ("(제목 없음)" if self.lang == "ko" else "(untitled)")

    def keep(self, where: str, blocks: Iterable[Block], why: str, heading_too: bool = False) -> None:
        """Keep blocks the importer cannot place, word for word, in notes; say so. With
        heading_too, `where` is itself content (an unknown section's heading) and is kept alone."""
        body = to_markdown(blocks)
        if not body.strip():
            if heading_too and where.strip("# "):
                self.notes.append(where)
                self.warnings.append(f"kept in notes: {clip(where)} ({why})")
            return
        self.notes.append(f"{where}\n\n{body}" if where else body)
        self.warnings.append(f"kept in notes: {clip(where or body)} ({why})")

    # -- the document

    def run(self, blocks: list[Block]) -> dict[str, Any]:
        title, blocks = self._title(blocks)
        levels = [b.level for b in blocks if b.kind == "heading"]
        intro, sections = split_sections(blocks, min(levels)) if levels else (blocks, [])
        handled: dict[str, list[Section]] = {}
        for section in sections:
            key = section_key(section.heading)
            if key is None:
                self.keep(f"## {section.heading}", section.blocks, "unknown section", heading_too=True)
            else:
                handled.setdefault(key, []).append(section)
        self.data["title"] = self.text(title)
        for key in SECTIONS:
            for section in handled.get(key, []):
                getattr(self, f"_{key}")(section)
        if "summary" not in self.data:
            self._summary(Section("", intro))  # text under the title is the summary
        elif intro:
            self.keep("", intro, "text before the first section")
        if not self.data.get("symptoms"):
            raise ImportFailed("no symptoms: the write-up needs a section such as '## 에러 증상' or "
                               "'## Symptoms' with at least one item")
        if "summary" not in self.data:
            texts = [next(iter(s["text"].values())) for s in self.data["symptoms"]]
            self.data["summary"] = self.text(" / ".join(texts))
            self.warnings.append("summary composed from the symptoms (the write-up has none): rewrite it")
        self._placeholders()
        if not any(s.get("signatures") for s in self.data["symptoms"]):
            self.warnings.append("no symptom has signatures: add regexes so that `runner triage` finds it")
        if self.notes:
            self.data["notes"] = [self.text(n) for n in self.notes]
        return self.data

    def _placeholders(self) -> None:
        """`{{name}}` in a fix is a param reference to the loader: declare the ones the write-up
        wrote, so its text stays as written; an evidence reference cannot be, so that fix goes
        to notes."""
        kept = []
        for fix in self.data.get("alternatives", []):
            too_long = any(len(name) > 40 for name in NAME_PLACEHOLDER.findall(repr(fix)))
            if _EVIDENCE_REF.search(repr(fix)) or too_long:
                self.notes.append(yaml.dump(fix, Dumper=Dumper, allow_unicode=True, sort_keys=False))
                self.warnings.append(f"kept in notes: fix {fix['id']!r} (it holds a '{{{{...}}}}' reference "
                                     "that cannot be a param)")
            else:
                kept.append(fix)
        if "alternatives" in self.data:
            self.data["alternatives"] = kept
        names = sorted(set(NAME_PLACEHOLDER.findall(repr(kept))))
        if names:
            self.data["params"] = {name: {"type": "string", "description": self.text(
                f"보고서에 {{{{{name}}}}}로 적힌 값" if self.lang == "ko" else
                f"the value the write-up wrote as {{{{{name}}}}}")} for name in names}
            self.warnings.append(f"params declared for the write-up's placeholders: {', '.join(names)}")

    def _title(self, blocks: list[Block]) -> tuple[str, list[Block]]:
        for i, block in enumerate(blocks):
            if block.kind != "heading":
                continue
            if block.level == 1 and section_key(block.text) is None:
                title = TITLE_PREFIX.sub("", block.text).strip() or block.text.strip()
                if title:
                    return title, blocks[:i] + blocks[i + 1:]
            break
        raise ImportFailed("no title: start the write-up with a '# title' line")

    # -- sections, in playbook order

    def _occurred(self, section: Section) -> None:
        text = to_markdown(section.blocks)
        found = _DATE.search(text) if "occurred" not in self.data else None
        if found:
            try:
                self.data["occurred"] = dt.date(*(int(g) for g in found.groups()))
            except ValueError:
                found = None
        if not found:
            self.keep(f"## {section.heading}", section.blocks, "no date as YYYY-MM-DD")
        elif text.strip() != found.group(0):
            self.keep(f"## {section.heading}", section.blocks, "more than a date")

    def _project(self, section: Section) -> None:
        first = next((b for b in section.blocks if b.kind == "paragraph"), None)
        if first is None or "project" in self.data:
            self.keep(f"## {section.heading}", section.blocks, "no project line")
            return
        self.data["project"] = self.text(first.text)
        self.keep(f"## {section.heading}", [b for b in section.blocks if b is not first], "more than a project name")

    def _summary(self, section: Section) -> None:
        body = to_markdown(section.blocks).strip()
        if body:
            if "summary" in self.data:  # a second summary section: both are the summary
                body = next(iter(self.data["summary"].values())) + "\n\n" + body
            self.data["summary"] = self.text(body)

    def _symptoms(self, section: Section) -> None:
        symptoms = self.data.setdefault("symptoms", [])
        leftover: list[Block] = []
        for block in section.blocks:
            if block.kind == "list":
                for text, code, rest in titled_items(block, leftover):
                    text = "\n\n".join(t for t in (text, to_markdown(rest)) if t)
                    symptom: dict[str, Any] = {"text": self.text(text)}
                    if code:
                        symptom["example"] = _code(code[0])
                        leftover += code[1:]
                    symptoms.append(symptom)
            elif block.kind == "paragraph":
                symptoms.append({"text": self.text(block.text)})
            elif block.kind == "code" and symptoms and "example" not in symptoms[-1]:
                symptoms[-1]["example"] = _code(block)
            else:
                leftover.append(block)
        self.keep(f"## {section.heading}", leftover, "not a symptom")

    def _situation(self, section: Section) -> None:
        steps = self.data.setdefault("situation", [])
        leftover: list[Block] = []

        def add(text: str, code: list[Block]) -> None:
            step: dict[str, Any] = {"text": self.text(text)}
            if code:
                step["code"] = [_code(c) for c in code]
            steps.append(step)

        for block in section.blocks:
            if block.kind == "list":
                for item in block.items:
                    text, code, rest = item_parts(item)
                    text = "\n\n".join(t for t in (text, to_markdown(rest)) if t)
                    if text:
                        add(text, code)
                    else:
                        leftover += code
            elif block.kind == "paragraph":
                add(block.text, [])
            elif block.kind == "code" and steps:
                steps[-1].setdefault("code", []).append(_code(block))
            else:
                leftover.append(block)
        self.keep(f"## {section.heading}", leftover, "not a step of the situation")

    def _reported_cause(self, section: Section) -> None:
        points = self.data.setdefault("reported_cause", {"points": []})["points"]
        leftover: list[Block] = []
        for block in section.blocks:
            if block.kind == "list":
                for item in block.items:
                    text = to_markdown(item)
                    if text:
                        points.append(self.text(text))
            elif block.kind in ("paragraph", "quote"):
                points.append(self.text(to_markdown([block])))
            else:
                leftover.append(block)
        if not points:
            del self.data["reported_cause"]
        self.keep(f"## {section.heading}", leftover, "a root cause is a list of points")

    def _wrong_attempts(self, section: Section) -> None:
        attempts = self.data.setdefault("wrong_attempts", [])
        intro, subsections = split_subsections(section.blocks)
        if not subsections and len(intro) == 1 and intro[0].kind == "list":
            # the short form: one list item per attempt
            for item in intro[0].items:
                first = item[0] if item and item[0].kind == "paragraph" else None
                if first is None:
                    self.keep(f"## {section.heading}", item, "an attempt without a title")
                    continue
                attempts.append(self._attempt(first.text, item[1:], len(attempts) + 1, section.heading))
            return
        self.keep(f"## {section.heading}", intro, "text outside any attempt")
        for sub in subsections:
            attempts.append(self._attempt(sub.heading, sub.blocks, len(attempts) + 1, section.heading))

    def _attempt(self, heading: str, blocks: list[Block], number: int, parent: str) -> dict[str, Any]:
        title, label, symbol = split_marker(heading)
        title = self.titled(title)
        verdict = verdict_of(label, symbol)
        if verdict is None:
            verdict = "fails"
            self.warnings.append(f"wrong attempt {clip(title)!r}: no ❌ marker, verdict taken as 'fails'")
        elif symbol == "✅":
            self.warnings.append(f"wrong attempt {clip(title)!r} is marked ✅: verdict taken as 'partial'")
        why: list[str] = []
        results: list[str] = []
        code: list[dict[str, Any]] = []
        arrow: str | None = None
        leftover: list[Block] = []
        current = "why"
        for block in blocks:
            if block.kind == "code":
                code.append(_code(block))
                arrow = arrow or _arrow(block.text)
            elif block.kind == "paragraph":
                name, rest = _label(block.text)
                if name in _WHY or name in _RESULT:
                    current = "why" if name in _WHY else "result"
                    if rest:
                        (why if current == "why" else results).append(rest)
                else:
                    why.append(block.text)
            elif block.kind == "list":
                target = why if current == "why" else results
                target.extend(t for t in (to_markdown(item) for item in block.items) if t)
            else:
                leftover.append(block)
        self.keep(f"## {parent} / {heading}", leftover, "not part of an attempt")
        # a label that says more than the verdict ("부분 성공하나 비권장") is part of the result
        said = [label] if label and normalise(label) not in BARE_VERDICTS else []
        result = "; ".join(said + results) or arrow or label
        attempt_id = unique(slug(title) or f"attempt-{number}", self.attempt_ids, f"attempt-{number}")
        attempt: dict[str, Any] = {"id": attempt_id, "title": self.text(title)}
        if code:
            attempt["code"] = code
        if result:
            attempt["result"] = self.text(result)
        if not why:
            self.warnings.append(f"wrong attempt {clip(title)!r} gives no reason: 'why' says so")
            why = ["보고서에 이유가 적혀 있지 않음" if self.lang == "ko" else "the write-up gives no reason"]
        attempt["why"] = [self.text(w) for w in why]
        attempt["verdict"] = verdict
        return attempt

    def _fix(self, section: Section) -> None:
        self._fixes(section, "fix")

    def _alternatives(self, section: Section) -> None:
        self._fixes(section, "alternative")

    def _fixes(self, section: Section, what: str) -> None:
        """`### A`, `### B` under the section are one fix each; without them, the section is one."""
        fixes = self.data.setdefault("alternatives", [])
        intro, subsections = split_subsections(section.blocks)
        if not subsections:
            if intro:
                fixes.append(self._one_fix(section.heading, intro))
            return
        self.keep(f"## {section.heading}", intro, f"text outside any {what}")
        for sub in subsections:
            fixes.append(self._one_fix(sub.heading, sub.blocks))

    def _one_fix(self, heading: str, blocks: list[Block]) -> dict[str, Any]:
        title, label, _symbol = split_marker(heading)
        title = self.titled(title)
        if label:
            title = f"{title} ({label})"
        description: list[str] = []
        benefits: list[str] = []
        costs: list[str] = []
        steps: list[dict[str, Any]] = []
        labelled: tuple[str, list[str]] | None = None  # "**장점**:" and the list its items go to
        for block in blocks:
            name, rest = _label(block.text) if block.kind == "paragraph" else (None, "")
            if block.kind == "code":
                steps.extend(self._steps(block))
                labelled = None
            elif name in _BENEFIT or name in _COST:
                prefix = block.text[: len(block.text) - len(rest)].strip()  # "**효과**:" as written
                labelled = (prefix, benefits if name in _BENEFIT else costs)
                if rest:
                    labelled[1].append(f"{prefix} {rest}")
            elif block.kind == "list" and labelled:
                labelled[1].extend(f"{labelled[0]} {t}" for t in (to_markdown(item) for item in block.items) if t)
            else:
                description.append(to_markdown([block]))
                labelled = None
        fix: dict[str, Any] = {"id": unique(slug(title) or "fix", self.fix_ids, "fix"), "title": self.text(title)}
        described = "\n\n".join(d for d in description if d)
        if described:
            fix["description"] = self.text(described)
        if not steps:
            steps = [{"title": self.text(title), "manual": self.text(described or title), "effect": "write"}]
            self.warnings.append(f"fix {clip(title)!r} has no command: one manual step, effect 'write'")
        fix["steps"] = steps
        if benefits:
            fix["benefits"] = [self.text(b) for b in benefits]
        if costs:
            fix["cost"] = self.text("\n".join(costs))
        return fix

    def _steps(self, block: Block) -> list[dict[str, Any]]:
        steps = []
        for title, lines, argv, env in command_groups(block.text, block.lang):
            step: dict[str, Any] = {"title": self.text(title)}
            if argv is not None:
                step["run"] = Flow(argv)
                if env:
                    step["env"] = env
                effect = effect_of(argv)
                step["effect"] = effect
                if effect == "destructive":
                    step["loses"] = self.text(
                        "이 명령이 지우는 것 (보고서에 적혀 있지 않음: 실행 전에 확인할 것)" if self.lang == "ko"
                        else "what this command deletes (the write-up does not say: check before running)")
                    self.warnings.append(f"step {clip(' '.join(argv))!r}: destructive, say what it loses")
            else:
                step["manual"] = self.text(title)
                step["effect"] = "write"
                step["code"] = {"lang": code_lang(lines, block.lang), "code": lines}
                self.warnings.append(f"step {clip(title)!r}: not a plain command, kept as a manual step "
                                     "with its code (effect 'write': check)")
            steps.append(step)
        return steps

    def _prevention(self, section: Section) -> None:
        items = self.data.setdefault("prevention", [])
        intro, subsections = split_subsections(section.blocks)
        leftover: list[Block] = []
        for block in intro:
            if block.kind == "list":
                for text, code, rest in titled_items(block, leftover):
                    entry: dict[str, Any] = {"title": self.text(text)}
                    if rest:
                        entry["description"] = self.text(to_markdown(rest))
                    if code:
                        entry["code"] = [_code(c) for c in code]
                    items.append(entry)
            elif block.kind == "paragraph":
                items.append({"title": self.text(block.text)})
            elif block.kind == "code" and items:
                items[-1].setdefault("code", []).append(_code(block))
            else:
                leftover.append(block)
        self.keep(f"## {section.heading}", leftover, "not a prevention item")
        for sub in subsections:
            entry = {"title": self.text(self.titled(unnumbered(sub.heading)))}
            code = [b for b in sub.blocks if b.kind == "code"]
            other = [b for b in sub.blocks if b.kind != "code"]
            if other:
                entry["description"] = self.text(to_markdown(other))
            if code:
                entry["code"] = [_code(c) for c in code]
            items.append(entry)

    def _lessons(self, section: Section) -> None:
        lessons = self.data.setdefault("lessons", [])
        intro, subsections = split_subsections(section.blocks)
        leftover: list[Block] = []
        for block in intro:
            if block.kind == "list":
                for text, code, rest in titled_items(block, leftover):
                    lessons.append(self._lesson(text, rest))
                    leftover += code
            elif block.kind == "paragraph":
                lessons.append({"title": self.text(block.text)})
            else:
                leftover.append(block)
        for sub in subsections:
            lessons.append(self._lesson(self.titled(unnumbered(sub.heading)),
                                        [b for b in sub.blocks if b.kind != "code"]))
            leftover += [b for b in sub.blocks if b.kind == "code"]
        self.keep(f"## {section.heading}", leftover, "a lesson has no code")

    def _lesson(self, title: str, blocks: list[Block]) -> dict[str, Any]:
        points: list[str] = []
        for block in blocks:
            if block.kind == "list":
                points.extend(t for t in (to_markdown(item) for item in block.items) if t)
            else:
                points.append(to_markdown([block]))
        lesson: dict[str, Any] = {"title": self.text(title)}
        if points:
            lesson["points"] = [self.text(p) for p in points if p]
        return lesson

    def _references(self, section: Section) -> None:
        refs = self.data.setdefault("references", [])
        leftover: list[Block] = []
        for block in section.blocks:
            entries = [to_markdown(item) for item in block.items] if block.kind == "list" else (
                [block.text] if block.kind == "paragraph" else None)
            if entries is None:
                leftover.append(block)
                continue
            refs.extend(self._reference(e) for e in entries if e.strip())
        if not refs:
            del self.data["references"]
        self.keep(f"## {section.heading}", leftover, "not a reference")

    def _reference(self, entry: str) -> dict[str, Any]:
        ref: dict[str, Any] = {}
        rest = entry
        if link := re.search(r"\[([^\]]+)\]\(([^)\s]+)\)", rest):
            ref["title"], ref["url"] = link.group(1).strip(), link.group(2)
            rest = rest.replace(link.group(0), " ")
        elif code := re.search(r"`([^`]+)`", rest):
            target = code.group(1).strip()
            if re.match(r"https?://", target):
                ref["url"] = target
            else:
                ref["path"] = target
            ref["title"] = target.rstrip("/").rsplit("/", 1)[-1] or target
            rest = rest.replace(code.group(0), " ")
        elif url := re.search(r"https?://\S+", rest):
            ref["url"] = url.group(0).rstrip(").,")
            ref["title"] = ref["url"]
            rest = rest.replace(ref["url"], " ")
        rest = rest.strip(" \t\n-–—:|,")
        if not ref:
            return {"title": self.text(entry.strip())}
        ordered = {"title": self.text(ref.pop("title")), **ref}
        if rest:
            ordered["note"] = self.text(rest)
        return ordered

    def _tags(self, section: Section) -> None:
        tags = self.data.setdefault("tags", Flow())
        text = to_markdown(section.blocks).replace("`", " ")
        bad: list[str] = []
        for word in re.split(r"[\s,;]+", text):
            tag = word.strip().lstrip("#").strip(".").lower()
            if not tag:
                continue
            if re.fullmatch(TAG_PATTERN, tag) and len(tag) <= 40:
                if tag not in tags:
                    tags.append(tag)
            else:
                bad.append(word)
        if not tags:
            del self.data["tags"]
        if bad:
            self.notes.append(f"## {section.heading}\n\n{' '.join(bad)}")
            self.warnings.append(f"kept in notes: tags {' '.join(bad)!r} (a tag is lowercase Latin letters, "
                                 "digits and . _ + -)")


_EVIDENCE_REF = re.compile(r"\{\{\s*evidence\.")
_DATE = re.compile(r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*일?")
_WHY = {"이유", "원인", "왜", "why", "reason", "reasons", "because"}
_RESULT = {"결과", "result", "outcome"}
_BENEFIT = {"효과", "장점", "이점", "effect", "effects", "benefit", "benefits", "advantage", "advantages", "pros"}
_COST = {"단점", "비용", "주의", "주의사항", "cost", "costs", "cons", "drawback", "drawbacks", "caveat", "caveats",
         "downside", "downsides"}


def _label(text: str) -> tuple[str | None, str]:
    """'**이유**: rest' -> ('이유', 'rest'); also '**Why:** rest' and 'Why: rest'."""
    found = (re.match(r"^\*\*([^*]+?)\*\*\s*[:：]\s*(.*)$", text, re.S)
             or re.match(r"^\*\*([^*]+?)[:：]\*\*\s*(.*)$", text, re.S)
             or re.match(r"^([^\s:：*`]{1,12})\s*[:：]\s+(.*)$", text, re.S))
    if not found:
        return None, text
    return found.group(1).strip().lower(), found.group(2).strip()


def _arrow(code: str) -> str | None:
    """'# → 여전히 CACHED' in an attempt's code is what happened."""
    found = re.search(r"^\s*(?:#|//)\s*(?:→|->|=>)\s*(.+?)\s*$", code, re.M)
    return found.group(1) if found else None


def _code(block: Block) -> dict[str, Any]:
    return {"lang": block.lang, "code": block.text} if block.lang else {"code": block.text}


def detect_lang(blocks: list[Block], text: str) -> str:
    """The write-up's language: its headings' (an English write-up may quote Korean), else
    Korean when the text has any Hangul."""
    headings = [b.text for b in blocks if b.kind == "heading" and b.text.strip()]
    if headings:
        korean = sum(bool(re.search(r"[가-힣]", h)) for h in headings)
        return "ko" if korean * 2 >= len(headings) else "en"
    return "ko" if re.search(r"[가-힣]", text) else "en"


def import_markdown(source: str, *, name: str = "write-up", playbook_id: str | None = None,
                    lang: str | None = None, schema: str = DEFAULT_SCHEMA) -> Imported:
    """Convert a write-up into a playbook that validates, or raise ImportFailed."""
    if playbook_id is not None and not re.fullmatch(ID_PATTERN, playbook_id):
        raise ImportFailed(f"--id {playbook_id!r} is not a valid id (kebab-case, e.g. buildkit-stale)")
    if not source.strip():
        raise ImportFailed(f"{name} is empty")
    blocks = parse_markdown(source)
    importer = _Importer(lang or detect_lang(blocks, source))
    data = importer.run(blocks)
    title = next(iter(data["title"].values()))
    data["id"] = playbook_id or slug(title) or ""
    if not re.fullmatch(ID_PATTERN, data["id"]):
        raise ImportFailed(f"cannot make an id from the title {title!r}: give one with --id")
    header = [f"Imported by `runner import` from {name}.",
              "Review before use; the importer said:" if importer.warnings else "Review before use.",
              *(f"- {w}" for w in importer.warnings)]
    text = dump(data, header, schema)
    return Imported(validate_text(text, data["id"]), text, tuple(importer.warnings))


def validate_text(text: str, playbook_id: str) -> Playbook:
    """Validate YAML text with the real loader (as `runner validate` would read the file)."""
    from runner.playbook.loader import load_file

    with tempfile.TemporaryDirectory(prefix="runner-import-") as folder:
        path = Path(folder) / f"{playbook_id}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_file(path)
        except PlaybookError as exc:
            first = exc.problems[0]
            raise ImportFailed(f"the result does not validate (please report this importer bug): "
                               f"{first.key_path}: {first.message}") from None
