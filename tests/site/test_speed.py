"""runner/site/speed.py: what the hook does for speed (worker processes, a writer process, the
search sections, the template parts rendered once) builds every page byte for byte as plain
MkDocs does, and a failure in a worker or the writer fails the build, naming what failed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sitekit import ROOT, build_site

LABELS = "한국어English"  # the language tabs' labels, as Material's parser joins them


def synthetic_playbooks(folder: Path, count: int, size: str = "small") -> Path:
    """bench/site.py's synthetic playbooks (Korean, English and bilingual)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_site", ROOT / "bench" / "site.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.write_playbooks(folder, count, size)
    return folder


_ALTERNATE = re.compile(r'(<link rel="alternate" href="|class="md-select__link"[^>]*?|<a href=")[^"]*("(?: hreflang="(?:ko|en)"))')


def without_alternates(html: bytes) -> str:
    """A page less its language links: the hook points them at the page's counterpart, an export
    (no hook) at the other language's home."""
    return _ALTERNATE.sub(r"\1…\2", html.decode("utf-8"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_hook_builds_the_pages_plain_mkdocs_builds_from_the_export(tmp_path: Path, jobs: int) -> None:
    """All the hook does for speed (worker processes, the search sections, the template parts
    rendered once) leaves every page of both languages byte for byte as plain MkDocs builds it
    from the exported Markdown (but for the language links), and the search index as Material
    writes it, less the Korean splitting, and a Korean playbook page's title in both languages."""
    from runner.playbook.loader import load_all
    from runner.site.markdown_parts import text_of
    from runner.site.pages import export_site
    from runner.triage.korean import ZWSP

    folder = synthetic_playbooks(tmp_path / "playbooks", 40, "full")  # over 30: pages outside the nav
    hooked = build_site(tmp_path / "hooked", playbooks=folder, jobs=jobs)
    assert hooked.returncode == 0, hooked.log
    playbooks = load_all([folder])[0]
    export_site(ROOT, tmp_path / "export", playbooks)
    plain = build_site(tmp_path / "plain", config=tmp_path / "export" / "mkdocs.yml")
    assert plain.returncode == 0, plain.log
    plain_en = build_site(tmp_path / "plain" / "en", config=tmp_path / "export" / "en" / "mkdocs.yml")
    assert plain_en.returncode == 0, plain_en.log
    pages = sorted(p.relative_to(plain.site) for p in plain.site.rglob("*.html"))
    assert len(pages) > 90 and sum(p.parts[0] == "en" for p in pages) > 45
    assert pages == sorted(p.relative_to(hooked.site) for p in hooked.site.rglob("*.html"))
    for rel in pages:
        built, exported = (hooked.site / rel).read_bytes(), (plain.site / rel).read_bytes()
        assert without_alternates(built) == without_alternates(exported), rel
        assert b'hreflang="en"' in built and b'hreflang="ko"' in built, rel

    def entries(site: Path) -> list[dict]:
        docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
        docs = [{k: v.replace(ZWSP, "") if isinstance(v, str) else v for k, v in d.items() if k != "kw"}
                for d in docs]
        return sorted(docs, key=lambda d: d["location"])

    def squeezed(docs: list[dict]) -> list[dict]:
        return [{**d, "text": re.sub(r"\s+", " ", d["text"]).strip()} for d in docs]

    for sub in ("", "en"):
        hooked_entries, plain_entries = entries(hooked.site / sub), entries(plain.site / sub)
        assert not any(LABELS in d["text"] for d in hooked_entries + plain_entries)  # no language tabs
        # a Korean playbook page's English title counts as its title too (runner/site/hook.py)
        english = {f"playbooks/{pb.id}/": text_of(pb.title, "en") for pb in playbooks}
        titled = 0
        for doc in hooked_entries:
            if doc["location"] in english and doc["title"].endswith(" · " + english[doc["location"]]):
                doc["title"] = doc["title"].removesuffix(" · " + english[doc["location"]])
                titled += 1
        assert titled > len(playbooks) // 3 if not sub else titled == 0
        assert squeezed(hooked_entries) == squeezed(plain_entries)


SABOTAGE = r'''
import multiprocessing, os
from mkdocs.plugins import event_priority

@event_priority(-100)  # after the playbook hook has started its writer
def on_env(env, config, files):
    if os.environ["SABOTAGE"] == "file-in-the-way":  # where a page's folder must go
        os.makedirs(os.path.join(config.site_dir, "playbooks"), exist_ok=True)
        open(os.path.join(config.site_dir, "playbooks", "synthetic-0005"), "w").close()
    return env

def on_post_page(output, page, config):
    if os.environ["SABOTAGE"] == "kill-the-writer" and page.file.src_uri == "playbooks/synthetic-0003.md":
        for child in multiprocessing.active_children():
            if child.name == "runner-site-writer":
                child.kill()
                child.join()
    return output
'''


@pytest.mark.parametrize("sabotage", ["file-in-the-way", "kill-the-writer"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_page_that_cannot_be_written_fails_the_build_naming_it(tmp_path: Path, monkeypatch, sabotage: str,
                                                                  jobs: int) -> None:
    """With the writer process (jobs 2) as without it: a write that fails, or a writer that
    dies, fails the build with the file or the writer named, and leaves MkDocs writing itself."""
    folder = synthetic_playbooks(tmp_path / "playbooks", 8)
    (tmp_path / "sabotage.py").write_text(SABOTAGE, encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"INHERIT: {ROOT / 'mkdocs.yml'}\ndocs_dir: {ROOT / 'docs'}\n"
                      f"hooks: [{ROOT / 'runner' / 'site' / 'hook.py'}, sabotage.py]\n", encoding="utf-8")
    monkeypatch.setenv("SABOTAGE", sabotage)
    build = build_site(tmp_path / "site", playbooks=folder, config=config, jobs=jobs)
    if sabotage == "kill-the-writer" and jobs == 1:  # no writer to kill: the build is whole
        assert build.returncode == 0, build.log
        assert len(list((tmp_path / "site" / "playbooks").glob("synthetic-*/index.html"))) == 8
        return
    assert build.returncode == 1, build.log
    if jobs == 2:  # a PluginError; MkDocs itself lets the OSError out with its traceback
        assert "Traceback" not in build.log and "Aborted with a BuildError!" in build.log, build.log
    if sabotage == "file-in-the-way":
        assert re.search(r"ERROR.*synthetic-0005.*File exists", build.log), build.log
    else:
        assert re.search(r"ERROR.*the process writing the site ended \(exit code -9\) before writing every page",
                         build.log), build.log


def test_a_warning_in_a_worker_process_fails_the_strict_build(tmp_path: Path) -> None:
    folder = synthetic_playbooks(tmp_path / "playbooks", 4)
    path = folder / "synthetic-0002.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["summary"] = "[gone](missing.md)"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    build = build_site(tmp_path / "site", playbooks=folder, jobs=2)
    assert build.returncode != 0
    assert re.search(r"WARNING.*playbooks/synthetic-0002\.md.*missing\.md", build.log), build.log


@pytest.mark.parametrize("duplicate", [False, True])
def test_loading_in_worker_processes_gives_what_one_load_gives(tmp_path: Path, monkeypatch, duplicate: bool) -> None:
    from runner.playbook.loader import load_all
    from runner.site import speed

    folder = synthetic_playbooks(tmp_path / "playbooks", 2 * speed.MIN_FILES_PER_WORKER + 10)
    (folder / "synthetic-0003.yaml").write_text("id: broken\ntitle: x\nsummary: y\nsymptoms: []\n")
    if duplicate:  # the same id in the first and the last run of files: load_all reports it
        text = (folder / "synthetic-0001.yaml").read_text(encoding="utf-8")
        (folder / "zz-duplicate.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv(speed.JOBS_ENV, "2")
    expected = load_all([folder])
    assert expected[1]
    assert speed.load_playbooks(folder) == expected


def test_the_loading_workers_write_the_pages_the_generator_writes(tmp_path: Path, monkeypatch) -> None:
    from runner.site import speed
    from runner.site.pages import generated_pages

    folder = synthetic_playbooks(tmp_path / "playbooks", 2 * speed.MIN_FILES_PER_WORKER + 10, "full")
    monkeypatch.setenv(speed.JOBS_ENV, "2")
    playbooks, problems = speed.load_playbooks(folder)
    assert not problems
    assert len(speed._written) == len(playbooks)  # written by the workers, not here
    expected = generated_pages(playbooks, "ko")  # the workers write the first language's pages
    written = speed.generated_markdown(playbooks)
    assert list(written) == list(expected) and written == expected
    assert speed.generated_markdown(playbooks[:3]) == generated_pages(playbooks[:3], "ko")
    assert speed.generated_markdown(playbooks[:3], "en") == generated_pages(playbooks[:3], "en") != \
        generated_pages(playbooks[:3], "ko")


HIGHLIGHTING = r'''
import markdown
from runner.site import speed

def render():
    return [html for config in ({}, {"anchor_linenums": True}) for html in render_with(config)]

def render_with(config):
    md = markdown.Markdown(extensions=["pymdownx.highlight", "pymdownx.superfences"],
                           extension_configs={"pymdownx.highlight": config})
    page = ("```bash\ndocker builder prune --force\n```\n\n```yaml\nkeep: 1 # docker builder prune --force\n```\n\n"
            "```bash\nkeep: 1 # docker builder prune --force\n```\n\n"
            "```bash linenums=\"3\"\ndocker builder prune --force\n```\n")
    return [md.reset().convert(page) for _ in range(2)]

plain = render()
speed._reuse_highlighting()
print(plain == render())
'''


def test_a_worker_highlights_a_repeated_block_as_pygments_does() -> None:
    """Shared formatters and remembered blocks: the same HTML for the same source in another
    language, with line numbers, and on the next page (in a process of its own: the patch is
    what a worker process gets)."""
    result = subprocess.run([sys.executable, "-c", HIGHLIGHTING], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


INLINE = r'''
import glob, sys
import markdown
from mkdocs.config import load_config
from runner.site import speed
from runner.site.playbook_page import playbook_markdown
from runner.playbook.loader import load_all

config = load_config("mkdocs.yml")
from pathlib import Path
playbooks, _ = load_all([Path("playbooks")])
texts = [playbook_markdown(p) for p in playbooks]
texts += [open(path, encoding="utf-8").read() for path in sorted(glob.glob("docs/**/*.md", recursive=True))]
texts += sys.argv[1:]
texts.append("""Plain text; `code` and ``a ` tick``, \\*escaped\\*, **bold *nested* bold**, _under_,
[link](https://example.com "title") ![img](x.png) <https://auto.link> <mail@example.com>
<span class="x">html</span> &amp; &copy; trailing two spaces  
next line[^1] *a **b** c* __strong__ ***both***

[^1]: A footnote with `code` and [a link][ref].

[ref]: https://example.com
*[HTML]: Hyper Text Markup Language

HTML in an abbreviation, and a term
:   with a definition *here*

- [ ] a task with `code`
- [x] done

| a | b |
|---|---|
| `x` | **y** |

!!! note "Title *with* markup"
    Body with [a link](#x) and `code`.

=== "Tab *one*"
    `code` in a tab
""")

def render():
    return [markdown.Markdown(extensions=config.markdown_extensions,
                              extension_configs=config.mdx_configs).convert(text) for text in texts]

plain = render()
speed._skip_unmatched_inline_patterns()
speed._skip_unmatched_inline_patterns()  # twice: wrapped once
print(len(texts), plain == render())
'''


def test_skipping_inline_patterns_that_find_nothing_renders_the_same_html(tmp_path: Path) -> None:
    """What a worker's shortcut gives is Python-Markdown's own HTML: the real playbooks and
    pages, synthetic full-size playbooks, and text with every kind of inline markup the site's
    extensions handle (in a process of its own: the patch is what a worker process gets)."""
    folder = synthetic_playbooks(tmp_path / "playbooks", 30, "full")
    from runner.playbook.loader import load_all
    from runner.site.playbook_page import playbook_markdown

    synthetic = [playbook_markdown(p) for p in load_all([folder])[0]]
    result = subprocess.run([sys.executable, "-c", INLINE, *synthetic], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    count, same = result.stdout.split()
    assert int(count) > 45 and same == "True"
