"""MkDocs hook: after the Korean site is built, build the same site in each other language under
its folder of the site (en/). Referenced from mkdocs.yml after runner/site/hook.py.

A separate hook because it must run after every plugin has finished the first language's site
(the search plugin writes its index in on_post_build), and a hook has one handler per event.
MkDocs keeps one instance of each plugin across config loads: the search plugin's language is
set for the other build and given back after it.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority

from runner.site.languages import SITE_LANGS, SUBSITE, building_other_languages, other_languages_building

_startup = {"dirty": False}


def on_startup(command: str, dirty: bool) -> None:
    _startup["dirty"] = dirty


@event_priority(-100)  # after every plugin, the search plugin's index included
def on_post_build(config: MkDocsConfig) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    if building_other_languages() or config.theme["language"] not in (SITE_LANGS[0], None):
        return
    with other_languages_building():
        for lang in SITE_LANGS[1:]:
            other = load_config(config.config_file_path, site_dir=str(Path(config.site_dir) / SUBSITE[lang]),
                                site_url=config.site_url + SUBSITE[lang] if config.site_url else None,
                                strict=config.strict)
            other.theme["language"] = lang
            searches = [plugin for name, plugin in other.plugins.items() if name.endswith("search")]
            kept = [plugin.config.lang for plugin in searches]
            for plugin in searches:
                plugin.config.lang = [lang]
            try:
                build(other, dirty=_startup["dirty"])
            finally:
                for plugin, lang_before in zip(searches, kept):
                    plugin.config.lang = lang_before
