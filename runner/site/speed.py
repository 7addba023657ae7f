"""Build speed for the MkDocs hook (runner/site/hook.py): nothing here changes the pages it
builds, and the search index only by leaving out the labels of content tabs.

* `load_playbooks`: the playbooks loaded in worker processes when there are many (each loads
  a run of the files; the same playbooks and problems, in the same order, as one load), with
  the cycle collector paused, then frozen out of later collections; the workers also write the
  pages' Markdown (`generated_markdown`).
* `index_sections_faster`: Material's search plugin finds each page's sections with Python's
  HTMLParser, the largest cost of a page after Markdown; it is pointed at
  runner/site/search_index.py's sections(), which finds the same sections about three times
  faster, less the labels of content tabs (the one thing the index gets that Material's
  would not).
* `Prerender`: the generated pages' Markdown rendered in worker processes (one per CPU),
  while MkDocs goes through its pages in order; each page then takes its worker's HTML,
  table of contents, anchors and log messages instead of rendering itself. MkDocs still runs
  every plugin event in the main process, and renders a page itself when its Markdown is not
  the one the worker rendered (a plugin changed it) or the worker failed. In the workers, code
  blocks with the same options share one Pygments formatter, a block highlighted once is not
  highlighted again, and each piece of text skips the inline patterns that find nothing in it.
* `PageWriter`: while MkDocs renders each page's template, the page before it is written to disk
  by a forked process (only when the pages were rendered in workers).
* `cache_partials`: the parts of Material's page template that read the same on every page
  outside the nav in one folder (the nav, the tabs, the search box, the palette toggle, the
  footer) rendered once per folder for the generated pages.

tests/site/test_speed.py builds a site with the hook and the same site from its export
with plain MkDocs and compares every page byte for byte (and the search index, less the Korean
splitting), with and without workers; tests/site/test_search_index.py compares the sections
with Material's parser. Set RUNNER_SITE_JOBS=1 to build in one process.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import os
import posixpath
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, NoReturn

from mkdocs import utils as mkdocs_utils
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from runner.site.languages import SITE_LANGS
from runner.site.search_index import Section, sections

log = logging.getLogger("mkdocs.hooks.playbooks")

JOBS_ENV = "RUNNER_SITE_JOBS"
MIN_PAGES = 64  # fewer generated pages than this: starting workers would cost more than it saves


# --------------------------------------------------------------------------- loading

MIN_FILES_PER_WORKER = 100


def load_playbooks(folder: Any, parallel: bool = True) -> tuple[list[Any], list[Any]]:
    """runner.loader.load_all([folder]), in worker processes when there are many files; these
    also write the playbooks' pages (see generated_markdown)."""
    from runner.playbook.loader import load_all, playbook_files

    _written.clear()
    files = playbook_files([folder])
    workers = min(jobs(), len(files) // MIN_FILES_PER_WORKER) if parallel else 1
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return load_quietly(lambda: load_all([folder]))
    size = -(-len(files) // workers)
    runs = [files[start:start + size] for start in range(0, len(files), size)]

    def load_in_workers() -> tuple[list[Any], list[Any]] | None:
        try:
            with multiprocessing.get_context("fork").Pool(len(runs)) as pool:
                parts = pool.map(_load_run, runs, chunksize=1)
                pool.close()
                pool.join()
        except Exception as exc:  # noqa: BLE001 - load in this process instead
            log.info("no worker processes for loading (%s)", exc)
            return None
        playbooks = [playbook for found, _, _ in parts for playbook in found]
        if len({playbook.id for playbook in playbooks}) < len(playbooks):
            return None  # an id used in two runs: load_all words that problem itself
        for _, _, written in parts:
            _written.update(written)
        return playbooks, [problem for _, found, _ in parts for problem in found]

    return load_quietly(load_in_workers, collect=False) or load_quietly(lambda: load_all([folder]))


def _load_run(files: list[Any]) -> tuple[list[Any], list[Any], dict[str, str]]:
    from runner.playbook.loader import load_all
    from runner.site.pages import generated_pages

    gc.disable()  # the worker ends after this: its garbage goes with it
    playbooks, problems = load_all(files)
    return playbooks, problems, generated_pages(playbooks, SITE_LANGS[0]) if not problems else {}


# The pages the loading workers wrote: docs-relative path -> Markdown
_written: dict[str, str] = {}


def generated_markdown(playbooks: list[Any], lang: str = SITE_LANGS[0]) -> dict[str, str]:
    """generated_pages(playbooks, lang): as the loading workers wrote them, when they did (the
    default language's; on one CPU while the other waits, it would cost the build 3% for 1,000
    full-size playbooks)."""
    from runner.site.catalogue_pages import page_path
    from runner.site.pages import generated_pages

    paths = [page_path(playbook.id) for playbook in playbooks]
    if lang == SITE_LANGS[0] and _written and all(path in _written for path in paths):
        return {path: _written[path] for path in paths}
    return generated_pages(playbooks, lang)


def load_quietly(load: Callable[[], Any], collect: bool = True) -> Any:
    """load() with the cycle collector paused, then one collection (`collect`: YAML parsing
    leaves its nodes in reference cycles; objects unpickled from a worker leave none): loading
    keeps most of what it allocates, so collections along the way would walk the growing heap
    again and again (a third of the load time for 1,000 playbooks). What it keeps lives for the
    whole build, so it is frozen out of later collections (unfrozen at the next build of
    `mkdocs serve`)."""
    gc.unfreeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return load()
    finally:
        if enabled:
            gc.enable()
        if collect:
            gc.collect()
        gc.freeze()


# --------------------------------------------------------------------------- search sections

# Sections a worker found in a page's HTML: src_uri -> (the HTML, its sections)
_found_sections: dict[str, tuple[str, list[Section]]] = {}


def _material_search_indexes(config: MkDocsConfig) -> Iterator[Any]:
    """The SearchIndex of each of Material's search plugins in the build (one, or none)."""
    try:
        from material.plugins.search.plugin import SearchIndex, SearchPlugin
    except ImportError:  # another theme
        return
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        if isinstance(plugin, SearchPlugin) and isinstance(index, SearchIndex):
            yield index


def index_sections_faster(config: MkDocsConfig) -> None:
    """Point the search plugin's page indexing at site_search.sections, keeping Material's own
    parser for any page sections() does not reproduce exactly, and Material's own entries."""
    for index in _material_search_indexes(config):
        if not hasattr(index, "create_entry_for_section") or "add_entry_from_context" in vars(index):
            continue
        index.add_entry_from_context = partial(_add_entry, index, index.add_entry_from_context)


def rewrite_search_index(config: MkDocsConfig, rewrite: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Material's search plugin writes `rewrite(index)` instead of its index: the change made
    as the index is written, not by reading the written file back (which would also have to wait
    for the PageWriter)."""
    for index in _material_search_indexes(config):
        if "generate_search_index" in vars(index):
            continue

        def generate(*args: Any, _generate: Callable[..., str] = index.generate_search_index, **kwargs: Any) -> str:
            written = rewrite(json.loads(_generate(*args, **kwargs)))
            return json.dumps(written, ensure_ascii=False, separators=(",", ":"))

        index.generate_search_index = generate


def _add_entry(index: Any, material_parser: Callable[[Page], None], page: Page) -> None:
    if (page.meta.get("search") or {}).get("exclude"):
        return
    html, found = _found_sections.pop(page.file.src_uri, (None, None))
    if html is not page.content:  # none found by a worker, or a plugin changed the page since
        found = sections(page.content or "", tab_labels=False)
    if found is None:
        return material_parser(page)
    for section in found:
        if not section.excluded:
            index.create_entry_for_section(section, page.toc, page.url, page)


# --------------------------------------------------------------------------- rendering in workers


def jobs() -> int:
    """$RUNNER_SITE_JOBS, else the CPUs this process may use."""
    if os.environ.get(JOBS_ENV, "").strip():
        try:
            return max(1, int(os.environ[JOBS_ENV]))
        except ValueError:
            log.warning("%s=%r is not a number: one process", JOBS_ENV, os.environ[JOBS_ENV])
            return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _digest(text: str | None) -> bytes:
    return hashlib.blake2b((text or "").encode("utf-8"), digest_size=16).digest()


class _Capture(logging.Handler):
    """A worker's MkDocs log messages, replayed by the main process when the page is taken."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


# What the workers render: set before they are forked, so each has it without pickling.
_work: tuple[list[Page], MkDocsConfig, Files] | None = None
_capture: _Capture | None = None


def _start_worker() -> None:
    global _capture
    _capture = _Capture()
    mkdocs_log = logging.getLogger("mkdocs")
    mkdocs_log.handlers = [_capture]  # the main process prints them (and counts them for --strict)
    mkdocs_log.propagate = False
    _reuse_highlighting()
    _skip_unmatched_inline_patterns()


def _skip_unmatched_inline_patterns() -> None:
    """In a worker: Python-Markdown gives each piece of text to its inline patterns one by one
    (about twenty), each a Python call, although most text (a sentence without markup) matches
    none of them; here each piece of text starts at the first pattern whose expression finds
    something in it. The patterns before that one would find nothing and leave the text as it
    is, so the result is the same (tested); Markdown takes about a tenth less time."""
    try:
        from markdown import inlinepatterns, treeprocessors, util
    except ImportError:
        return
    processor = treeprocessors.InlineProcessor
    handle_inline = getattr(processor, "_InlineProcessor__handleInline", None)
    if handle_inline is None or getattr(handle_inline, "runner_skips", False):
        return  # another Python-Markdown than the one this was written for, or done already

    def from_first_match(self: Any, data: str, patternIndex: int = 0) -> str:  # noqa: N803 - Markdown's name
        if isinstance(data, util.AtomicString):
            return data
        patterns = self.__dict__.get("_runner_expressions")
        if patterns is None or len(patterns) != len(self.inlinePatterns):
            patterns = self._runner_expressions = [
                (pattern.getCompiledRegExp(), isinstance(pattern, inlinepatterns.InlineProcessor))
                for pattern in (self.inlinePatterns[index] for index in range(len(self.inlinePatterns)))]
        for index in range(patternIndex, len(patterns)):
            expression, new_style = patterns[index]
            # what the pattern itself tries first: a search (InlineProcessor), or a match of the
            # old-style `^(.*?)...(.*)$` (Pattern)
            if expression.search(data) if new_style else expression.match(data):
                return handle_inline(self, data, index)
        return data

    from_first_match.runner_skips = True  # type: ignore[attr-defined]
    processor._InlineProcessor__handleInline = from_first_match  # type: ignore[attr-defined]


def _reuse_highlighting() -> None:
    """In a worker: code blocks with the same options share one Pygments formatter, and a block
    already highlighted with the same lexer and formatter takes the HTML it got then. pymdownx
    makes a formatter per block, and making one builds its whole style sheet (two thirds of the
    cost of a short block); playbooks repeat the same commands (`docker builder prune`, ...).
    Formatting keeps no state in the formatter, and highlighting is a function of the source,
    the lexer's options and the formatter's."""
    try:
        from pymdownx import highlight
    except ImportError:
        return
    make_formatter = highlight.BlockHtmlFormatter
    formatters: dict[str, Any] = {}

    def formatter(**options: Any) -> Any:
        key = repr(sorted(options.items()))
        if key not in formatters:
            formatters[key] = make_formatter(**options)
        return formatters[key]

    pygments_highlight = highlight.highlight
    highlighted: dict[tuple, str] = {}

    def highlight_once(source: str, lexer: Any, formatter: Any) -> str:
        if formatter not in formatters.values():  # not one of the shared ones: its id may be reused
            return pygments_highlight(source, lexer, formatter)
        key = (source, type(lexer), repr(sorted(lexer.options.items())), id(formatter))
        if key not in highlighted:
            if len(highlighted) >= MAX_HIGHLIGHTED:
                highlighted.clear()
            highlighted[key] = pygments_highlight(source, lexer, formatter)
        return highlighted[key]

    highlight.BlockHtmlFormatter = formatter
    highlight.highlight = highlight_once


MAX_HIGHLIGHTED = 4096  # code blocks a worker remembers (a few MB at most)


def _render_pages(bounds: tuple[int, int]) -> list[tuple]:
    """Render pages[start:stop] as MkDocs would; one tuple per page (None fields: it failed)."""
    assert _work is not None and _capture is not None
    pages, config, files = _work
    out = []
    for page in pages[bounds[0]:bounds[1]]:
        _capture.records = []
        try:
            page.read_source(config)
            digest = _digest(page.markdown)
            Page.render(page, config, files)
            found = sections(page.content or "", tab_labels=False)
            links = None if page.links_to_anchors is None else {
                file.src_uri: anchors for file, anchors in page.links_to_anchors.items()}
            out.append((page.file.src_uri, digest, page.content, page.toc, page._title_from_render,
                        page.present_anchor_ids, links, found, _capture.records))
        except Exception:  # noqa: BLE001 - the main process renders it again and reports the error
            out.append((page.file.src_uri, None, None, None, None, None, None, None, []))
    return out


class Prerender:
    """The pages rendered by worker processes, taken by each page's `render` in turn."""

    def __init__(self, pages: list[Page], config: MkDocsConfig, files: Files, workers: int) -> None:
        global _work
        self.files = files
        self.results: dict[str, tuple] = {}
        self.waiting = {page.file.src_uri for page in pages}
        chunk = max(2, min(8, len(pages) // (workers * 8)))
        bounds = [(start, min(start + chunk, len(pages))) for start in range(0, len(pages), chunk)]
        _work = (pages, config, files)
        try:
            self.pool = multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker)
        finally:
            _work = None  # the workers have their copy; the main process needs none
        self.chunks: Iterator[list[tuple]] | None = self.pool.imap(_render_pages, bounds)
        for page in pages:  # after the fork: the workers keep MkDocs' own render
            page.render = partial(self._render, page)  # type: ignore[method-assign]

    def _take(self, src_uri: str) -> tuple | None:
        while src_uri not in self.results and self.chunks is not None:
            try:
                for result in next(self.chunks):
                    self.results[result[0]] = result
            except StopIteration:
                self.chunks = None
            except Exception as exc:  # noqa: BLE001 - a worker died: the pages render here
                log.warning("rendering in worker processes failed (%s): rendering in this one", exc)
                self.close()
        self.waiting.discard(src_uri)
        if not self.waiting:
            self.close()
        return self.results.pop(src_uri, None)

    def _render(self, page: Page, config: MkDocsConfig, files: Files) -> None:
        del page.render  # MkDocs' own again, for any later build
        result = self._take(page.file.src_uri)
        if result is None or result[1] is None or result[1] != _digest(page.markdown):
            return Page.render(page, config, files)
        _, _, page.content, page.toc, page._title_from_render, page.present_anchor_ids, links, found, \
            records = result
        if links is not None:
            page.links_to_anchors = {self.files.get_file_from_path(uri): anchors for uri, anchors in links.items()}
        if found is not None:
            _found_sections[page.file.src_uri] = (page.content, found)
        for name, level, message in records:
            logging.getLogger(name).log(level, message)
        return None

    def close(self) -> None:
        if self.chunks is not None or self.waiting:
            self.pool.terminate()
        else:
            self.pool.close()
        self.pool.join()
        self.chunks = None


_running: Prerender | None = None


def prerender(pages: list[Page], config: MkDocsConfig, files: Files) -> None:
    """Start rendering `pages` in worker processes when it pays: a build (not `serve`, whose
    server runs threads a fork must not copy), a fork-capable platform, several CPUs, many pages."""
    global _running
    stop()
    workers = min(jobs(), len(pages))
    if workers < 2 or (len(pages) < MIN_PAGES and not os.environ.get(JOBS_ENV)):
        return
    if "fork" not in multiprocessing.get_all_start_methods():
        return
    try:
        _running = Prerender(pages, config, files, workers)
    except (OSError, ValueError) as exc:
        log.info("no worker processes (%s): rendering in this one", exc)


def stop() -> None:
    """End the workers (after a build, or when it failed); pages not taken render themselves."""
    global _running
    if _running is not None:
        _running.close()
        _running = None
    _found_sections.clear()


# --------------------------------------------------------------------------- writing in a second process


class PageWriter:
    """From its start to `finish`, every `mkdocs.utils.write_file` (MkDocs writes each built page,
    the 404 page and the sitemap with it) is carried out by a forked process, while this one
    renders the next page. Making a folder and a file per page is kernel time, 0.3–2 s of a
    1,000-page build here (more when the disk is behind), which a thread could not take off this
    process: it needs the GIL between system calls (measured: no gain). One process reading one
    pipe writes in the order MkDocs wrote, so a later write to a path still wins. A write that
    fails stops the writer; the next write, or `finish`, raises a PluginError naming the file."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_write_files, args=(theirs, mkdocs_utils.write_file),
                                       name="runner-site-writer", daemon=True)
        self.process.start()
        theirs.close()
        self.write_file, mkdocs_utils.write_file = mkdocs_utils.write_file, self.write

    def write(self, content: bytes, output_path: str) -> None:
        try:
            self.connection.send_bytes(os.fsencode(output_path))
            self.connection.send_bytes(content)
        except OSError:  # the writer has ended: say why
            self._raise_failure()

    def finish(self) -> None:
        """Wait for every write sent so far; raise if one failed. MkDocs writes itself again."""
        if mkdocs_utils.write_file == self.write:
            mkdocs_utils.write_file = self.write_file
        try:
            self.connection.send_bytes(b"")
            done = self.connection.recv()
        except (OSError, EOFError):
            self._raise_failure()
        finally:
            self.process.join(timeout=30)
            self.connection.close()
        if done is not None:
            self._raise_failure(done)

    def abandon(self) -> None:
        """After a failed build: restore MkDocs' own writing, end the writer, raise nothing."""
        try:
            self.finish()
        except PluginError:
            pass
        if self.process.is_alive():
            self.process.kill()

    def _raise_failure(self, failure: tuple[str, str] | None = None) -> NoReturn:
        if failure is None:
            try:
                failure = self.connection.recv()
            except (OSError, EOFError):
                self.process.join(timeout=30)
                raise PluginError(f"the process writing the site ended (exit code {self.process.exitcode}) "
                                  "before writing every page") from None
        path, message = failure
        raise PluginError(f"cannot write {path}: {message}")


def _write_files(connection: Any, write_file: Callable[[bytes, str], None]) -> None:
    """In the writer process: (path, content) pairs until an empty path; then None, or the
    first failure as (path, message)."""
    while path := connection.recv_bytes():
        content = connection.recv_bytes()
        try:
            write_file(content, os.fsdecode(path))
        except OSError as exc:
            connection.send((os.fsdecode(path), exc.strerror or str(exc)))
            return
    connection.send(None)


_writer: PageWriter | None = None


def write_in_background() -> None:
    """Start a PageWriter when this build rendered its pages in workers (it has many), and
    they have ended: the pool's threads must not be running when this process forks."""
    global _writer
    finish_writing(abandon=True)
    if _running is None or _running.chunks is not None:
        return
    try:
        _writer = PageWriter()
    except OSError as exc:
        log.info("no writer process (%s): writing in this one", exc)


def finish_writing(abandon: bool = False) -> None:
    """Wait for the writer (before anything reads the built site); raise if a write failed."""
    global _writer
    writer, _writer = _writer, None
    if writer is None:
        return
    if abandon:
        writer.abandon()
    else:
        writer.finish()


# --------------------------------------------------------------------------- template parts

# Material's partials whose output depends on the page only through its URL (links are relative)
# and its place in the nav: the same for every page outside the nav in one folder.
PAGE_INDEPENDENT = ("partials/nav.html", "partials/tabs.html", "partials/search.html",
                    "partials/palette.html", "partials/footer.html")


def cache_partials(env: Any, cacheable: Callable[[Page], bool]) -> None:
    """Render each of PAGE_INDEPENDENT once per folder for the pages `cacheable` accepts (pages
    outside the nav, without front matter that hides parts of the template): an include runs a
    template's `root_render_func`, which is wrapped here (Jinja keeps one Template per name)."""
    import jinja2

    for name in PAGE_INDEPENDENT:
        try:
            template = env.get_template(name)
        except jinja2.TemplateNotFound:
            continue
        if getattr(template.root_render_func, "runner_cached", False):
            continue
        template.root_render_func = _cached_render(template.root_render_func, cacheable)


def _cached_render(render: Callable[[Any], Iterator[str]], cacheable: Callable[[Page], bool]) -> Callable:
    cache: dict[str, str] = {}

    def root_render_func(context: Any) -> Iterator[str]:
        page = context.get("page")
        if not isinstance(page, Page) or not cacheable(page):
            yield from render(context)
            return
        folder = posixpath.dirname(page.url.rstrip("/"))
        if folder not in cache:
            cache[folder] = "".join(render(context))
        yield cache[folder]

    root_render_func.runner_cached = True  # type: ignore[attr-defined]
    return root_render_func
