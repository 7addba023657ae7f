"""The image-vs-context check's pure parts (runner/checks/compare.py), without an engine: Docker's
timestamps, which build steps can be CACHED, layer and config comparison, byte comparison of
verbatim copies against a stand-in for the image's files, and the errors it gives before it
asks the engine anything. The check on a real engine runs through the buildkit-stale playbook
(tests/diagnose/test_diagnosis_engine.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

import pytest

from runner.engine.building import _non_cacheable
from runner.checks.compare import (
    _config_sans_labels,
    _layers,
    image_times,
    compare_verbatim,
    image_vs_context,
)
from runner.checks.docker import FileEntry
from runner.checks.kinds import ImageVsContextArgs
from runner.checks.result import CheckContext

BUILD_LOG = """\
#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 120B done
#2 [internal] load .dockerignore
#3 [internal] load metadata for docker.io/library/busybox:latest
#4 [builder 1/3] FROM docker.io/library/busybox
#5 [internal] load build context
#6 [builder 2/3] WORKDIR /src
#6 CACHED
#7 [builder 3/3] RUN make
#8 [stage-1 2/2] COPY --from=builder /out /app
"""


def test_the_build_moment_is_the_last_tagging_and_the_content_is_as_old_as_created():
    local = SimpleNamespace(api=SimpleNamespace(base_url="http+docker://localhost"))
    cached_rebuild = {"Created": "2024-05-01T12:34:56.123456789Z",
                      "Metadata": {"LastTagTime": "2024-06-01T08:00:00.5Z"}}
    assert image_times(cached_rebuild, local) == (dt.datetime(2024, 6, 1, 8, 0, 0, 500000, tzinfo=dt.timezone.utc),
                                                  dt.datetime(2024, 5, 1, 12, 34, 56, 123457, tzinfo=dt.timezone.utc))
    never_tagged = {"Created": "2024-05-01T12:34:56Z", "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"}}
    moment = dt.datetime(2024, 5, 1, 12, 34, 56, tzinfo=dt.timezone.utc)
    assert image_times(never_tagged, local) == (moment, moment)


def test_internal_steps_and_from_are_never_counted_as_cacheable():
    assert _non_cacheable(BUILD_LOG, {str(n) for n in range(1, 9)}) == {"1", "2", "3", "4", "5"}


def test_layers_and_config_compare_without_labels():
    attrs = {"RootFS": {"Layers": ["sha256:a", "sha256:b"]},
             "Config": {"Cmd": ["sh"], "Labels": {"built-by": "ci"}}}
    assert _layers(attrs) == ["sha256:a", "sha256:b"]
    assert _layers({}) is None
    relabelled = {**attrs, "Config": {"Cmd": ["sh"], "Labels": {"built-by": "me"}}}
    assert _config_sans_labels(attrs) == _config_sans_labels(relabelled) == {"Cmd": ["sh"]}


def _entry(path: str, data: bytes) -> FileEntry:
    return FileEntry(path, "file", len(data), 0o644, hashlib.sha256(data).hexdigest(), data)


def test_verbatim_copies_are_compared_by_bytes_reading_only_what_is_compared(tmp_path, monkeypatch):
    (tmp_path / "public").mkdir()
    (tmp_path / "public/index.html").write_bytes(b"<h1>new</h1>\n")
    (tmp_path / "public/same.css").write_bytes(b"body {}\n")
    (tmp_path / "public/added.js").write_bytes(b"x\n")
    (tmp_path / "server.js").write_bytes(b"v2\n")
    files = {"/app/public/index.html": _entry("/app/public/index.html", b"<h1>old</h1>\n"),
             "/app/public/same.css": _entry("/app/public/same.css", b"body {}\n"),
             "/app/server.js": _entry("/app/server.js", b"v1\n"),
             "/app/dist/huge.js": _entry("/app/dist/huge.js", b"x" * 100)}
    reads = []

    def read_tree(target, path, wanted=None):
        reads.append(path)
        found = {p: e for p, e in files.items() if p == path or p.startswith(path + "/")}
        return found or None

    monkeypatch.setattr("runner.checks.compare.read_tree", read_tree)
    monkeypatch.setattr("runner.checks.compare.FOLDER_READ_FROM", 3)
    pairs = [("public/index.html", "/app/public/index.html"), ("public/same.css", "/app/public/same.css"),
             ("public/added.js", "/app/public/added.js"), ("server.js", "/app/server.js"),
             ("gone.txt", "/app/gone.txt")]
    mismatched = {m["path"]: m for m in compare_verbatim(object(), pairs, tmp_path)}
    # public/ holds 3 of them: one read of the folder; /app only 2: each file alone, never /app whole
    assert sorted(reads) == ["/app/gone.txt", "/app/public", "/app/server.js"]
    assert set(mismatched) == {"public/index.html", "public/added.js", "server.js"}  # gone.txt: not in the context
    assert mismatched["public/index.html"]["same_size"] is True
    assert mismatched["public/index.html"]["context_sha256"] == hashlib.sha256(b"<h1>new</h1>\n").hexdigest()[:16]
    assert mismatched["public/added.js"]["image_sha256"] is None and mismatched["public/added.js"]["image_size"] is None
    assert mismatched["server.js"]["image_path"] == "/app/server.js"


def test_a_context_it_cannot_read_is_an_error_before_the_engine_is_asked(tmp_path):
    ctx = CheckContext(cwd=tmp_path, docker_host="unix:///nonexistent.sock")
    missing = image_vs_context(ImageVsContextArgs(context=str(tmp_path / "nope"), image="app:1"), ctx)
    assert (missing.status, missing.summary) == ("error", f"build context {tmp_path / 'nope'} is not a directory")
    no_dockerfile = image_vs_context(ImageVsContextArgs(context=str(tmp_path), image="app:1"), ctx)
    assert (no_dockerfile.status, no_dockerfile.summary) == ("error", f"no Dockerfile in {tmp_path}")


@pytest.mark.engine
def test_an_image_larger_than_memory_is_read_streamed_and_only_where_compared(engine, tmp_path):
    """An /app of 300 MiB and 3,000 files beside one verbatim file: the compare reads the file
    alone, and a whole read of the folder streams it, its memory flat (it used to buffer the
    archive and give up past 256 MiB, an error for the whole diagnosis)."""
    import tracemalloc

    import dockerlab

    from runner.checks.docker import readable
    from runner.checks.docker import read_tree as real_read_tree
    from runner.engine.endpoints import client_for, resolve_endpoint

    (tmp_path / "package.json").write_text('{"name": "app"}\n')
    (tmp_path / "Dockerfile").write_text(
        f"FROM {dockerlab.BASE_IMAGE}\nLABEL {dockerlab.LABEL}={dockerlab.SESSION}\n"
        "RUN mkdir -p /app/dist && dd if=/dev/zero of=/app/dist/big bs=1M count=300 2>/dev/null && "
        "i=0; while [ $i -lt 3000 ]; do echo $i > /app/dist/f$i; i=$((i+1)); done\n"
        "COPY package.json /app/\n")
    image = f"runner-test-large-{dockerlab.SESSION}:1"
    dockerlab.docker("build", "-q", "-t", image, str(tmp_path))
    client = client_for(resolve_endpoint().host)
    try:
        with readable(client, image=image) as target:
            tracemalloc.start()
            try:
                assert compare_verbatim(target, [("package.json", "/app/package.json")], tmp_path) == []
                tree = real_read_tree(target, "/app")
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    finally:
        dockerlab.docker("rmi", "-f", image, check=False)  # 300 MiB: not kept until the session ends
    assert tree["/app/dist/big"].size == 300 * 2**20
    zeros = hashlib.sha256()
    for _ in range(300):
        zeros.update(bytes(2**20))
    assert tree["/app/dist/big"].sha256 == zeros.hexdigest()
    assert sum(1 for entry in tree.values() if entry.kind == "file") == 3002
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MiB held while reading 300 MiB"


def test_the_analysis_ahead_is_the_checks_own_or_the_error_that_stops_it(tmp_path):
    """What diagnose starts ahead for this check (the build, here none: build=false) holds the
    context's analysis, as the check would make it, or the ContextError it would report."""
    from runner.buildctx import ContextError
    from runner.buildctx.copies import analyze_context
    from runner.checks.compare import Ahead, start_ahead
    from runner.checks.exclusions import build_flavor

    ctx = CheckContext(cwd=tmp_path, docker_host="unix:///nonexistent.sock")
    args = ImageVsContextArgs(context=str(tmp_path), image="app:1", build=False)
    assert start_ahead(args, ctx) is None  # no Dockerfile: the check says so itself
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY package.json /app/\n")
    (tmp_path / "package.json").write_text("{}\n")
    ahead = start_ahead(args, ctx)
    assert isinstance(ahead, Ahead) and ahead.build is None
    assert ahead.analysis().verbatim() == analyze_context(tmp_path, flavor=build_flavor()[0]).verbatim() != []
    ahead.discard()  # nothing to stop
    (tmp_path / ".dockerignore").write_text("[\n")  # a pattern Go's filepath.Match refuses
    assert isinstance(start_ahead(args, ctx).analysis(), ContextError)
    serial = start_ahead(args, CheckContext(cwd=tmp_path, serial=True))
    assert serial._analysis.done() and isinstance(serial.analysis(), ContextError)  # in this thread
