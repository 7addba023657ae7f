"""Markdown as blocks: a write-up parsed into headings, paragraphs, code, lists, quotes and raw
source (Block, parse_markdown), the blocks grouped under their headings (split_sections,
split_subsections, item_parts, titled_items), and blocks written back as Markdown (to_markdown) for the text
kept word for word; clip shortens text to one line for a warning."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


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
    from markdown_it import (
        MarkdownIt,  # rich's own dependency: always installed with the runner
    )

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


def clip(text: str, length: int = 60) -> str:
    """Text on one line, cut to `length` characters: a warning or a step title quotes it."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


@dataclass
class Section:
    heading: str
    blocks: list[Block]


def split_sections(blocks: list[Block], level: int) -> tuple[list[Block], list[Section]]:
    """Blocks before the first heading of `level` (or higher), then one section per heading."""
    intro: list[Block] = []
    sections: list[Section] = []
    for block in blocks:
        if block.kind == "heading" and block.level <= level:
            sections.append(Section(block.text, []))
        elif sections:
            sections[-1].blocks.append(block)
        else:
            intro.append(block)
    return intro, sections


def _sublevel(blocks: list[Block]) -> int:
    levels = [b.level for b in blocks if b.kind == "heading"]
    return min(levels) if levels else 99


def split_subsections(blocks: list[Block]) -> tuple[list[Block], list[Section]]:
    """The blocks before the first heading, then one section per heading of the highest level
    among them (`### A`, `### B` under a `##` section)."""
    return split_sections(blocks, _sublevel(blocks))


def item_parts(item: list[Block]) -> tuple[str, list[Block], list[Block]]:
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


def titled_items(block: Block, untitled: list[Block]) -> Iterator[tuple[str, list[Block], list[Block]]]:
    """A list's items as item_parts, those that start with a paragraph; the blocks of the
    others are added to `untitled`, for the caller to keep."""
    for item in block.items:
        text, code, rest = item_parts(item)
        if not text:
            untitled += item
            continue
        yield text, code, rest
