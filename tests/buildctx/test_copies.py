"""COPY/ADD expansion (runner/buildctx/copies.py): where BuildKit's dispatchCopy puts context
files, followed through the stages a build runs; the engine-marked tests build the same
contexts on the engine and compare."""

from __future__ import annotations

import io
import re
import shutil
import tarfile
from pathlib import Path

import pytest
from contextkit import (
    build_to_dir,
    engine_available,
    files_under,
    make_context,
    make_seed_context,
)

from runner.buildctx import ContextError, DockerfileError
from runner.buildctx.copies import (
    analyze_context,
    copied_context_files,
    covering_copies,
    verbatim_files,
)
from runner.buildctx.dockerfile import parse_dockerfile

# --------------------------------------------------------------------------- COPY expansion


@pytest.fixture
def seed_context(tmp_path) -> Path:
    return make_seed_context(tmp_path / "app")


def test_verbatim_files_of_a_seed_like_build(seed_context):
    assert verbatim_files(seed_context) == [("public/index.html", "/app/public/index.html")]
    ((relpath, image_path),) = verbatim_files(seed_context)  # unpacks as a pair
    assert relpath == "public/index.html"


def test_copied_context_files_with_and_without_dockerignore(seed_context):
    assert copied_context_files(seed_context) == ["public/index.html", "server/routes/authRoutes.ts"]
    assert copied_context_files(seed_context, honour_dockerignore=False) == [
        "public/index.html", "server/routes/authRoutes.ts", "server/routes/settings.local.ts"]


def test_copies_of_answers_by_path_even_inside_a_skipped_directory(seed_context):
    (seed_context / ".dockerignore").write_text("server/routes\n")
    analysis = analyze_context(seed_context)
    assert "server/routes/authRoutes.ts" not in copied_context_files(seed_context, honour_dockerignore=False)
    assert [c.line for c in analysis.copies_of("server/routes/authRoutes.ts")] == [3]
    assert [c.line for c in analysis.copies_of("server/routes/deleted-since.ts")] == [3]
    assert analysis.copies_of("README.md") == []
    assert analysis.ignore.excluded("server/routes/authRoutes.ts") == (True, "server/routes")


def test_analysis_reports_excluded_files_per_copy(seed_context):
    analysis = analyze_context(seed_context)
    server, public = analysis.copies
    assert [f.context_path for f in server.files] == ["server/routes/authRoutes.ts"]
    assert server.files[0].image_path == "/src/server/routes/authRoutes.ts"
    assert [(e.relpath, e.pattern) for e in server.excluded] == [("server/routes/settings.local.ts", "**/*.local.ts")]
    assert public.excluded == () and analysis.target == 1 and analysis.needed_stages == (0, 1)


def test_files_copied_before_a_run_are_not_verbatim_by_default(tmp_path):
    root = make_context(tmp_path / "c", {
        "Dockerfile": "FROM b\nWORKDIR /app\nCOPY . .\nRUN build\nCOPY late.txt /late.txt\n",
        "src/a.js": "a\n", "late.txt": "l\n"})
    assert verbatim_files(root) == [("late.txt", "/late.txt")]
    assert ("src/a.js", "/app/src/a.js") in verbatim_files(root, include_modified=True)


def test_files_reach_the_final_stage_through_copy_from(tmp_path):
    root = make_context(tmp_path / "c", {
        "Dockerfile": ("FROM scratch AS assets\nWORKDIR /src\nCOPY web/ ./web/\nCOPY logo.png .\n"
                       "FROM scratch AS unused\nCOPY web /w\n"
                       "FROM scratch\nCOPY --from=assets src/web /site\nCOPY --from=assets /src/logo.png /site/img/\n"),
        "web/index.html": "i\n", "web/css/a.css": "c\n", "logo.png": "p\n"})
    analysis = analyze_context(root)
    assert analysis.needed_stages == (0, 2)
    assert verbatim_files(root) == [
        ("web/css/a.css", "/site/css/a.css"), ("logo.png", "/site/img/logo.png"), ("web/index.html", "/site/index.html")]
    assert [f.copied_in_stage for f in analysis.final_files] == [0, 0, 0]


def test_a_copy_of_unknown_content_over_tracked_files_makes_them_unsure(tmp_path):
    root = make_context(tmp_path / "c", {
        "Dockerfile": ("FROM b AS build\nCOPY . /src\nRUN make\n"
                       "FROM b\nCOPY public /app/public\nCOPY --from=build /src/app.js /app/\n"
                       "COPY --from=build /src/dist /app/public\n"),
        "public/index.html": "i\n", "public/other.html": "o\n", "app.js": "a\n"})
    # /app/public may now hold build output over our files; app.js went through a RUN.
    assert verbatim_files(root) == []
    unsure = {f.image_path: f.modified_later for f in analyze_context(root).final_files}
    assert unsure == {"/app/app.js": True, "/app/public/index.html": True, "/app/public/other.html": True}


def test_destinations_follow_dispatch_copy(tmp_path):
    root = make_context(tmp_path / "c", {
        "Dockerfile": ("FROM scratch\nWORKDIR /app\nCOPY one.txt /app\nCOPY one.txt renamed.txt\n"
                       "COPY *.md docs/\nCOPY dir .\nCOPY ./dir/../one.txt /abs/\n"),
        "one.txt": "1\n", "a.md": "a\n", "b.md": "b\n", "dir/x/y.txt": "y\n"})
    paths = {(f.context_path, f.image_path) for f in analyze_context(root).final_files}
    assert paths == {
        ("one.txt", "/app/one.txt"),  # /app is WORKDIR: a directory, the file goes inside
        ("one.txt", "/app/renamed.txt"), ("a.md", "/app/docs/a.md"), ("b.md", "/app/docs/b.md"),
        ("dir/x/y.txt", "/app/x/y.txt"),  # a directory source copies its contents
        ("one.txt", "/abs/one.txt"),
    }
    renamed = next(f for f in analyze_context(root).final_files if f.image_path == "/app/renamed.txt")
    assert renamed.alt_image_path == "/app/renamed.txt/one.txt"  # if the base image had that directory


def test_missing_sources_and_empty_wildcards(tmp_path):
    root = make_context(tmp_path / "c", {
        "Dockerfile": "FROM scratch\nCOPY server /s/\nCOPY gone.txt /g\nCOPY *.zzz /z/\n",
        "server/a.ts": "a\n", ".dockerignore": "server\n"})
    server, gone, wild = analyze_context(root).copies
    assert server.missing == ("server (excluded by 'server')",)
    assert [(e.relpath, e.is_dir) for e in server.excluded] == [("server", True)]
    assert gone.missing == ("gone.txt",) and wild.empty_wildcards == ("*.zzz",)


def test_add_of_a_local_archive_is_unpacked_not_verbatim(tmp_path):
    root = make_context(tmp_path / "c", {"Dockerfile": "FROM scratch\nADD bundle.tar.gz /opt/\nADD plain.txt /opt/\n",
                                         "plain.txt": "p\n"})
    with tarfile.open(root / "bundle.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("inner.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"in\n"))
    assert verbatim_files(root) == [("plain.txt", "/opt/plain.txt")]
    assert [f.unpacked for f in analyze_context(root).final_files] == [True, False]


def test_symlinks_are_not_verbatim(tmp_path):
    root = make_context(tmp_path / "c", {"Dockerfile": "FROM scratch\nCOPY . /app/\n", "real.txt": "r\n"})
    (root / "link.txt").symlink_to("real.txt")
    assert ("link.txt", "/app/link.txt") not in verbatim_files(root)
    assert ("real.txt", "/app/real.txt") in verbatim_files(root)


def test_dockerfile_specific_ignore_file_wins(tmp_path):
    # Verified on 20.10: <Dockerfile>.dockerignore replaces .dockerignore.
    root = make_context(tmp_path / "c", {"Dockerfile": "FROM scratch\nCOPY . /ctx/\n", "a.txt": "a\n", "b.txt": "b\n",
                                         "Dockerfile.dockerignore": "a.txt\n", ".dockerignore": "b.txt\n"})
    analysis = analyze_context(root)
    assert analysis.dockerignore_path == root / "Dockerfile.dockerignore"
    assert "b.txt" in copied_context_files(root) and "a.txt" not in copied_context_files(root)


def test_covering_copies_by_path_alone():
    df = parse_dockerfile("FROM a\nCOPY server ./server\nCOPY *.json ./\nCOPY . /all\nFROM b\nCOPY --from=0 /x /y\n")
    lines = lambda p: [c.line for c in covering_copies(df, p)]  # noqa: E731
    assert lines("server/routes/a.ts") == [2, 4]
    assert lines("package.json") == [3, 4]
    assert lines("sub/package.json") == [4]
    assert covering_copies(df, "README.md", stages=[1]) == []


def test_analysis_errors(tmp_path):
    with pytest.raises(ContextError, match="not a directory"):
        analyze_context(tmp_path / "nope")
    with pytest.raises(ContextError, match="no Dockerfile"):
        analyze_context(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM a\n")
    with pytest.raises(DockerfileError, match="no stage"):
        analyze_context(tmp_path, target="nope")


# --------------------------------------------------------------------------- replayed on the engine


@pytest.mark.engine
def test_engine_puts_copied_files_where_the_analysis_says(tmp_path):
    if not engine_available():
        pytest.skip("no Docker engine")
    root = make_context(tmp_path / "ctx", {
        "Dockerfile": ("FROM scratch AS builder\nWORKDIR /src\nCOPY server ./server\nCOPY app.js .\n"
                       "COPY pkg.json /src\nCOPY *.md docs/\nWORKDIR sub\nCOPY lib.txt ./\nCOPY tree/* /src/flat/\n"
                       "FROM scratch\nWORKDIR /app\nCOPY --from=builder src/server ./srv\n"
                       "COPY --from=builder /src/app.js /app/\nCOPY --from=0 /src/sub/lib.txt /app/lib-copy.txt\n"
                       "COPY --from=builder /src/docs /app/docs\nCOPY public ./public\n"
                       'COPY ["with space.txt", "/app/ws/"]\nCOPY nomatch*.zzz /app/none/\n'
                       "COPY single.txt /app/renamed.txt\nCOPY single.txt /app\nCOPY --from=builder /src/flat /app/flat\n"
                       "COPY kept ./kept\n"),
        "server/routes/a.ts": "s\n", "public/index.html": "p\n", "app.js": "a\n", "pkg.json": "j\n",
        "README.md": "r\n", "CHANGES.md": "c\n", "lib.txt": "l\n", "with space.txt": "w\n", "single.txt": "1\n",
        "tree/x/t.txt": "t\n", "kept/in.txt": "i\n", "kept/out.log": "o\n", ".dockerignore": "*.log\nkept/*.log\n"})
    done = build_to_dir(root, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    predicted = sorted(f.image_path.lstrip("/") for f in analyze_context(root).final_files)
    assert files_under(tmp_path / "out") == predicted
    assert "app/kept/out.log" not in predicted


@pytest.mark.engine
def test_engine_fails_on_a_source_the_analysis_calls_missing(tmp_path):
    if not engine_available():
        pytest.skip("no Docker engine")
    root = make_context(tmp_path / "ctx", {"Dockerfile": "FROM scratch\nCOPY server /s/\n",
                                           "server/a.ts": "a\n", ".dockerignore": "server\n"})
    assert analyze_context(root).copies[0].missing
    done = build_to_dir(root, tmp_path / "out")
    # 20.10: `"/server" not found`; BuildKit 0.13 (Docker 26): `"/server": not found`
    assert done.returncode != 0 and re.search(r'"/server":? not found', done.stderr), done.stderr
    shutil.rmtree(tmp_path / "out", ignore_errors=True)


def test_a_copy_source_outside_the_context_is_a_context_error_not_a_crash(tmp_path):
    from runner.buildctx import ContextError
    from runner.buildctx.copies import analyze_context

    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY ../shared/z.txt /z\n")
    with pytest.raises(ContextError, match="outside the build context"):
        analyze_context(tmp_path, "Dockerfile")
