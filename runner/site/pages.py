"""The site as files: the generated pages (one per playbook), their place in the nav, and a
hook-free copy of the whole site.

Plain functions, no MkDocs import: the MkDocs hook (runner/site/hook.py) calls them at
build time and `runner site export DIR` writes the same pages to disk, so the site can move
to another generator (Zensical runs no MkDocs hooks) without rewriting any of this. What a
page says is made in runner/site/playbook_page.py (one playbook), catalogue_pages.py,
reference_pages.py and markers.py (the hand-written pages' generated parts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from runner.playbook.model import Playbook
from runner.site.catalogue_pages import PLAYBOOK_DIR, page_path, sorted_playbooks
from runner.site.languages import SITE_LANGS, SUBSITE, config_in, label_in, one_language, page_language
from runner.site.markdown_parts import one_line, text_of
from runner.site.markers import expand_markers
from runner.site.playbook_page import playbook_markdown


def generated_pages(playbooks: Iterable[Playbook], lang: str | None = None) -> dict[str, str]:
    """docs-relative path -> Markdown, one page per playbook, in `lang` (None: both languages)."""
    with page_language(lang):
        return {page_path(pb.id): playbook_markdown(pb) for pb in playbooks}


NAV_PLAYBOOKS_UP_TO = 30  # more playbooks than this: none of them is listed in the nav


def nav_entries(playbooks: Iterable[Playbook], lang: str = "ko") -> list[dict[str, Any]]:
    """Nav items for the playbook pages: one per playbook for a small catalogue, none for a large one.

    A large catalogue is read from the playbook list (severity and tags), the tags page and
    search; its pages are `not_in_nav` (mkdocs.yml). A nav entry per playbook would help no
    reader past a few dozen, and would cost every page of the site: each page renders the nav.
    """
    ordered = sorted_playbooks(playbooks)
    if len(ordered) > NAV_PLAYBOOKS_UP_TO:
        return []
    return [{one_line(text_of(pb.title, lang) or text_of(pb.title, "ko")) or pb.id: page_path(pb.id)}
            for pb in ordered]


def add_to_nav(nav: Any, playbooks: list[Playbook], anchor: str = f"{PLAYBOOK_DIR}/index.md",
               lang: str = "ko") -> bool:
    """Append the playbook pages to the nav list that holds `anchor`; False when no list does."""
    if isinstance(nav, list):
        if any(item == anchor or (isinstance(item, dict) and anchor in item.values()) for item in nav):
            nav.extend(nav_entries(playbooks, lang))
            return True
        return any(add_to_nav(item, playbooks, anchor, lang) for item in nav)
    if isinstance(nav, dict):
        return any(add_to_nav(value, playbooks, anchor, lang) for value in nav.values())
    return False


def export_site(root: Path, out: Path, playbooks: list[Playbook]) -> list[Path]:
    """Write a hook-free copy of the site, one per language: out/mkdocs.yml and out/docs/ in the
    first language, out/en/mkdocs.yml and out/en/docs/ in English (built into site/en/).

    Each copy builds with plain MkDocs or with Zensical, which reads mkdocs.yml but runs no hooks.
    Their language selectors link the two sites' home pages (the hook links each page to its
    counterpart).
    """
    import yaml

    config_path = root / "mkdocs.yml"
    written: list[Path] = []
    for lang in SITE_LANGS:
        config = yaml.load(config_path.read_text(encoding="utf-8"), Loader=ConfigLoader)
        here = out / SUBSITE[lang]
        written += _export_pages(root / config.get("docs_dir", "docs"), here / "docs", playbooks, lang)
        config.pop("hooks", None)
        config["docs_dir"] = "docs"
        config["site_dir"] = "site" if not SUBSITE[lang] else "../site/" + SUBSITE[lang].rstrip("/")
        if config.get("site_url") and SUBSITE[lang]:
            config["site_url"] += SUBSITE[lang]
        config.setdefault("theme", {})["language"] = lang
        config.setdefault("extra", {})
        config.setdefault("site_name", "")
        config_in(config, lang)
        for plugin in config.get("plugins") or ():
            if isinstance(plugin, dict) and isinstance(plugin.get("search"), dict):
                plugin["search"]["lang"] = lang
        if "nav" in config:
            add_to_nav(config["nav"], playbooks, lang=lang)
        out_config = here / "mkdocs.yml"
        out_config.write_text(yaml.dump(config, Dumper=ConfigDumper, allow_unicode=True, sort_keys=False),
                              encoding="utf-8")
        written.append(out_config)
    return written


def _export_pages(docs: Path, out_docs: Path, playbooks: list[Playbook], lang: str) -> list[Path]:
    """docs/ in `lang`, with the generated pages: what the hook gives MkDocs."""
    import shutil

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
            target.write_text(page_in(source.read_text(encoding="utf-8"), playbooks, rel, lang), encoding="utf-8")
        else:
            shutil.copyfile(source, target)
        written.append(target)
    for rel, text in {**generated_pages(playbooks, lang), **static_files()}.items():
        target = out_docs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def page_in(markdown: str, playbooks: list[Playbook], src_path: str, lang: str) -> str:
    """A hand-written page (front matter and all) in `lang`, its generated parts filled in."""
    front, body = "", markdown
    if markdown.startswith("---\n") and "\n---\n" in markdown[4:]:
        end = markdown.index("\n---\n", 4) + 5
        front, body = markdown[:end], markdown[end:]
        front = re.sub(r"^(title:\s*)(.+)$", lambda m: m.group(1) + label_in(m.group(2), lang), front, flags=re.M)
    with page_language(lang):
        return front + expand_markers(one_language(body, lang), playbooks, src_path)


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


class ConfigLoader(__import__("yaml").SafeLoader):
    pass


class ConfigDumper(__import__("yaml").SafeDumper):
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


ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_python_tag)
ConfigDumper.add_representer(_PythonTag, _represent_python_tag)
