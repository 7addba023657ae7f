"""Builds of the real site, shared by the site tests (each build takes about two seconds)."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sitekit import CHROMIUM, CHROMIUM_ARGS, FIXTURES, OUTPUT, ROOT, Build, build_site


@pytest.fixture(scope="session")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The site exactly as `mkdocs build --strict` makes it from this repository."""
    build = build_site(tmp_path_factory.mktemp("site") / "site")
    assert build.returncode == 0, build.log
    return build


@pytest.fixture(scope="session")
def compound_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The real playbooks plus a fixture written with Hangul compounds (빌드캐시, 이미지삭제)."""
    folder = tmp_path_factory.mktemp("playbooks")
    for path in sorted((ROOT / "playbooks").glob("*.yaml")):
        shutil.copy(path, folder / path.name)
    shutil.copy(FIXTURES / "compound-words.yaml", folder)
    build = build_site(tmp_path_factory.mktemp("compound") / "site", playbooks=folder)
    assert build.returncode == 0, build.log
    return build


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def serve() -> Iterator:
    """serve(folder) -> base URL of a static server on 127.0.0.1 (a free port)."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
