"""Markdown as blocks: parsed, grouped under headings, and written back as it was written."""

from __future__ import annotations

from runner.authoring.markdown import (
    Block,
    clip,
    item_parts,
    parse_markdown,
    split_sections,
    split_subsections,
    titled_items,
    to_markdown,
)

WRITE_UP = """\
# Title

A paragraph
on two lines.

## Symptoms

- first
- second
  ```bash
  docker ps
  ```

> quoted

| a | b |
|---|---|
| 1 | 2 |

---

[docs]: https://docs.docker.com "Docker docs"
"""


def test_parse_gives_blocks_of_each_kind():
    blocks = parse_markdown(WRITE_UP)
    assert [b.kind for b in blocks] == ["heading", "paragraph", "heading", "list", "quote", "raw", "raw"]
    title, paragraph, symptoms, listed, quote, table, reference = blocks
    assert (title.level, title.text, symptoms.level) == (1, "Title", 2)
    assert paragraph.text == "A paragraph on two lines."  # soft line breaks are spaces
    assert not listed.ordered and [[b.kind for b in item] for item in listed.items] == [
        ["paragraph"], ["paragraph", "code"]]
    assert (listed.items[1][1].lang, listed.items[1][1].text) == ("bash", "docker ps\n")
    assert [c.text for c in quote.children] == ["quoted"]
    assert table.text == "| a | b |\n|---|---|\n| 1 | 2 |"  # kept as written
    assert reference.text == '[DOCS]: https://docs.docker.com "Docker docs"'  # the label as markdown-it keys it


def test_empty_code_and_separators_hold_nothing():
    assert parse_markdown("```\n\n```\n\n---\n") == []


def test_to_markdown_writes_the_blocks_back():
    blocks = parse_markdown(WRITE_UP)
    assert to_markdown(blocks) == (
        "# Title\n\nA paragraph on two lines.\n\n## Symptoms\n\n"
        "- first\n- second\n\n  ```bash\n  docker ps\n  ```\n\n"
        "> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        '[DOCS]: https://docs.docker.com "Docker docs"')
    ordered = parse_markdown("1. one\n2. two\n")
    assert to_markdown(ordered) == "1. one\n2. two"
    assert to_markdown([Block("code", "a ``` b\n", lang="md")]) == "````md\na ``` b\n````"


def test_sections_and_subsections():
    blocks = parse_markdown("intro\n\n## A\n\ntext\n\n### A.1\n\nmore\n\n## B\n")
    intro, sections = split_sections(blocks, 2)
    assert [b.text for b in intro] == ["intro"]
    assert [(s.heading, [b.text for b in s.blocks]) for s in sections] == [
        ("A", ["text", "A.1", "more"]), ("B", [])]
    inner, subsections = split_subsections(sections[0].blocks)
    assert [b.text for b in inner] == ["text"] and [s.heading for s in subsections] == ["A.1"]
    assert split_subsections(inner) == (inner, [])  # no heading: no subsection


def test_list_items_in_parts():
    [listed] = parse_markdown("- title\n  ```\n  code\n  ```\n  > aside\n- ```\n  only code\n  ```\n")
    text, code, rest = item_parts(listed.items[0])
    assert (text, [c.text for c in code], [r.kind for r in rest]) == ("title", ["code\n"], ["quote"])
    untitled: list[Block] = []
    assert [t for t, _, _ in titled_items(listed, untitled)] == ["title"]
    assert [b.text for b in untitled] == ["only code\n"]  # the item without a paragraph, for the caller


def test_clip():
    assert clip("  a\n  b ") == "a b"
    assert clip("x" * 70) == "x" * 59 + "…"
    assert clip("abcdef", 4) == "abc…"
