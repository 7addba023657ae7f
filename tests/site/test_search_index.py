"""runner/site/search_index.py: Korean search, the index-time splitting of Hangul compounds and what it
does to precision; and the sections of a page, as Material's parser finds them."""

from __future__ import annotations

import json

import pytest
from sitekit import ROOT

from runner.site.search_index import (
    QUERIES,
    doc_tokens,
    evaluate,
    matches,
    tokenise_index,
)
from runner.triage.korean import ZWSP

REQUIRED = ["BuildKit", "CACHED", "builder prune", "캐시", "빌드 캐시", "이미지 삭제"]


def untokenised(doc: dict) -> dict:
    """The section as Material wrote it, before tokenise_index."""
    return {k: v.replace(ZWSP, "") if isinstance(v, str) else v for k, v in doc.items() if k != "kw"}


def load(site) -> list[dict]:
    return json.loads((site.site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def pages_found(docs: list[dict], query: str, mode: str) -> set[str]:
    return {d["location"].split("#")[0] for d in docs if matches(doc_tokens(d, mode), query)}


def test_tokenise_index_keeps_the_whole_word_findable() -> None:
    index = {"config": {"separator": r"[\s\-]+"}, "docs": [
        {"location": "a/", "title": "빌드캐시 정리", "text": "<p>빌드 캐시 이야기</p>"},
        {"location": "b/", "title": "리소스", "text": "소스 코드"}]}
    out = tokenise_index(index)
    assert out["docs"][0]["title"] == f"빌드{ZWSP}캐시 정리" and out["docs"][0]["kw"] == "빌드캐시"
    assert "kw" not in out["docs"][1]
    assert ZWSP in out["config"]["separator"] and out["config"]["fields"]["kw"] == {"boost": 1.0}
    docs = out["docs"]
    assert pages_found(docs, "빌드캐시", "split") == {"a/"}  # the whole compound, through kw
    assert pages_found(docs, "캐시", "split") == {"a/"}
    assert pages_found(docs, "소스", "split") == {"b/"}


@pytest.mark.parametrize("query", REQUIRED)
def test_required_queries_find_the_buildkit_playbook(real_site, query: str) -> None:
    assert "playbooks/buildkit-stale/" in pages_found(load(real_site), query, "split")


def test_compounds_are_found_only_with_the_splitting(compound_site) -> None:
    docs = load(compound_site)
    raw = [untokenised(d) for d in docs]
    for query in ("캐시", "삭제", "정리", "설치"):
        assert "playbooks/compound-words/" in pages_found(docs, query, "split"), query
    # Material as shipped: 캐시 is only a prefix of 캐시되지, never found inside 빌드캐시를
    assert "playbooks/compound-words/" not in pages_found(raw, "삭제", "whitespace")
    assert "playbooks/compound-words/" not in pages_found(raw, "정리", "whitespace")


def test_precision_on_the_real_playbooks(real_site, capsys) -> None:
    """Sections of the Korean playbook pages; a section is relevant to a Korean query when its
    counterpart on the English site holds the query's English word (e.g. 캐시 -> cache)."""
    docs = [d for d in load(real_site) if d["location"].startswith("playbooks/") and d["location"] != "playbooks/"]
    english_site = json.loads((real_site.site / "en" / "search" / "search_index.json").read_text(encoding="utf-8"))
    english = {d["location"]: d for d in english_site["docs"]}
    assert sum(d["location"] in english for d in docs) > 0.9 * len(docs)  # anchors are the same in each language
    scores = evaluate([untokenised(d) for d in docs], docs, QUERIES, [english.get(d["location"], d) for d in docs])
    with capsys.disabled():
        print(f"\nKorean search on the real playbooks ({len(docs)} sections, {len(QUERIES)} queries):")
        for score in scores.values():
            print(f"  {score.mode:10s} precision {score.precision:.3f}  recall {score.recall:.3f}  "
                  f"({score.relevant_matched}/{score.matched} matched sections relevant, {score.relevant} relevant)")
    split, plain = scores["split"], scores["whitespace"]
    assert split.recall >= plain.recall
    assert split.precision >= plain.precision - 0.05
    assert split.precision >= scores["substring"].precision


# --------------------------------------------------------------------------- the hook's section finder

TRICKY_HTML = [
    '<h1 id="top">Title<a class="headerlink" href="#top">&para;</a></h1><p>intro &amp; more</p>',
    '<p>before any heading</p><h2 id="a">A</h2><p>x</p><h3 id="b">B <code>c</code></h3><ul><li>1</li><li></li></ul>',
    '<div class="admonition"><h2 id="in">Nested</h2><p>inside</p></div><p>after the admonition</p>',
    '<div class="tabbed-set"><input checked="checked" id="t1" name="t" type="radio" /><label for="t1">한국어</label>'
    '<div class="tabbed-block"><p>빌드 캐시</p></div></div>',
    '<div data-search-exclude><p>hidden</p><div><p>nested hidden</p></div></div><p>shown</p>',
    '<h2 id="x" data-search-exclude>Excluded heading</h2><p>text</p>',
    '<pre class="highlight"><code>line 1\n\n  line 2 &lt;tag&gt;</code></pre><p>  \n  </p><p>a\nb</p>',
    "<P CLASS='x'>Upper <BR> case<br/>and <span title='a &quot;q&quot;'>quoted</span></P>",
    '<table><tr><td class="linenodiv">1</td><td><pre>code</pre></td></tr></table>',
    '<p><strong>bold</strong> <em>em</em> <sub>2</sub> <sup>3</sup></p></p></div><p>unbalanced</p>',
    '<h4 id="d">Deep</h4><details><summary>more</summary><h5 id="e">E</h5><p>in details</p></details><p>out</p>',
    '<ol><li><p>one</p></li><li><p></p></li></ol><p>&#x27;&#39;&nbsp;&copy;</p><object><p>skipped</p></object>',
]
UNSURE_HTML = ["<!-- a comment --><p>x</p>", "<script>var a = '<p>';</script>", "<p>a < b</p>",
               "<p>x</p><style>p {}</style>", '<a href=/unquoted/>x</a>', "<?php ?>"]


def material_sections(html: str) -> list[tuple]:
    from material.plugins.search.plugin import Parser

    parser = Parser()
    parser.feed(html)
    parser.close()
    return [(s.id, s.title, s.text, s.is_excluded()) for s in parser.data]


def fast_sections(html: str) -> list[tuple] | None:
    from runner.site.search_index import sections

    found = sections(html)
    return None if found is None else [(s.id, s.title, s.text, s.excluded) for s in found]


def rendered_pages() -> list[str]:
    """The HTML of every real playbook page, then of every hand-written page (markers expanded),
    as Python-Markdown renders them with the site's extensions."""
    import markdown
    from mkdocs.config import load_config

    from runner.playbook.loader import load_all
    from runner.site.markers import expand_markers
    from runner.site.playbook_page import playbook_markdown

    config = load_config(str(ROOT / "mkdocs.yml"))
    playbooks, _ = load_all([ROOT / "playbooks"])
    texts = [playbook_markdown(p).split("---", 2)[2] for p in playbooks]
    texts += [expand_markers(p.read_text(encoding="utf-8"), playbooks, p.relative_to(ROOT / "docs").as_posix())
              for p in sorted((ROOT / "docs").rglob("*.md"))]
    return [markdown.Markdown(extensions=config.markdown_extensions,
                              extension_configs=config.mdx_configs).convert(text) for text in texts]


@pytest.mark.parametrize("html", TRICKY_HTML)
def test_sections_are_materials_sections(html: str) -> None:
    assert fast_sections(html) == material_sections(html)


@pytest.mark.parametrize("html", UNSURE_HTML)
def test_sections_leave_what_they_cannot_reproduce_to_material(html: str) -> None:
    assert fast_sections(html) is None


def test_sections_without_tab_labels_are_materials_of_the_html_without_them() -> None:
    """The hook's index leaves out the labels of content tabs (`한국어English` would start most
    sections of a bilingual page): every label set of the real pages is plain text the pattern
    takes, and nothing else changes."""
    from runner.site.search_index import TAB_LABELS, sections

    pages = [html for html in rendered_pages() if 'class="tabbed-labels"' in html]
    assert len(pages) >= 7
    for html in pages:
        without = TAB_LABELS.sub("", html)
        assert 'class="tabbed-labels"' not in without
        found = sections(html, tab_labels=False)
        assert found is not None
        assert [(s.id, s.title, s.text, s.excluded) for s in found] == material_sections(without)
        assert not any("한국어English" in "".join(s.text) for s in found)
    assert any("한국어English" in "".join(s.text) for html in pages for s in sections(html))


def test_sections_of_the_real_pages_are_materials() -> None:
    pages = rendered_pages()
    playbook_pages = len(list((ROOT / "playbooks").glob("*.yaml")))
    assert len(pages) >= 10
    for number, html in enumerate(pages):
        fast = fast_sections(html)
        if number < playbook_pages:
            assert fast is not None  # a generated page never needs Material's parser
        assert fast is None or fast == material_sections(html)


def test_common_words_are_on_every_page_and_in_most_sections():
    from runner.site.search_index import common_words, query_vocabulary

    def doc(location: str, text: str) -> dict:
        return {"location": location, "title": "", "text": text}

    index = {"docs": [doc("", "docker everywhere"), doc("playbooks/", "docker list page")]}
    for page in ("a", "b", "c"):
        index["docs"] += [doc(f"playbooks/{page}/", "<p>Docker image here</p>"),
                          doc(f"playbooks/{page}/#x", "docker again"),
                          doc(f"playbooks/{page}/#y", f"the {page} buildx output")]
    # image: on every page but in a third of the sections; buildx: not on every page
    assert common_words(index, "playbooks/") == {"docker"}
    assert common_words({"docs": index["docs"][:5]}, "playbooks/") == set()  # too few pages to tell
    assert query_vocabulary(frozenset({"빌드"}), index)["common"] == ["docker"]
    # a whole word weighs more on the English site only (Korean words keep their particles)
    assert query_vocabulary(frozenset(), index, lang="en")["exact_boost"] == 2
    assert query_vocabulary(frozenset(), index, lang="ko")["exact_boost"] == 0
