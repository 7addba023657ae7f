"""MkDocs hook: adds one page per playbook at build time, and builds the site in each language.
Thin on purpose.

`mkdocs build` (and `serve`) builds the Korean site at the site's root; when it is done,
runner/site/language_builds.py builds the English one under en/ from the same config: each
language has its pages, its theme interface, its nav and its own search index, and each page
links to its counterpart (Material's language selector and hreflang alternates).

Everything it shows comes from runner/site/pages.py (the generated pages and their place in
the nav; Playbook -> Markdown in runner/site/playbook_page.py), runner/site/markers.py (the
generated parts of the hand-written pages) and runner/site/search_index.py (Korean index-time
tokenisation); this file only connects them to MkDocs events, so the same pages can be written
to disk by `runner site export DIR`.
Referenced from mkdocs.yml as `hooks: [runner/site/hook.py]`.

runner/site/speed.py makes the build faster without changing what it builds: the playbooks
load with the cycle collector paused, the generated pages render in worker processes (one per
CPU; RUNNER_SITE_JOBS=1 for none), the search plugin finds each page's sections with a faster
equivalent of its parser, the parts of the page template that read the same on every
generated page outside the nav are rendered once, and a second process writes the built pages
to disk while the next one renders.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from runner.playbook.model import Playbook
from runner.site import speed
from runner.site.catalogue_pages import PLAYBOOK_DIR
from runner.site.languages import (
    SITE_LANGS,
    alternates,
    building_other_languages,
    config_in,
    label_in,
    one_language,
    page_language,
    site_root,
)
from runner.site.markers import expand_markers
from runner.site.pages import add_to_nav, static_files

log = logging.getLogger("mkdocs.hooks.playbooks")

_playbooks: list[Playbook] = []
_generated: set[str] = set()
_startup = {"command": "build", "dirty": False}
_outside_nav: set[str] = set()  # generated pages that are not in the nav
_reused: dict[str, list[Playbook]] = {}  # folder -> the playbooks the first language's build loaded


def playbooks_folder(config: MkDocsConfig) -> Path:
    """$RUNNER_PLAYBOOKS, else playbooks/ beside mkdocs.yml."""
    if os.environ.get("RUNNER_PLAYBOOKS"):
        return Path(os.environ["RUNNER_PLAYBOOKS"])
    return Path(config.config_file_path).resolve().parent / "playbooks"


def site_language(config: MkDocsConfig) -> str:
    """The language this build's pages read in: the theme's (the first site language by default)."""
    lang = config.theme["language"]
    return lang if lang in SITE_LANGS else SITE_LANGS[0]


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    from runner.errors import PlaybookError

    lang = site_language(config)
    config_in(config, lang)
    folder = playbooks_folder(config)
    if building_other_languages() and str(folder) in _reused:
        _playbooks[:] = _reused[str(folder)]
    elif folder.is_dir():
        found, problems = speed.load_playbooks(folder, parallel=_forks_allowed())
        if problems:
            raise PluginError("invalid playbooks:\n" + PlaybookError(problems).args[0])
        _playbooks[:] = found
        _reused.clear()
        _reused[str(folder)] = found
        if str(folder) not in config.watch:
            config.watch.append(str(folder))  # `mkdocs serve` rebuilds on a playbook edit
    else:
        log.warning("no playbooks folder at %s: the site has no playbook pages", folder)
        _playbooks[:] = []
    if config.nav is not None and not add_to_nav(config.nav, _playbooks, lang=lang):
        raise PluginError(f"mkdocs.yml nav: no list holds {PLAYBOOK_DIR}/index.md, "
                          "so the playbook pages have no place")
    return config


def on_startup(command: str, dirty: bool) -> None:
    _startup.update(command=command, dirty=dirty)


def on_pre_build(config: MkDocsConfig) -> None:
    speed.index_sections_faster(config)
    site_dir = Path(config.site_dir)
    lang = site_language(config)
    speed.rewrite_search_index(config, lambda index: _split_compounds(index, site_dir, lang))


def _split_compounds(index: dict[str, Any], site_dir: Path, lang: str) -> dict[str, Any]:
    """The index with Hangul compounds split, and beside it the words they were split with, for
    the query in the browser (docs/javascripts/search-query.js)."""
    import json

    from runner.site.search_index import index_vocabulary, query_vocabulary, tokenise_index

    _title_in_both_languages(index)
    words = index_vocabulary(index)
    target = site_dir / "search" / "vocabulary.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    vocabulary = json.dumps(query_vocabulary(words, index, lang=lang), ensure_ascii=False, separators=(",", ":"))
    target.write_text(vocabulary, encoding="utf-8")
    return tokenise_index(index, words)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    _generated.clear()
    for path, text in {**speed.generated_markdown(_playbooks, site_language(config)), **static_files()}.items():
        _generated.add(path)
        if files.get_file_from_path(path) is not None:
            raise PluginError(f"docs/{path} exists and would hide the page generated for it: remove it")
        files.append(File.generated(config, path, content=text))
    return files


def _forks_allowed() -> bool:
    """Worker processes for `mkdocs build` only: the server of `mkdocs serve` runs threads, which
    a fork must not copy, and a dirty build renders only the pages that changed."""
    return _startup["command"] in ("build", "gh-deploy") and not _startup["dirty"]


def on_nav(nav: Any, config: MkDocsConfig, files: Files) -> Any:
    """Start rendering the generated pages in worker processes."""
    in_nav = {page.file.src_uri for page in nav.pages}
    _outside_nav.clear()
    _outside_nav.update(uri for uri in _generated if uri.endswith(".md") and uri not in in_nav)
    if _forks_allowed():
        pages = []
        for file in files.documentation_pages():
            if file.src_uri in _generated:
                pages.append(file.page or Page(None, file, config))  # as MkDocs makes a page out of the nav
        speed.prerender(pages, config, files)
    return nav


def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    speed.cache_partials(env, lambda page: page.file.src_uri in _outside_nav and not page.meta.get("hide"))
    speed.write_in_background()
    return env


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri in _generated:
        return markdown
    lang = site_language(config)
    if isinstance(page.meta.get("title"), str):
        page.meta["title"] = label_in(page.meta["title"], lang)
    try:
        with page_language(lang):
            return expand_markers(one_language(markdown, lang), _playbooks, page.file.src_uri)
    except ValueError as exc:
        raise PluginError(str(exc)) from None


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """The language selector and the hreflang links point at this page's counterparts."""
    config.extra["alternate"] = alternates(page.url, site_root(config.site_url, site_language(config)))
    return context


def on_build_error(error: Exception) -> None:
    speed.stop()
    speed.finish_writing(abandon=True)


def _title_in_both_languages(index: dict[str, Any]) -> None:
    """A playbook page's English title counts as its title in search too, where the page's title
    is Korean: a reader of the Korean site who types or pastes English finds it ("old code after
    rebuild" is the English title's)."""
    from runner.site.catalogue_pages import page_path
    from runner.site.markdown_parts import both_texts, one_line

    english_titles = {}
    for pb in _playbooks:
        title_ko, title_en = (one_line(text) for text in both_texts(pb.title))
        if title_ko and title_en and title_en != title_ko:
            english_titles[page_path(pb.id).removesuffix(".md") + "/"] = title_en
    for doc in index.get("docs", []):
        alternate = english_titles.get(doc.get("location", ""))
        if alternate and alternate not in doc.get("title", ""):
            doc["title"] = f"{doc.get('title', '')} · {alternate}"


@event_priority(100)  # before any plugin reads the built site
def on_post_build(config: MkDocsConfig) -> None:
    speed.stop()
    speed.finish_writing()
