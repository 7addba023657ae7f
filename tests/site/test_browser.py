"""The built site in Debian's Chromium: search in both languages, the playbook page, the tabs.

Screenshots go to test-output/site/. Every request the pages make must stay on 127.0.0.1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitekit import assert_local

pytestmark = pytest.mark.browser

QUERIES = ["BuildKit", "CACHED", "builder prune", "캐시", "빌드 캐시", "이미지 삭제"]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def search(page, query: str) -> list[str]:
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    box.press("End")  # Material reacts to key events; fill() alone fires none
    page.wait_for_selector(".md-search-result__item", timeout=10_000)
    page.wait_for_timeout(150)  # the list is rendered in one go after the worker answers
    return page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")


def slug(query: str) -> str:
    return re.sub(r"\W+", "-", query).strip("-")


@pytest.mark.parametrize("query", QUERIES)
def test_search_finds_the_buildkit_playbook(real_site, serve, page, output_dir, query: str) -> None:
    base = serve(real_site.site)
    page.goto(base)
    links = search(page, query)
    assert any("/playbooks/buildkit-stale/" in link for link in links), links
    assert page.locator(".md-search-result mark").count() > 0  # the matched words are highlighted
    previews = page.locator(".md-search-result__item").all_inner_texts()
    assert not any(re.search(r"한국어\s*English", text) for text in previews), previews  # no tab labels
    page.screenshot(path=str(output_dir / f"search-{slug(query)}.png"))
    assert_local(page, base)
    assert page.errors == []


def test_korean_compound_is_found_in_the_browser(compound_site, serve, page, output_dir) -> None:
    base = serve(compound_site.site)
    page.goto(base)
    for query in ("정리", "삭제"):
        links = search(page, query)
        assert any("/playbooks/compound-words/" in link for link in links), (query, links)
        page.screenshot(path=str(output_dir / f"search-compound-{slug(query)}.png"))


def test_playbook_page_sections_and_one_language_per_page(real_site, serve, page, output_dir) -> None:
    base = serve(real_site.site)
    page.goto(base)
    links = search(page, "builder prune")
    target = next(link for link in links if "/playbooks/buildkit-stale/" in link)
    page.locator(f'.md-search-result__item a[href="{target}"]').first.click()
    page.wait_for_url(re.compile(r".*/playbooks/buildkit-stale/.*"))
    page.wait_for_load_state("load")

    for anchor in ("symptoms", "causes", "wrong", "fixes", "prevention", "lessons", "claims"):
        assert page.locator(f"h2#{anchor}").count() == 1, anchor
    assert page.locator(".admonition.tip").first.is_visible()  # the run-it box
    assert "runner diagnose buildkit-stale" in page.locator(".admonition.tip").first.inner_text()
    assert page.locator("button[data-md-type=copy]").count() > 3  # copy buttons on the code blocks
    page.screenshot(path=str(output_dir / "playbook-ko.png"))

    # The wrong attempts are warnings that say why; the destructive steps stand out.
    page.locator("h2#wrong").scroll_into_view_if_needed()
    assert page.locator(".admonition.warning:visible").count() > 0
    assert page.locator(".admonition.danger .pb-effect-destructive, .pb-effect-destructive").count() > 0
    page.screenshot(path=str(output_dir / "playbook-wrong-attempts.png"))

    # One language per page: no language tabs; the page, its headings and the theme in Korean.
    def in_one_language(lang: str) -> None:
        assert page.get_attribute("html", "lang") == lang
        assert page.locator(".tabbed-set").count() == 0
        assert page.locator("article h1").count() == 1  # a lab's evidence quoting <h1> is text
        assert page.locator("details:not([open])", has_text="JSON").count() > 5  # the checks' arguments, folded
        headings = " ".join(page.locator("article h2").all_inner_texts())
        hangul = re.findall(r"[가-힣]", headings)
        assert (len(hangul) > 20) if lang == "ko" else not hangul, headings
        placeholder = page.get_attribute("input.md-search__input", "placeholder")
        assert placeholder == ("검색" if lang == "ko" else "Search"), placeholder

    in_one_language("ko")
    # The language selector leads to this page in English, and back.
    page.locator(".md-header__option .md-select").hover()
    page.locator('a.md-select__link[hreflang="en"]').click()
    page.wait_for_url(re.compile(r".*/en/playbooks/buildkit-stale/$"))
    in_one_language("en")
    assert "(recommended)" not in page.locator("h1#top").inner_text()
    page.locator("h2#symptoms").scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / "playbook-en.png"))
    # Search on the English site uses its own index: English pages only.
    links = search(page, "builder prune")
    assert links and all("/en/" in link for link in links), links
    page.goto(base + "en/playbooks/buildkit-stale/")
    page.locator(".md-header__option .md-select").hover()
    page.locator('a.md-select__link[hreflang="ko"]').click()
    page.wait_for_url(re.compile(r".*/playbooks/buildkit-stale/$"))
    assert "/en/" not in page.url
    in_one_language("ko")

    # Dark mode toggle.
    page.goto(base + "playbooks/buildkit-stale/")
    scheme = page.get_attribute("body", "data-md-color-scheme")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    page.wait_for_timeout(200)
    assert page.get_attribute("body", "data-md-color-scheme") != scheme
    page.screenshot(path=str(output_dir / "playbook-dark.png"))
    assert_local(page, base)
    assert page.errors == []


def test_mobile_navigation(real_site, serve, browser, output_dir) -> None:
    base = serve(real_site.site)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(base + "playbooks/buildkit-stale/")
    page.locator("label.md-header__button[for='__drawer']").click()
    page.wait_for_timeout(300)
    drawer = page.locator(".md-sidebar--primary")
    assert drawer.is_visible()
    assert drawer.get_by_text("git pull 후 재빌드해도 컨테이너에 이전 코드가 남음", exact=False).count() >= 1
    page.screenshot(path=str(output_dir / "mobile-nav.png"))
    context.close()


def test_what_the_lab_refuted_is_said_at_the_item_that_recommends_it(real_site, serve, page, output_dir) -> None:
    """The report's "Delete the build cache (recommended)" stays, and right under its heading
    the reader sees which of its claims the lab refuted, on which engines, and what to do instead."""
    base = serve(real_site.site)
    for lang, path, recommended, refuted, instead in (
            ("ko", "playbooks/buildkit-stale/", "(권장)", "랩이 반박한 주장에 기대는 항목", "대신"),
            ("en", "en/playbooks/buildkit-stale/", "(recommended)", "The lab refuted what this rests on", "Do instead")):
        page.goto(base + path)
        heading = page.locator("h3#fix-prune-all-and-rebuild")
        assert recommended in heading.inner_text()  # the report's words are kept
        note = page.locator("h3#fix-prune-all-and-rebuild + .admonition.failure").first
        note.scroll_into_view_if_needed()
        text = note.inner_text()
        assert refuted in text and "prune-keeps-cache-mounts" in text
        assert "Docker Engine 26.1.5+dfsg1 (containerd)" in text
        # what to do instead: the item's own `instead`, in the page's language
        assert "runner diagnose buildkit-stale" in text and instead in text
        page.screenshot(path=str(output_dir / f"playbook-refuted-at-the-item-{lang}.png"))
        # the lesson "--no-cache is the last resort ... prune is much more efficient" says so too
        lessons = page.locator("h2#lessons ~ * .admonition.failure", has_text="no-cache-much-slower-than-prune")
        assert lessons.count() >= 1


# Elements that stick out of the content column on the right, outside any box that scrolls or
# clips inside the column (a wide code block that scrolls in place is fine; one that pushes
# the page wider is not), and how much wider than the window the page is.
OVERFLOW_JS = """() => {
  const column = document.querySelector('.md-content');
  const right = column.getBoundingClientRect().right + 1;
  const out = [];
  for (const el of column.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= right) continue;
    let parent = el.parentElement, held = false;
    while (parent && parent !== column) {
      const style = getComputedStyle(parent);
      if (/(auto|scroll|hidden|clip)/.test(style.overflowX) && parent.getBoundingClientRect().right <= right) {
        held = true; break;
      }
      parent = parent.parentElement;
    }
    if (!held) out.push(el.tagName.toLowerCase() + ' "' + (el.textContent || '').trim().slice(0, 50) + '"');
  }
  return {wider: document.documentElement.scrollWidth - window.innerWidth, out: out.slice(0, 5)};
}"""


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_is_wider_than_the_window(real_site, serve, browser, width: int) -> None:
    base = serve(real_site.site)
    pages = sorted(path.relative_to(real_site.site).parent.as_posix()
                   for path in Path(real_site.site).rglob("index.html") if "assets" not in path.parts)
    assert len(pages) >= 10, pages
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 600)
    page = context.new_page()
    found = {}
    for path in pages:
        page.goto(base + ("" if path == "." else path + "/"))
        measured = page.evaluate(OVERFLOW_JS)
        if measured["wider"] > 0 or measured["out"]:
            found[path] = measured
    # The measure itself sees an element that is too wide (so that an empty result means something).
    page.evaluate("document.querySelector('.md-content').insertAdjacentHTML('beforeend', "
                  "'<p style=\"width: 3000px\">too wide</p>')")
    assert page.evaluate(OVERFLOW_JS)["out"], "the overflow measure missed a 3000 px paragraph"
    context.close()
    assert found == {}, found


def test_tags_stay_whole_on_a_phone(real_site, serve, browser, output_dir) -> None:
    """At 390 px no tag breaks across lines, neither a chip on a playbook page nor a tag in the
    playbook list, and no Korean word of a playbook's title is cut in two there."""
    base = serve(real_site.site)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    pages = sorted(f"playbooks/{path.parent.name}/" for path in Path(real_site.site, "playbooks").glob("*/index.html"))
    assert len(pages) >= 7
    broken = {}
    for path in [*pages, "playbooks/"]:
        page.goto(base + path)
        tags = page.eval_on_selector_all(
            ".md-typeset .md-tag, .md-typeset code.pb-tag",
            "els => els.map(e => [e.innerText, e.getClientRects().length, e.getBoundingClientRect().height])")
        assert tags, path
        line = min(height for _text, _lines, height in tags)
        broken.update({f"{path}: {text}": (lines, height) for text, lines, height in tags
                       if lines > 1 or height > line * 1.5})
    page.goto(base + "playbooks/")
    page.screenshot(path=str(output_dir / "playbook-list-390.png"))
    # A Korean title in the list's narrow column breaks between words only: each of its words
    # starts a line or follows a space on the same line.
    cut = page.evaluate("""() => {
      const cut = []
      for (const link of document.querySelectorAll('.md-typeset table td:first-child a')) {
        const text = link.firstChild
        if (!text || text.nodeType !== Node.TEXT_NODE) continue
        const range = document.createRange()
        let top = null
        for (let i = 0; i < text.length; i++) {
          range.setStart(text, i); range.setEnd(text, i + 1)
          const rect = range.getBoundingClientRect()
          if (top !== null && rect.top > top + 2 && i > 0 && text.data[i - 1] !== ' ' && text.data[i] !== ' '
              && /[가-힣]/.test(text.data[i - 1]) && /[가-힣]/.test(text.data[i]))
            cut.push(text.data)
          top = rect.top
        }
      }
      return cut
    }""")
    context.close()
    assert broken == {}
    assert cut == []
