"""The image-vs-context check's pure parts (runner/checks/compare.py), without an engine: Docker's
timestamps, which build steps can be CACHED, layer and config comparison, byte comparison of
verbatim copies against a stand-in for the image's files, and the errors it gives before it
asks the engine anything. The check on a real engine runs through the buildkit-stale playbook
(tests/diagnose/test_diagnosis_engine.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

from runner.checks.compare import (
    _config_sans_labels,
    _layers,
    _non_cacheable,
    built_at,
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


def test_the_build_moment_is_the_last_tagging_not_the_first_build():
    local = SimpleNamespace(api=SimpleNamespace(base_url="http+docker://localhost"))
    cached_rebuild = {"Created": "2024-05-01T12:34:56.123456789Z",
                      "Metadata": {"LastTagTime": "2024-06-01T08:00:00.5Z"}}
    assert built_at(cached_rebuild, local) == dt.datetime(2024, 6, 1, 8, 0, 0, 500000, tzinfo=dt.timezone.utc)
    never_tagged = {"Created": "2024-05-01T12:34:56Z", "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"}}
    assert built_at(never_tagged, local) == dt.datetime(2024, 5, 1, 12, 34, 56, tzinfo=dt.timezone.utc)


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


def test_verbatim_copies_are_compared_by_bytes_one_read_per_folder(tmp_path, monkeypatch):
    (tmp_path / "public").mkdir()
    (tmp_path / "public/index.html").write_bytes(b"<h1>new</h1>\n")
    (tmp_path / "public/same.css").write_bytes(b"body {}\n")
    (tmp_path / "public/added.js").write_bytes(b"x\n")
    (tmp_path / "server.js").write_bytes(b"v2\n")
    image = {"/app/public": {"/app/public/index.html": _entry("/app/public/index.html", b"<h1>old</h1>\n"),
                             "/app/public/same.css": _entry("/app/public/same.css", b"body {}\n")},
             "/app": {"/app/server.js": _entry("/app/server.js", b"v1\n")}}
    reads = []

    def read_tree(target, folder):
        reads.append(folder)
        return image.get(folder)

    monkeypatch.setattr("runner.checks.compare.read_tree", read_tree)
    pairs = [("public/index.html", "/app/public/index.html"), ("public/same.css", "/app/public/same.css"),
             ("public/added.js", "/app/public/added.js"), ("server.js", "/app/server.js"),
             ("gone.txt", "/app/gone.txt")]
    mismatched = {m["path"]: m for m in compare_verbatim(object(), pairs, tmp_path)}
    assert sorted(reads) == ["/app", "/app/public"]
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
