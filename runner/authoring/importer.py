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
is `write_new`, which is atomic and refuses to overwrite unless asked.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runner.errors import PlaybookError, RunnerError
from runner.playbook.model import ID_PATTERN, PARAM_REF, TAG_PATTERN, Playbook

MAX_BYTES = 1_000_000  # a write-up is a few pages; more is not one incident
DEFAULT_SCHEMA = "../runner/schema/playbook.schema.json"  # from playbooks/, the usual place


class ImportFailed(RunnerError):
    """The input cannot become a playbook; the message says why in one line."""


@dataclass(frozen=True)
class Imported:
    playbook: Playbook
    yaml: str
    warnings: tuple[str, ...]  # what was kept in notes or guessed, one line each


# --------------------------------------------------------------------------- Markdown blocks


@dataclass
class Block:
    kind: str  # heading | paragraph | code | list | quote | raw
    text: str = ""  # heading/paragraph: inline Markdown as written; code: the code; raw: source
    level: int = 0  # heading level
    lang: str = ""  # code: the fence's language
    ordered: bool = False
    items: list[list[Block]] = field(default_factory=list)  # list: the blocks of each item
    children: list[Block] = field(default_factory=list)  # quote


def parse_markdown(source: str) -> list[Block]:
    from markdown_it import MarkdownIt  # rich's own dependency: always installed with the runner

    md = MarkdownIt("commonmark").enable("table")
    env: dict[str, Any] = {}
    tokens = md.parse(source, env)
    lines = source.splitlines()
    blocks, _ = _blocks(tokens, 0, lines, None)
    # `[label]: url` lines define links and produce no token: keep them as written
    for label, ref in (env.get("references") or {}).items():
        title = f' "{ref["title"]}"' if ref.get("title") else ""
        blocks.append(Block("raw", f"[{label}]: {ref.get('href', '')}{title}"))
    return blocks


def _blocks(tokens: list, i: int, lines: list[str], until: str | None) -> tuple[list[Block], int]:
    out: list[Block] = []
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == until:
            return out, i + 1
        if kind == "heading_open":
            out.append(Block("heading", _one_line(tokens[i + 1].content), level=int(token.tag[1:])))
            i += 3
        elif kind == "paragraph_open":
            out.append(Block("paragraph", _one_line(tokens[i + 1].content)))
            i += 3
        elif kind in ("fence", "code_block"):
            info = token.info.strip().split()
            if token.content.strip():  # an empty block holds nothing to keep
                out.append(Block("code", token.content, lang=info[0].lower() if info else ""))
            i += 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            close = kind.replace("_open", "_close")
            items: list[list[Block]] = []
            i += 1
            while tokens[i].type != close:
                item, i = _blocks(tokens, i + 1, lines, "list_item_close")  # from list_item_open
                items.append(item)
            out.append(Block("list", ordered=kind.startswith("ordered"), items=items))
            i += 1
        elif kind == "blockquote_open":
            children, i = _blocks(tokens, i + 1, lines, "blockquote_close")
            out.append(Block("quote", children=children))
        elif kind == "hr":
            i += 1  # a separator holds no text
        elif kind.endswith("_open"):  # a table or anything else: keep its source as written
            close, depth, j = kind.replace("_open", "_close"), 0, i
            while j < len(tokens):
                depth += tokens[j].type == kind
                depth -= tokens[j].type == close
                if depth == 0:
                    break
                j += 1
            if token.map:
                out.append(Block("raw", "\n".join(lines[token.map[0]:token.map[1]])))
            i = j + 1
        elif kind == "html_block" or (kind == "inline" and token.content.strip()):
            out.append(Block("raw", token.content.rstrip("\n")))
            i += 1
        else:
            i += 1
    return out, i


def _one_line(inline: str) -> str:
    """A paragraph's soft line breaks are spaces, as Markdown renders them."""
    return " ".join(line.strip() for line in inline.splitlines()).strip()


def to_markdown(blocks: Iterable[Block], indent: str = "") -> str:
    """Blocks back to Markdown, for notes and free text: what was written, in its shape."""
    parts: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            parts.append(f"{indent}{'#' * block.level} {block.text}")
        elif block.kind == "paragraph":
            parts.append(indent + block.text)
        elif block.kind == "code":
            fence = "````" if "```" in block.text else "```"
            code = "\n".join(indent + line for line in block.text.rstrip("\n").split("\n"))
            parts.append(f"{indent}{fence}{block.lang}\n{code}\n{indent}{fence}")
        elif block.kind == "list":
            rendered = []
            for n, item in enumerate(block.items, start=1):
                marker = f"{n}. " if block.ordered else "- "
                body = to_markdown(item, indent + " " * len(marker)).lstrip()
                rendered.append(indent + marker + body)
            parts.append("\n".join(rendered))
        elif block.kind == "quote":
            parts.append("\n".join(f"{indent}> {line}" for line in to_markdown(block.children).split("\n")))
        elif block.text.strip():
            parts.append("\n".join(indent + line for line in block.text.split("\n")))
    return "\n\n".join(p for p in parts if p.strip())


# --------------------------------------------------------------------------- headings


# section key -> the headings that name it (compared after _normalise)
SECTIONS: dict[str, tuple[str, ...]] = {
    "occurred": ("발생 날짜", "발생일", "발생 일자", "날짜", "일시", "date", "occurred", "when"),
    "project": ("프로젝트", "project"),
    "summary": ("요약", "개요", "summary", "overview", "tl;dr", "tldr"),
    "symptoms": ("에러 증상", "오류 증상", "증상", "symptoms", "symptom", "error symptoms", "error"),
    "situation": ("구체적인 상황", "상황", "재현 과정", "situation", "what happened", "timeline",
                  "steps to reproduce", "context"),
    "reported_cause": ("근본 원인", "원인", "원인 분석", "root cause", "root causes", "cause", "causes"),
    "wrong_attempts": ("잘못된 해결 시도", "잘못된 시도", "실패한 시도", "시도한 방법", "wrong attempts",
                       "failed attempts", "what did not work", "what didn't work", "attempts"),
    "fix": ("올바른 해결 방법", "해결 방법", "해결책", "해결", "solution", "the fix", "fix", "resolution",
            "correct fix", "correct solution"),
    "alternatives": ("대안", "다른 방법", "alternatives", "alternative", "workarounds", "workaround"),
    "prevention": ("예방 방법", "예방", "재발 방지", "prevention", "how to prevent", "preventing it"),
    "lessons": ("학습 포인트", "교훈", "배운 점", "lessons", "lessons learned", "learning points", "takeaways"),
    "references": ("관련 문서", "참고 문서", "참고 자료", "참고", "references", "related documents",
                   "related docs", "see also", "links"),
    "tags": ("태그", "tags", "keywords"),
}
_BY_HEADING = {name: key for key, names in SECTIONS.items() for name in names}

MARKS = "❌✅⛔⚠✗✘✓✔🚫"
_NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[-*•]|step\s+\d+[:.]?)\s+", re.IGNORECASE)
_TITLE_PREFIX = re.compile(
    r"^\s*(?:(?:에러|오류|장애|문제|트러블슈팅)\s*(?:케이스|사례|보고서?|기록)?|error\s+case|incident(?:\s+report)?"
    r"|troubleshooting|post-?mortem|case)\s*[:：\-–—]\s*", re.IGNORECASE)


def _normalise(heading: str) -> str:
    text = _NUMBERING.sub("", heading)
    text = re.sub(r"\s*[(\[（].*?[)\]）]\s*$", "", text)  # a trailing "(...)" qualifies, not names
    text = re.sub(f"[{MARKS}\ufe0f*_`]", "", text)
    return " ".join(text.strip(" :：.").lower().split())


def section_key(heading: str) -> str | None:
    name = _normalise(heading)
    if name in _BY_HEADING:
        return _BY_HEADING[name]
    for known in sorted(_BY_HEADING, key=len, reverse=True):  # "근본 원인 분석" is still the cause
        if len(known) >= 2 and name.startswith(known + " "):
            return _BY_HEADING[known]
    return None


# --------------------------------------------------------------------------- the importer


@dataclass
class _Section:
    heading: str
    blocks: list[Block]


def _split(blocks: list[Block], level: int) -> tuple[list[Block], list[_Section]]:
    """Blocks before the first heading of `level` (or higher), then one section per heading."""
    intro: list[Block] = []
    sections: list[_Section] = []
    for block in blocks:
        if block.kind == "heading" and block.level <= level:
            sections.append(_Section(block.text, []))
        elif sections:
            sections[-1].blocks.append(block)
        else:
            intro.append(block)
    return intro, sections


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
                self.warnings.append(f"kept in notes: {_clip(where)} ({why})")
            return
        self.notes.append(f"{where}\n\n{body}" if where else body)
        self.warnings.append(f"kept in notes: {_clip(where or body)} ({why})")

    # -- the document

    def run(self, blocks: list[Block]) -> dict[str, Any]:
        title, blocks = self._title(blocks)
        levels = [b.level for b in blocks if b.kind == "heading"]
        intro, sections = _split(blocks, min(levels)) if levels else (blocks, [])
        handled: dict[str, list[_Section]] = {}
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
            self._summary(_Section("", intro))  # text under the title is the summary
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
            too_long = any(len(name) > 40 for name in _PARAM_REF.findall(repr(fix)))
            if _EVIDENCE_REF.search(repr(fix)) or too_long:
                self.notes.append(yaml.dump(fix, Dumper=_Dumper, allow_unicode=True, sort_keys=False))
                self.warnings.append(f"kept in notes: fix {fix['id']!r} (it holds a '{{{{...}}}}' reference "
                                     "that cannot be a param)")
            else:
                kept.append(fix)
        if "alternatives" in self.data:
            self.data["alternatives"] = kept
        names = sorted(set(_PARAM_REF.findall(repr(kept))))
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
                title = _TITLE_PREFIX.sub("", block.text).strip() or block.text.strip()
                if title:
                    return title, blocks[:i] + blocks[i + 1:]
            break
        raise ImportFailed("no title: start the write-up with a '# title' line")

    # -- sections, in playbook order

    def _occurred(self, section: _Section) -> None:
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

    def _project(self, section: _Section) -> None:
        first = next((b for b in section.blocks if b.kind == "paragraph"), None)
        if first is None or "project" in self.data:
            self.keep(f"## {section.heading}", section.blocks, "no project line")
            return
        self.data["project"] = self.text(first.text)
        self.keep(f"## {section.heading}", [b for b in section.blocks if b is not first], "more than a project name")

    def _summary(self, section: _Section) -> None:
        body = to_markdown(section.blocks).strip()
        if body:
            if "summary" in self.data:  # a second summary section: both are the summary
                body = next(iter(self.data["summary"].values())) + "\n\n" + body
            self.data["summary"] = self.text(body)

    def _symptoms(self, section: _Section) -> None:
        symptoms = self.data.setdefault("symptoms", [])
        leftover: list[Block] = []
        for block in section.blocks:
            if block.kind == "list":
                for item in block.items:
                    text, code, rest = _item_parts(item)
                    if not text:
                        leftover += item
                        continue
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

    def _situation(self, section: _Section) -> None:
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
                    text, code, rest = _item_parts(item)
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

    def _reported_cause(self, section: _Section) -> None:
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

    def _wrong_attempts(self, section: _Section) -> None:
        attempts = self.data.setdefault("wrong_attempts", [])
        intro, subsections = _split(section.blocks, _sublevel(section.blocks))
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
            self.warnings.append(f"wrong attempt {_clip(title)!r}: no ❌ marker, verdict taken as 'fails'")
        elif symbol == "✅":
            self.warnings.append(f"wrong attempt {_clip(title)!r} is marked ✅: verdict taken as 'partial'")
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
        said = [label] if label and _normalise(label) not in _BARE_VERDICTS else []
        result = "; ".join(said + results) or arrow or label
        attempt_id = _unique(slug(title) or f"attempt-{number}", self.attempt_ids, f"attempt-{number}")
        attempt: dict[str, Any] = {"id": attempt_id, "title": self.text(title)}
        if code:
            attempt["code"] = code
        if result:
            attempt["result"] = self.text(result)
        if not why:
            self.warnings.append(f"wrong attempt {_clip(title)!r} gives no reason: 'why' says so")
            why = ["보고서에 이유가 적혀 있지 않음" if self.lang == "ko" else "the write-up gives no reason"]
        attempt["why"] = [self.text(w) for w in why]
        attempt["verdict"] = verdict
        return attempt

    def _fix(self, section: _Section) -> None:
        self._fixes(section, "fix")

    def _alternatives(self, section: _Section) -> None:
        self._fixes(section, "alternative")

    def _fixes(self, section: _Section, what: str) -> None:
        """`### A`, `### B` under the section are one fix each; without them, the section is one."""
        fixes = self.data.setdefault("alternatives", [])
        intro, subsections = _split(section.blocks, _sublevel(section.blocks))
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
        fix: dict[str, Any] = {"id": _unique(slug(title) or "fix", self.fix_ids, "fix"), "title": self.text(title)}
        described = "\n\n".join(d for d in description if d)
        if described:
            fix["description"] = self.text(described)
        if not steps:
            steps = [{"title": self.text(title), "manual": self.text(described or title), "effect": "write"}]
            self.warnings.append(f"fix {_clip(title)!r} has no command: one manual step, effect 'write'")
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
                step["run"] = _Flow(argv)
                if env:
                    step["env"] = env
                effect = effect_of(argv)
                step["effect"] = effect
                if effect == "destructive":
                    step["loses"] = self.text(
                        "이 명령이 지우는 것 (보고서에 적혀 있지 않음: 실행 전에 확인할 것)" if self.lang == "ko"
                        else "what this command deletes (the write-up does not say: check before running)")
                    self.warnings.append(f"step {_clip(' '.join(argv))!r}: destructive, say what it loses")
            else:
                step["manual"] = self.text(title)
                step["effect"] = "write"
                step["code"] = {"lang": _code_lang(lines, block.lang), "code": lines}
                self.warnings.append(f"step {_clip(title)!r}: not a plain command, kept as a manual step "
                                     "with its code (effect 'write': check)")
            steps.append(step)
        return steps

    def _prevention(self, section: _Section) -> None:
        items = self.data.setdefault("prevention", [])
        intro, subsections = _split(section.blocks, _sublevel(section.blocks))
        leftover: list[Block] = []
        for block in intro:
            if block.kind == "list":
                for item in block.items:
                    text, code, rest = _item_parts(item)
                    if not text:
                        leftover += item
                        continue
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
            entry = {"title": self.text(self.titled(_NUMBERING.sub("", sub.heading).strip() or sub.heading))}
            code = [b for b in sub.blocks if b.kind == "code"]
            other = [b for b in sub.blocks if b.kind != "code"]
            if other:
                entry["description"] = self.text(to_markdown(other))
            if code:
                entry["code"] = [_code(c) for c in code]
            items.append(entry)

    def _lessons(self, section: _Section) -> None:
        lessons = self.data.setdefault("lessons", [])
        intro, subsections = _split(section.blocks, _sublevel(section.blocks))
        leftover: list[Block] = []
        for block in intro:
            if block.kind == "list":
                for item in block.items:
                    text, code, rest = _item_parts(item)
                    if not text:
                        leftover += item
                        continue
                    lessons.append(self._lesson(text, rest))
                    leftover += code
            elif block.kind == "paragraph":
                lessons.append({"title": self.text(block.text)})
            else:
                leftover.append(block)
        for sub in subsections:
            lessons.append(self._lesson(self.titled(_NUMBERING.sub("", sub.heading).strip() or sub.heading),
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

    def _references(self, section: _Section) -> None:
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

    def _tags(self, section: _Section) -> None:
        tags = self.data.setdefault("tags", _Flow())
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


# --------------------------------------------------------------------------- pieces


_PARAM_REF = PARAM_REF
_EVIDENCE_REF = re.compile(r"\{\{\s*evidence\.")
_DATE = re.compile(r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*일?")
_BARE_VERDICTS = {"실패", "금지", "부분", "부분 성공", "부분 실패", "fail", "fails", "failed", "forbidden", "partial",
                  "partly"}
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


def split_marker(heading: str) -> tuple[str, str | None, str | None]:
    """'1. 컨테이너 삭제 (❌ 실패)' -> ('컨테이너 삭제', '실패', '❌'); a heading without a mark keeps it."""
    title = _NUMBERING.sub("", heading).strip()
    marks = f"[{MARKS}]\ufe0f?"
    if found := re.search(rf"\s*[(\[（]\s*({marks})\s*([^)\]）]*?)\s*[)\]）]\s*$", title):
        return title[: found.start()].strip() or title, found.group(2) or None, found.group(1)[0]
    if found := re.match(rf"^({marks})\s*(.*)$", title):
        return found.group(2).strip() or title, None, found.group(1)[0]
    if found := re.search(rf"\s+({marks})\s*(.*)$", title):
        return title[: found.start()].strip() or title, found.group(2).strip() or None, found.group(1)[0]
    return title or heading.strip(), None, None


def verdict_of(label: str | None, symbol: str | None) -> str | None:
    text = (label or "").lower()
    if re.search(r"금지|forbidden|prohibited|never|do not|don't", text):
        return "forbidden"
    if re.search(r"부분|일부|partial|partly|half", text):
        return "partial"
    if re.search(r"실패|효과\s*없|fail|no effect|doesn't work|does not work", text):
        return "fails"
    return {"⛔": "forbidden", "🚫": "forbidden", "⚠": "partial", "✅": "partial", "✓": "partial",
            "✔": "partial"}.get(symbol or "", "fails" if symbol else None)


def _arrow(code: str) -> str | None:
    """'# → 여전히 CACHED' in an attempt's code is what happened."""
    found = re.search(r"^\s*(?:#|//)\s*(?:→|->|=>)\s*(.+?)\s*$", code, re.M)
    return found.group(1) if found else None


def _item_parts(item: list[Block]) -> tuple[str, list[Block], list[Block]]:
    """A list item: its first paragraph, its code blocks, the rest."""
    text = ""
    code: list[Block] = []
    rest: list[Block] = []
    for block in item:
        if block.kind == "paragraph" and not text:
            text = block.text
        elif block.kind == "code":
            code.append(block)
        else:
            rest.append(block)
    return text, code, rest


def _sublevel(blocks: list[Block]) -> int:
    levels = [b.level for b in blocks if b.kind == "heading"]
    return min(levels) if levels else 99


def _code(block: Block) -> dict[str, Any]:
    return {"lang": block.lang, "code": block.text} if block.lang else {"code": block.text}


def _clip(text: str, length: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def _unique(candidate: str, taken: set[str], fallback: str) -> str:
    base = candidate if re.fullmatch(ID_PATTERN, candidate) else fallback
    name, n = base, 2
    while name in taken:
        suffix = f"-{n}"
        name = base[: 64 - len(suffix)].rstrip("-") + suffix
        n += 1
    taken.add(name)
    return name


# --------------------------------------------------------------------------- commands in code


SHELL_LANGS = {"", "bash", "sh", "shell", "console", "zsh", "terminal", "shell-session", "shellsession", "text"}
_SHELL_BUILTINS = {"cd", "export", "source", ".", "alias", "set", "unset", "exit", "eval", "exec", "pushd",
                   "popd", "ulimit", "umask", "shopt", "read", "trap", "if", "then", "fi", "for", "do", "done",
                   "while", "case", "esac", "function"}
_COMMAND_WORD = re.compile(r"^(?:[a-z][a-z0-9_.+-]*|\.{0,2}/[\w./+-]+)$")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


def plain_command(line: str) -> tuple[list[str], dict[str, str]] | None:
    """A line a shell would run as one command with literal arguments -> (argv, env); else None.

    `run:` executes an argument list without a shell, so anything a shell would expand or
    connect (pipes, `$(...)`, globs, redirections, `&&`) keeps the line a manual step.
    """
    line = line.strip()
    if line.startswith("$ "):
        line = line[2:].strip()
    quote = None
    start_of_word = True
    for ch in line:
        if quote == "'":
            quote = None if ch == "'" else quote
        elif quote == '"':
            if ch in '$`\\':
                return None
            quote = None if ch == '"' else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "|&;<>()$`*?[]{}!\\" or (start_of_word and ch in "~#"):
            return None
        start_of_word = ch.isspace() if quote is None else False
    if quote:
        return None
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    env: dict[str, str] = {}
    while words and (assignment := _ASSIGNMENT.match(words[0])):
        env[assignment.group(1)] = assignment.group(2)
        words.pop(0)
    if not words or not _COMMAND_WORD.match(words[0]) or words[0] in _SHELL_BUILTINS or not all(words):
        return None
    return words, env


def command_groups(code: str, lang: str) -> Iterator[tuple[str, str, list[str] | None, dict[str, str]]]:
    """A code block as steps: (title, code, argv or None, env).

    Shell code is grouped by blank lines and a group's leading comments title it; a group of
    plain commands gives one step per command (argv), anything else one step with its code,
    as written. Code in another language (a Dockerfile, YAML) is one step with its code.
    """
    if lang not in SHELL_LANGS:
        first = next((line for line in code.split("\n") if line.strip()), "")
        title = _uncomment(first) if _is_comment(first) else _clip(first.strip(), 80)
        yield title or lang, code.rstrip("\n"), None, {}
        return
    text = re.sub(r"\\\n\s*", " ", code)  # continuation lines are one command
    groups: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            groups[-1].append(line.rstrip())
        elif groups[-1]:
            groups.append([])
    for lines in (g for g in groups if g):
        commands = list(lines)
        comments = []
        while commands and _is_comment(commands[0]):
            comments.append(_uncomment(commands.pop(0)))
        title = " ".join(c for c in comments if c)
        if not commands:  # only comments: an instruction in words
            yield title or "\n".join(lines), "\n".join(lines), None, {}
            continue
        parsed = [plain_command(line) for line in commands]
        if all(p is not None for p in parsed):
            for n, (line, (argv, env)) in enumerate(zip(commands, parsed)):  # type: ignore[misc]
                yield (title if n == 0 and title else line.strip()), line, argv, env
        else:
            yield title or _clip(commands[0].strip(), 80), "\n".join(lines), None, {}


def _is_comment(line: str) -> bool:
    return bool(re.match(r"^\s*(#|//)", line))


def _uncomment(line: str) -> str:
    return re.sub(r"^\s*(#+|//)\s?", "", line).strip()


def _code_lang(code: str, lang: str) -> str:
    first = next((line.split()[0] for line in code.split("\n") if line.strip() and not _is_comment(line)), "")
    if first in {"FROM", "RUN", "COPY", "ADD", "ARG", "ENV", "WORKDIR", "CMD", "ENTRYPOINT", "EXPOSE", "LABEL",
                 "USER", "VOLUME", "HEALTHCHECK", "SHELL", "STOPSIGNAL", "ONBUILD"}:
        return "dockerfile"
    return lang or "bash"


_DESTRUCTIVE = [("docker", "rm"), ("docker", "rmi"), ("docker", "prune"),
                ("rm",), ("git", "reset", "--hard"), ("git", "clean"), ("kubectl", "delete")]
_READ = {
    "docker": {"ps", "images", "inspect", "logs", "version", "info", "df", "du", "history", "ls", "top", "stats",
               "port", "diff", "events", "config", "search"},
    "git": {"status", "log", "diff", "show", "branch", "remote", "rev-parse", "describe", "blame"},
}
_READ_COMMANDS = {"ls", "cat", "grep", "head", "tail", "less", "df", "du", "ps", "echo", "which", "env",
                  "printenv", "stat", "wc", "diff", "find", "curl", "free", "uname", "id", "whoami", "date"}


def effect_of(argv: list[str]) -> str:
    """read | write | destructive, from the command's words (a guess the warnings point at)."""
    words = argv[1:] if argv[0] == "sudo" and len(argv) > 1 else argv
    tool, rest = words[0].rsplit("/", 1)[-1], set(words[1:])
    for pattern in _DESTRUCTIVE:
        if tool == pattern[0] and all(p in rest for p in pattern[1:]):
            return "destructive"
    if tool == "docker" and ("down" in rest and ({"-v", "--volumes"} & rest)):
        return "destructive"
    if tool in _READ and set([w for w in words[1:] if not w.startswith("-")][:2]) & _READ[tool]:
        return "read"  # `docker ps`, `docker image ls`, `docker system df`, `git log`
    if tool in _READ_COMMANDS and not ({"-X", "--request", "-d", "--data", "-delete", "-exec"} & rest):
        return "read"
    return "write"


# --------------------------------------------------------------------------- ids


_INITIALS = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_VOWELS = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
           "yu", "eu", "ui", "i"]
_FINALS = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
           "ng", "t", "t", "k", "t", "p", "t"]


def romanize(text: str) -> str:
    """Hangul syllables in the Revised Romanization, letter by letter (no sound changes):
    enough for a readable, stable id (`캐시 문제` -> `kaesi munje`)."""
    out = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            out.append(_INITIALS[code // 588] + _VOWELS[(code % 588) // 28] + _FINALS[code % 28])
        else:
            out.append(ch)
    return "".join(out)


def slug(title: str, limit: int = 64) -> str:
    """A title as an id: `Docker BuildKit 캐시 문제` -> `docker-buildkit-kaesi-munje`."""
    text = re.sub(r"[^a-z0-9]+", "-", romanize(title).lower()).strip("-")
    text = re.sub(r"^[0-9-]+", "", text)  # an id starts with a letter
    if len(text) > limit:
        text = text[:limit].rsplit("-", 1)[0] if "-" in text[:limit] else text[:limit]
    return text.strip("-")


# --------------------------------------------------------------------------- YAML out


WIDTH = 96


class _Flow(list):
    """A list written on one line: `run: [docker, builder, prune, -f]`, `tags: [a, b]`."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # `- item` indented under its key, as people write


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Code and multi-paragraph text as literal blocks, long sentences folded (`>-`): the file
    # reads like the hand-written playbooks. PyYAML falls back to quotes where a style cannot
    # hold the value exactly (trailing spaces, control characters).
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if len(value) > WIDTH and " " in value.strip():
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))

ORDER = ("id", "title", "summary", "occurred", "project", "tags", "params", "symptoms", "situation", "reported_cause",
         "wrong_attempts", "alternatives", "prevention", "lessons", "references", "notes")


def dump(data: dict[str, Any], header: Iterable[str], schema: str = DEFAULT_SCHEMA) -> str:
    ordered = {key: data[key] for key in ORDER if key in data and data[key] not in ([], {})}
    body = yaml.dump(ordered, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=WIDTH)
    comments = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header)
    return f"# yaml-language-server: $schema={schema}\n#\n{comments}\n{body}"


# --------------------------------------------------------------------------- entry points


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


def read_markdown(path: Path) -> str:
    """The write-up's text; ImportFailed for what is not a readable UTF-8 text file."""
    path = Path(path)
    if path.is_dir():
        raise ImportFailed(f"{path} is a folder: give the Markdown file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_markdown(raw, str(path))


def decode_markdown(raw: bytes, name: str) -> str:
    if len(raw) > MAX_BYTES:
        raise ImportFailed(f"{name} is larger than {MAX_BYTES // 1_000_000} MB: not one write-up")
    if b"\0" in raw:
        raise ImportFailed(f"{name} is not a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFailed(f"{name}:{line}: not UTF-8 text (save the file as UTF-8)") from None


def write_new(path: Path, text: str, force: bool = False) -> None:
    """Write atomically (a temporary file, then a rename); an existing file only with force."""
    path = Path(path)
    if path.exists() and not force:
        raise ImportFailed(f"{path} exists: pass --force to overwrite it")
    if not path.parent.is_dir():
        raise ImportFailed(f"{path.parent} is not a folder")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temporary, _file_mode(path))  # mkstemp makes 0600; a playbook is an ordinary file
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if force:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # fails if the file appeared meanwhile: never clobber
            except FileExistsError:
                raise ImportFailed(f"{path} exists: pass --force to overwrite it") from None
            except OSError:  # a filesystem without hard links
                if path.exists():
                    raise ImportFailed(f"{path} exists: pass --force to overwrite it") from None
                os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _file_mode(path: Path) -> int:
    """The replaced file's mode, else what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def schema_reference(folder: Path | None) -> str:
    """The `$schema=` path for a playbook written into `folder` (relative, as editors want)."""
    from runner.playbook.schema import SCHEMA_PATH

    if folder is None:
        return DEFAULT_SCHEMA
    try:
        return Path(os.path.relpath(SCHEMA_PATH, Path(folder).resolve())).as_posix()
    except ValueError:  # another drive
        return SCHEMA_PATH.as_posix()


# --------------------------------------------------------------------------- runner new


SKELETON = """\
# yaml-language-server: $schema={schema}
#
# A new playbook. Any human text is a string, or {{ko: ..., en: ...}} for both languages.
# `runner validate` checks it (file:line:col for each problem); `runner show {id}` renders it.
# The sections after `symptoms` are optional: uncomment what the case needs.

id: {id}
title:
  ko: 한 줄 제목
  en: A one-line title
summary:
  ko: 무슨 일이 있었고 무엇이 원인이었는지 두세 문장으로.
  en: What happened and what caused it, in two or three sentences.
occurred: {today}
# project: the project or service it happened in
tags: [docker]
severity: medium  # low | medium | high | critical

symptoms:
  - id: first-symptom
    text:
      ko: 사람이 보고 듣는 증상
      en: What a person sees
    # Regular expressions for log lines that show this symptom: `runner triage` ranks the
    # playbooks by them. One line each; quote with '...' so that backslashes stay.
    signatures:
      - '^ERROR: replace this with a line of the real log$'
    # example: {{lang: text, code: "the log lines, as they appeared"}}

# situation:               # what was done, step by step
#   - text: {{ko: ..., en: ...}}
#     code: [{{lang: bash, code: "docker build -t app ."}}]

# reported_cause:          # the root cause as the report states it: claims to verify
#   points: [{{ko: ..., en: ...}}]

# params:                  # values the checks and fixes take: {{{{name}}}} in argument lists
#   image: {{type: image, description: {{ko: 이미지 태그, en: the image tag}}, required: true}}

# checks:                  # read-only; kinds: `runner schema` lists them
#   - {{id: image, kind: image, args: {{image: "{{{{image}}}}"}}}}

# causes:                  # tried in order; the first whose `when` holds is the cause
#   - id: the-cause
#     title: {{ko: ..., en: ...}}
#     when: {{check: image, status: fail}}
#     explanation: {{ko: ..., en: ...}}
#     fix: the-fix

# fixes:
#   - id: the-fix
#     title: {{ko: ..., en: ...}}
#     steps:
#       - title: {{ko: ..., en: ...}}
#         run: [docker, build, -t, "{{{{image}}}}", .]   # an argument list, never a shell string
#         effect: write                                # read | write | destructive (+ loses: ...)

# wrong_attempts:          # what was tried and why it did not work
#   - id: an-attempt
#     title: {{ko: ..., en: ...}}
#     why: [{{ko: ..., en: ...}}]
#     verdict: fails       # fails | forbidden | partial

# prevention: [{{title: {{ko: ..., en: ...}}}}]
# lessons: [{{title: {{ko: ..., en: ...}}, points: []}}]
# references: [{{title: ..., url: https://...}}]
"""


def skeleton(playbook_id: str, schema: str = DEFAULT_SCHEMA, today: dt.date | None = None) -> str:
    """A commented playbook that validates as it is (checked here with the real loader)."""
    if not re.fullmatch(ID_PATTERN, playbook_id) or len(playbook_id) > 64:
        raise ImportFailed(f"{playbook_id!r} is not a valid id (kebab-case, e.g. port-already-allocated)")
    text = SKELETON.format(schema=schema, id=playbook_id, today=(today or dt.date.today()).isoformat())
    validate_text(text, playbook_id)
    return text


__all__ = ["import_markdown", "Imported", "ImportFailed", "read_markdown", "decode_markdown", "write_new", "skeleton",
           "schema_reference", "parse_markdown", "plain_command", "command_groups", "effect_of", "slug",
           "romanize", "split_marker", "verdict_of", "section_key"]
