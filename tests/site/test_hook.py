"""runner/site/hook.py: the real site, `mkdocs build --strict` with no warning, offline, with a
page per playbook and the Korean search index; a playbook edit or error reaches the build."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from sitekit import ROOT, build_site


class _Resources(HTMLParser):
    """URLs a browser loads by itself (scripts, styles, images, fonts, frames), not plain links."""

    LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src",
             "audio": "src", "embed": "src", "object": "data", "track": "src"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self.LOADS and values.get(self.LOADS[tag]):
            self.urls.append(values[self.LOADS[tag]] or "")
        if tag == "link" and values.get("href"):
            rel = (values.get("rel") or "").lower()
            if rel not in ("canonical", "alternate", "next", "prev", "author", "license", "search", "sitemap"):
                self.urls.append(values["href"] or "")
        for name in ("srcset", "poster"):
            if values.get(name):
                self.urls.append(values[name] or "")
        if values.get("style") and "url(" in (values.get("style") or ""):
            self.urls += re.findall(r"url\(['\"]?([^'\")]+)", values["style"] or "")


def external(url: str) -> bool:
    parts = urlsplit(url.strip())
    return bool(parts.netloc) or parts.scheme in ("http", "https", "ftp")


def test_strict_build_has_no_warning(real_site) -> None:
    assert real_site.returncode == 0
    problems = [line for line in real_site.log.splitlines() if re.match(r"(WARNING|ERROR)\b", line)]
    assert problems == []
    assert "Documentation built" in real_site.log


def test_built_pages_load_no_external_resource(real_site) -> None:
    pages = sorted(real_site.site.rglob("*.html"))
    assert len(pages) >= 10
    loaded = []
    for page in pages:
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        loaded += [(page.relative_to(real_site.site).as_posix(), url) for url in parser.urls if external(url)]
    for css in real_site.site.rglob("*.css"):
        for url in re.findall(r"(?:url\(|@import\s+)['\"]?([^'\")\s;]+)", css.read_text(encoding="utf-8")):
            if external(url):
                loaded.append((css.name, url))
    assert loaded == []


def test_the_playbook_page_is_generated_at_its_id(real_site) -> None:
    page = (real_site.site / "playbooks" / "buildkit-stale" / "index.html").read_text(encoding="utf-8")
    for anchor in ("symptoms", "causes", "wrong", "fixes", "claims"):
        assert f'id="{anchor}"' in page
    assert 'class="admonition warning"' in page and 'class="admonition danger"' in page
    assert "runner diagnose buildkit-stale" in page and "tabbed-set" in page
    assert not (ROOT / "docs" / "playbooks" / "buildkit-stale.md").exists()


def test_search_index_holds_both_languages_and_the_split_compounds(real_site) -> None:
    index = json.loads((real_site.site / "search" / "search_index.json").read_text(encoding="utf-8"))
    separator = index["config"]["separator"]
    assert re.fullmatch(separator, "\u200b") and not re.fullmatch(separator, "캐시")
    assert "kw" in index["config"]["fields"]
    page = [d for d in index["docs"] if d["location"].startswith("playbooks/buildkit-stale/")]
    text = " ".join(d["title"] + " " + d["text"] for d in page)
    assert "캐시" in text and "cache" in text


def test_a_playbook_edit_is_in_the_next_build(tmp_path: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    shutil.copy(ROOT / "tests/examples/valid/minimal.yaml", folder)
    first = build_site(tmp_path / "one", playbooks=folder)
    assert first.returncode == 0, first.log
    edited = (folder / "minimal.yaml").read_text().replace("Only the required fields.", "Edited just now.")
    (folder / "minimal.yaml").write_text(edited)
    second = build_site(tmp_path / "two", playbooks=folder)
    assert second.returncode == 0, second.log
    assert "Edited just now." in (tmp_path / "two/playbooks/minimal/index.html").read_text()
    assert "Edited just now." not in (tmp_path / "one/playbooks/minimal/index.html").read_text()


def test_an_invalid_playbook_fails_the_build_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "broken.yaml").write_text("id: broken\ntitle: x\nsummary: y\nsymptoms: []\n")
    build = build_site(tmp_path / "site", playbooks=folder)
    assert build.returncode != 0
    assert re.search(r"broken\.yaml:4:\d+: symptoms", build.log)
