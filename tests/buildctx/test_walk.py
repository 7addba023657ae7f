"""The context walk (runner/buildctx/walk.py): what Docker 20.10.24 sent as the build context,
recorded from real builds (`FROM scratch`, `COPY . /ctx/`, `--output type=local`), which the
LEGACY flavour must reproduce; the engine-marked test replays those builds on the session's engine
and compares with the walk of that client's flavour (Docker 26.1's buildx sent what MODERN predicts
for all of them, RUNNER_LAB_FULL=1).
"""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import pytest
from contextkit import build_to_dir, engine_available, files_under, make_context, session_flavor

from runner.buildctx.dockerignore import LEGACY
from runner.buildctx.walk import context_files

# What Docker 20.10.24 sent (`COPY . /ctx/` of a context with these files, Dockerfile and
# .dockerignore included). LEGACY must reproduce each exactly.
ENGINE_CASES = {
    "root_ts": ("*.ts\n", ["a.ts", "dir/b.ts", "dir/sub/c.ts", "keep.txt"],
                [".dockerignore", "Dockerfile", "dir/b.ts", "dir/sub/c.ts", "keep.txt"]),
    "all_ts": ("**/*.ts\n", ["a.ts", "dir/b.ts", "dir/sub/c.ts", "keep.txt"], [".dockerignore", "Dockerfile", "keep.txt"]),
    "docs_except": ("docs\n!docs/README.md\n", ["docs/README.md", "docs/a.md", "docs/sub/b.md", "x"],
                    [".dockerignore", "Dockerfile", "docs/README.md", "x"]),
    "docs_star_except": ("docs/*\n!docs/README.md\n", ["docs/README.md", "docs/a.md", "docs/sub/b.md", "x"],
                         [".dockerignore", "Dockerfile", "docs/README.md", "x"]),
    "star_except_wild": ("*\n!src/**/*.go\n", ["src/pkg/a.go", "src/b.go", "src/c.txt", "x.go"], ["src/b.go"]),
    "starstar_except": ("**\n!util/docker/web\n", ["util/docker/web/foo", "util/docker/web/sub/bar", "util/other"],
                        ["util/docker/web/foo", "util/docker/web/sub/bar"]),
    "leading_slash": ("/foo\n  bar  \n# baz\n", ["foo", "dir/foo", "bar", "baz"],
                      [".dockerignore", "Dockerfile", "baz", "dir/foo"]),
    "qmark": ("a?c\n", ["abc", "a/c/x", "abcd", "sub/abc"], [".dockerignore", "Dockerfile", "a/c/x", "abcd", "sub/abc"]),
    "class": ("[a-c]*.txt\n", ["a1.txt", "b.txt", "d.txt", "sub/a.txt"], [".dockerignore", "Dockerfile", "d.txt", "sub/a.txt"]),
    "node_modules_root": ("node_modules\n", ["node_modules/x/i.js", "pkg/node_modules/y.js", "app.js"],
                          [".dockerignore", "Dockerfile", "app.js", "pkg/node_modules/y.js"]),
    "node_modules_all": ("**/node_modules\n", ["node_modules/x/i.js", "pkg/node_modules/y.js", "app.js"],
                         [".dockerignore", "Dockerfile", "app.js"]),
    "build_files": ("Dockerfile\n.dockerignore\n*.md\n", ["README.md", "app.js"], ["app.js"]),
    "trailing_slash": ("dir/\n", ["dir/a", "dir/b/c", "dirx"], [".dockerignore", "Dockerfile", "dirx"]),
    "suffix_starstar": ("**file\n", ["afile", "file", "dir/file", "dir/xfile", "other"],
                        [".dockerignore", "Dockerfile", "afile", "dir/xfile", "other"]),
    "escape_set": ("a+b\n(x)\n", ["a+b", "aab", "(x)", "x"], ["(x)", ".dockerignore", "Dockerfile", "a+b"]),
    "except_wild_after_dir": ("docs\n!*.md\n", ["docs/x.md", "x.md", "docs/y.txt"], [".dockerignore", "Dockerfile", "x.md"]),
    "except_subdir": ("docs\n!docs/sub\n", ["docs/sub/a", "docs/sub/deep/b", "docs/other"],
                      [".dockerignore", "Dockerfile", "docs/sub/a", "docs/sub/deep/b"]),
    "docs_example": ("*/temp*\n*/*/temp*\ntemp?\n", ["temp1", "tempxx", "a/temp.txt", "a/b/temp.txt", "a/b/c/temp.txt", "temp"],
                     [".dockerignore", "Dockerfile", "a/b/c/temp.txt", "temp", "tempxx"]),
    "git_dir": (".git\n", [".git/HEAD", ".gitignore", "sub/.git/x"], [".dockerignore", ".gitignore", "Dockerfile", "sub/.git/x"]),
    "last_wins": ("*.md\n!README*.md\nREADME-secret.md\n", ["a.md", "README.md", "README-secret.md"],
                  [".dockerignore", "Dockerfile", "README.md"]),
    "dirstar_except_deep": ("a/**\n!a/b/c.txt\n", ["a/b/c.txt", "a/b/d.txt", "a/e.txt"],
                            [".dockerignore", "Dockerfile", "a/b/c.txt"]),
    "parent_exclusion_wild": ("*/\n!keep/**\n", ["keep/a", "keep/b/c", "drop/a", "top"], ["keep/a", "keep/b/c"]),
    "dotfiles": (".*\n", [".env", ".config/x", "a/.hidden", "normal"], ["Dockerfile", "a/.hidden", "normal"]),
    "escape_star": ("a\\*b\n", ["a*b", "axb"], [".dockerignore", "Dockerfile", "axb"]),
    "starstar_middle": ("a/**/z\n", ["a/b/z", "a/b/c/z", "a/zz", "a/y", "a/z/q"], [".dockerignore", "Dockerfile", "a/y", "a/zz"]),
    "starstar_dir_except": ("**/x\n!x/keep\n", ["x/keep", "x/w", "x/y/z", "o"],
                            [".dockerignore", "Dockerfile", "o", "x/keep", "x/w", "x/y/z"]),
    "wild_parent": ("a*/b\n!ab/b/keep\n", ["ab/b/keep", "ab/b/c/d", "ab/b/e"], [".dockerignore", "Dockerfile", "ab/b/keep"]),
    "prefix_starstar_except": ("dist/**\n!dist/keep/*.txt\n", ["dist/a", "dist/keep/x.txt", "dist/keep/sub/y.txt", "dist/keep/z.bin"],
                               [".dockerignore", "Dockerfile", "dist/keep/x.txt"]),
}
ENGINE_DOCKERFILE = "FROM scratch\nCOPY . /ctx/\n"


def engine_case(tmp_path: Path, name: str) -> Path:
    ignore, files, _ = ENGINE_CASES[name]
    root = make_context(tmp_path / name, files)
    (root / "Dockerfile").write_text(ENGINE_DOCKERFILE)
    (root / ".dockerignore").write_text(ignore)
    return root


@pytest.mark.parametrize("name", sorted(ENGINE_CASES))
def test_context_files_reproduce_what_docker_20_10_sent(tmp_path, name):
    root = engine_case(tmp_path, name)
    sent = sorted(f.relpath for f in context_files(root, flavor=LEGACY) if not f.excluded)
    assert sent == sorted(ENGINE_CASES[name][2])


def test_context_files_report_pattern_and_skipped_directories(tmp_path):
    root = make_context(tmp_path / "c", ["node_modules/a/b.js", "src/app.ts", "src/app.test.ts", "README.md"])
    (root / ".dockerignore").write_text("node_modules\n**/*.test.ts\n")
    files = {f.relpath: f for f in context_files(root)}
    assert files["node_modules"] == ("node_modules", True, "node_modules", True)  # not entered: one entry
    assert files["src/app.test.ts"] == ("src/app.test.ts", True, "**/*.test.ts", False)
    assert files["src/app.ts"] == ("src/app.ts", False, None, False)
    assert "node_modules/a/b.js" not in files


# --------------------------------------------------------------------------- replayed on the engine


# The .dockerignore facts BuildKit was seen to follow, and every case where the flavours differ; RUNNER_LAB_FULL=1 replays all (~6 s).
ENGINE_REPLAY = ["root_ts", "all_ts", "docs_except", "build_files", "star_except_wild", "suffix_starstar",
                 "escape_set", "starstar_dir_except"]


@pytest.mark.engine
def test_engine_sends_what_the_walk_predicts_for_its_client(tmp_path):
    """On 20.10 that is the recorded table (LEGACY); on a buildx-era client the MODERN walk, which
    differs from the table where test_dockerignore.py's flavour table says."""
    if not engine_available():
        pytest.skip("no Docker engine")
    names = sorted(ENGINE_CASES) if os.environ.get("RUNNER_LAB_FULL") else ENGINE_REPLAY
    contexts = {name: engine_case(tmp_path / "ctx", name) for name in names}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        builds = {name: pool.submit(build_to_dir, root, tmp_path / "out" / name) for name, root in contexts.items()}
    for name, future in builds.items():
        done = future.result()
        assert done.returncode == 0, done.stderr
        predicted = sorted(f.relpath for f in context_files(contexts[name], flavor=session_flavor()) if not f.excluded)
        assert files_under(tmp_path / "out" / name / "ctx") == predicted, name
