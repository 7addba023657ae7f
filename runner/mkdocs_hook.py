"""MkDocs hook: adds one page per playbook at build time. Thin on purpose.

Everything it shows comes from runner/site.py (Playbook -> Markdown) and
runner/site_search.py (Korean index-time tokenisation); this file only connects them to
MkDocs events, so the same pages can be written to disk by `runner site export DIR`.
Referenced from mkdocs.yml as `hooks: [runner/mkdocs_hook.py]`.

One thing here is about build time only: Material's search plugin finds each page's sections
with Python's HTMLParser, the largest cost of a page after Markdown itself; `on_pre_build`
has it use runner/site_search.sections, which finds the same sections (same index, byte for
byte; tests/site/test_site_search.py) about three times faster.
"""

from __future__ import annotations

import gc
import json
import logging
import os
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from runner import site
from runner.model import Playbook

log = logging.getLogger("mkdocs.hooks.playbooks")

_playbooks: list[Playbook] = []
_generated: set[str] = set()


def playbooks_folder(config: MkDocsConfig) -> Path:
    """$RUNNER_PLAYBOOKS, else playbooks/ beside mkdocs.yml."""
    if os.environ.get("RUNNER_PLAYBOOKS"):
        return Path(os.environ["RUNNER_PLAYBOOKS"])
    return Path(config.config_file_path).resolve().parent / "playbooks"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    from runner.errors import PlaybookError
    from runner.loader import load_all

    folder = playbooks_folder(config)
    if folder.is_dir():
        found, problems = _load_quietly(load_all, folder)
        if problems:
            raise PluginError("invalid playbooks:\n" + PlaybookError(problems).args[0])
        _playbooks[:] = found
        if str(folder) not in config.watch:
            config.watch.append(str(folder))  # `mkdocs serve` rebuilds on a playbook edit
    else:
        log.warning("no playbooks folder at %s: the site has no playbook pages", folder)
        _playbooks[:] = []
    if config.nav is not None and not site.add_to_nav(config.nav, _playbooks):
        raise PluginError(f"mkdocs.yml nav: no list holds {site.PLAYBOOK_DIR}/index.md, "
                          "so the playbook pages have no place")
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    _index_sections_faster(config)


def _index_sections_faster(config: MkDocsConfig) -> None:
    """Point the search plugin's page indexing at site_search.sections, keeping Material's own
    parser for any page sections() does not reproduce exactly, and Material's own entries."""
    from runner.site_search import sections

    try:
        from material.plugins.search.plugin import SearchIndex, SearchPlugin
    except ImportError:  # another theme: nothing to speed up
        return
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        if not isinstance(plugin, SearchPlugin) or not isinstance(index, SearchIndex):
            continue
        if not hasattr(index, "create_entry_for_section") or "add_entry_from_context" in vars(index):
            continue
        material_parser = index.add_entry_from_context

        def add_entry_from_context(page: Page, index: SearchIndex = index, material_parser=material_parser) -> None:
            if (page.meta.get("search") or {}).get("exclude"):
                return
            found = sections(page.content or "")
            if found is None:
                return material_parser(page)
            for section in found:
                if not section.excluded:
                    index.create_entry_for_section(section, page.toc, page.url, page)

        index.add_entry_from_context = add_entry_from_context


def _load_quietly(load_all, folder: Path):  # noqa: ANN001, ANN202
    """load_all with the cycle collector paused, then one collection: loading keeps most of what
    it allocates, so collections along the way would walk the growing heap again and again (a
    third of the load time for 1,000 playbooks). The playbooks then stay for the whole build, so
    they are frozen out of later collections (unfrozen at the next build of `mkdocs serve`)."""
    gc.unfreeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return load_all([folder])
    finally:
        if enabled:
            gc.enable()
        gc.collect()  # YAML parsing leaves its nodes in reference cycles
        gc.freeze()


def on_files(files: Files, config: MkDocsConfig) -> Files:
    _generated.clear()
    for path, text in {**site.generated_pages(_playbooks), **site.static_files()}.items():
        _generated.add(path)
        if files.get_file_from_path(path) is not None:
            raise PluginError(f"docs/{path} exists and would hide the page generated for it: remove it")
        files.append(File.generated(config, path, content=text))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri in _generated:
        return markdown
    try:
        return site.expand_markers(markdown, _playbooks, page.file.src_uri)
    except ValueError as exc:
        raise PluginError(str(exc)) from None


@event_priority(-100)  # after the search plugin has written its index
def on_post_build(config: MkDocsConfig) -> None:
    from runner.site_search import tokenise_index

    path = Path(config.site_dir) / "search" / "search_index.json"
    if not path.exists():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(tokenise_index(index), ensure_ascii=False, separators=(",", ":")),
                    encoding="utf-8")
