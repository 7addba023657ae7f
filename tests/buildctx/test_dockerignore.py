""".dockerignore matching, the Dockerfile parser and COPY/ADD expansion (runner/checks/context.py).

Three sources of truth:
* moby/patternmatcher's own tests (patternmatcher_test.go, ignorefile_test.go), ported as tables
  for the MODERN flavour (and Go's filepath.Match tests, for both);
* what Docker 20.10.24 sent as the build context, recorded from real builds (`FROM scratch`,
  `COPY . /ctx/`, `--output type=local`) for the LEGACY flavour; the engine-marked tests at the
  end replay those builds when an engine is there;
* BuildKit's dispatchCopy for where COPY puts files, also replayed on the engine.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from runner.checks.context import (
    LEGACY,
    MODERN,
    BadPattern,
    ContextError,
    DockerfileError,
    DockerIgnore,
    IgnorePattern,
    analyze_context,
    context_files,
    copied_context_files,
    covering_copies,
    dockerfile,
    dockerignore,
    extract_flags,
    flavor_for_client,
    go_clean,
    go_match,
    ignore_for_build,
    parse_dockerfile,
    read_ignore_lines,
    verbatim_files,
)
from runner.checks.kinds import ContextArgs, DockerignoreArgs
from runner.checks.result import CheckContext

# --------------------------------------------------------------------------- helpers


def make_context(root: Path, files: dict[str, str] | list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    items = files.items() if isinstance(files, dict) else ((f, f + "\n") for f in files)
    for name, text in items:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def excluded(patterns: list[str], path: str, flavor: str = MODERN) -> bool:
    return DockerIgnore.from_lines(patterns, flavor=flavor).match(path).excluded


# --------------------------------------------------------------------------- Go helpers


@pytest.mark.parametrize("path, clean", [
    ("", "."), (".", "."), ("a/b/", "a/b"), ("a//b", "a/b"), ("./a", "a"), ("a/../b", "b"),
    ("a/../..", ".."), ("../a/..", ".."), ("/..", "/"), ("//a", "/a"), ("/a/./b/../c/", "/a/c"),
    ("!docs/", "!docs"),
])
def test_go_clean(path, clean):
    assert go_clean(path) == clean


# Go's filepath.Match tests, as patternmatcher_test.go copies them (matchTests), plus the error
# cases; run through the matcher as TestMatch does (Matches(s, []string{pattern})).
GO_MATCH_TESTS = [
    ("abc", "abc", True), ("*", "abc", True), ("*c", "abc", True), ("a*", "a", True), ("a*", "abc", True),
    ("a*", "ab/c", True), ("a*/b", "abc/b", True), ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True), ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False), ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True), ("a*b?c*x", "abxbbxdbxebxczzy", False),
    ("ab[c]", "abc", True), ("ab[b-d]", "abc", True), ("ab[e-g]", "abc", False), ("ab[^c]", "abc", False),
    ("ab[^b-d]", "abc", False), ("ab[^e-g]", "abc", True), ("a\\*b", "a*b", True), ("a\\*b", "ab", False),
    ("a?b", "a☺b", True), ("a[^a]b", "a☺b", True), ("a???b", "a☺b", False), ("a[^a][^a][^a]b", "a☺b", False),
    ("[a-ζ]*", "α", True), ("*[a-ζ]", "A", False), ("a?b", "a/b", False), ("a*b", "a/b", False),
    ("[\\]a]", "]", True), ("[\\-]", "-", True), ("[x\\-]", "x", True), ("[x\\-]", "-", True),
    ("[x\\-]", "z", False), ("[\\-x]", "x", True), ("[\\-x]", "-", True), ("[\\-x]", "a", False),
    ("*x", "xxx", True),
]
GO_BAD_PATTERNS = ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "a[", "!"]


@pytest.mark.parametrize("flavor", [MODERN, LEGACY])
@pytest.mark.parametrize("pattern, name, match", GO_MATCH_TESTS)
def test_go_filepath_match_table_through_the_matcher(pattern, name, match, flavor):
    assert excluded([pattern], name, flavor) is match


@pytest.mark.parametrize("pattern", GO_BAD_PATTERNS)
def test_bad_patterns_are_rejected_when_read(pattern):
    with pytest.raises(BadPattern):
        DockerIgnore.from_lines([pattern])


@pytest.mark.parametrize("pattern, name, match", [
    ("abc", "abc", True), ("a*", "ab/c", False), ("a*/b", "abc/b", True), ("*", "", True), ("a?", "a/", False),
    ("a[!b]c", "a!c", True), ("\\[x]", "[x]", True),
])
def test_go_match_itself_never_crosses_a_slash(pattern, name, match):
    assert go_match(pattern, name) is match


def test_go_match_checks_the_whole_pattern_even_after_a_mismatch():
    with pytest.raises(BadPattern):
        go_match("x[", "y")


# --------------------------------------------------------------------------- patternmatcher tests


# TestMatches of patternmatcher_test.go: (pattern, text, fail | exact | inexact); "exact" matches
# the text itself, "inexact" only through a parent directory.
FAIL, EXACT, INEXACT = "fail", "exact", "inexact"
PATTERNMATCHER_TESTS = [
    ("**", "file", EXACT), ("**", "file/", EXACT), ("**/", "file", EXACT), ("**/", "file/", EXACT),
    ("**", "/", EXACT), ("**/", "/", EXACT), ("**", "dir/file", EXACT), ("**/", "dir/file", EXACT),
    ("**", "dir/file/", EXACT), ("**/", "dir/file/", EXACT), ("**/**", "dir/file", EXACT),
    ("**/**", "dir/file/", EXACT), ("dir/**", "dir/file", EXACT), ("dir/**", "dir/file/", EXACT),
    ("dir/**", "dir/dir2/file", EXACT), ("dir/**", "dir/dir2/file/", EXACT), ("**/dir", "dir", EXACT),
    ("**/dir", "dir/file", INEXACT), ("**/dir2/*", "dir/dir2/file", EXACT), ("**/dir2/*", "dir/dir2/file/", INEXACT),
    ("**/dir2/**", "dir/dir2/dir3/file", EXACT), ("**/dir2/**", "dir/dir2/dir3/file/", EXACT),
    ("**file", "file", EXACT), ("**file", "dir/file", EXACT), ("**/file", "dir/file", EXACT),
    ("**file", "dir/dir/file", EXACT), ("**/file", "dir/dir/file", EXACT), ("**/file*", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file.txt", EXACT), ("**/file*txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt", "dir/dir/file.txt", EXACT), ("**/file*.txt*", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt", "dir/dir/file.txt", EXACT), ("**/**/*.txt2", "dir/dir/file.txt", FAIL),
    ("**/*.txt", "file.txt", EXACT), ("**/**/*.txt", "file.txt", EXACT), ("a**/*.txt", "a/file.txt", EXACT),
    ("a**/*.txt", "a/dir/file.txt", EXACT), ("a**/*.txt", "a/dir/dir/file.txt", EXACT),
    ("a/*.txt", "a/dir/file.txt", FAIL), ("a/*.txt", "a/file.txt", EXACT), ("a/*.txt**", "a/file.txt", EXACT),
    ("a[b-d]e", "ae", FAIL), ("a[b-d]e", "ace", EXACT), ("a[b-d]e", "aae", FAIL), ("a[^b-d]e", "aze", EXACT),
    (".*", ".foo", EXACT), (".*", "foo", FAIL), ("abc.def", "abcdef", FAIL), ("abc.def", "abc.def", EXACT),
    ("abc.def", "abcZdef", FAIL), ("abc?def", "abcZdef", EXACT), ("abc?def", "abcdef", FAIL),
    ("**/foo/bar", "foo/bar", EXACT), ("**/foo/bar", "dir/foo/bar", EXACT), ("**/foo/bar", "dir/dir2/foo/bar", EXACT),
    ("abc/**", "abc", FAIL), ("abc/**", "abc/def", EXACT), ("abc/**", "abc/def/ghi", EXACT),
    ("**/.foo", ".foo", EXACT), ("**/.foo", "bar.foo", FAIL), ("a(b)c/def", "a(b)c/def", EXACT),
    ("a(b)c/def", "a(b)c/xyz", FAIL), ("a.|)$(}+{bc", "a.|)$(}+{bc", EXACT),
    ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("a\\\\", "a\\", EXACT), ("a\\*b", "a*b", EXACT),
]
PATTERNMATCHER_MULTI = [
    (["**", "!util/docker/web"], "util/docker/web/foo", FAIL),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", EXACT),
    (["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", FAIL),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", FAIL),
]


@pytest.mark.parametrize("pattern, text, expected", PATTERNMATCHER_TESTS)
def test_patternmatcher_matches_exact(pattern, text, expected):
    assert IgnorePattern.parse(pattern, flavor=MODERN).match(text) is (expected == EXACT)


@pytest.mark.parametrize("pattern, text, expected", PATTERNMATCHER_TESTS)
def test_patternmatcher_matches_or_parent_matches(pattern, text, expected):
    # The Go test hands raw strings ("/", "file/") to the matcher: so does this one.
    assert DockerIgnore.from_lines([pattern], flavor=MODERN)._step(text, None)[0] is (expected != FAIL)


@pytest.mark.parametrize("pattern, text, expected", [t for t in PATTERNMATCHER_TESTS if t[1] != "/"])
def test_patternmatcher_matches_using_parent_results(pattern, text, expected):
    # The public API: cleaned context paths, ancestors first, as the context walk does.
    assert excluded([pattern], text) is (expected != FAIL)


@pytest.mark.parametrize("patterns, text, expected", PATTERNMATCHER_MULTI)
def test_patternmatcher_multi_pattern(patterns, text, expected):
    assert excluded(patterns, text) is (expected != FAIL)
    assert DockerIgnore.from_lines(patterns, flavor=MODERN)._step(text, None)[0] is (expected != FAIL)


# TestCompile: the match type, and the regular expression for the regexp ones (Go's final `$`
# is Python's `\Z`: `$` would also match before a trailing newline).
COMPILE_TESTS = [
    ("*", "regexp", r"^[^/]*$"), ("file*", "regexp", r"^file[^/]*$"), ("*file", "regexp", r"^[^/]*file$"),
    ("a*/b", "regexp", r"^a[^/]*/b$"), ("**", "suffix", None), ("**/**", "regexp", r"^(.*/)?.*$"),
    ("dir/**", "prefix", None), ("**/dir", "suffix", None), ("**/dir2/*", "regexp", r"^(.*/)?dir2/[^/]*$"),
    ("**/dir2/**", "regexp", r"^(.*/)?dir2/.*$"), ("**file", "suffix", None),
    ("**/file*txt", "regexp", r"^(.*/)?file[^/]*txt$"), ("**/**/*.txt", "regexp", r"^(.*/)?(.*/)?[^/]*\.txt$"),
    ("a[b-d]e", "regexp", r"^a[b-d]e$"), (".*", "regexp", r"^\.[^/]*$"), ("abc.def", "exact", None),
    ("abc?def", "regexp", r"^abc[^/]def$"), ("**/foo/bar", "suffix", None), ("a(b)c/def", "exact", None),
    ("a.|)$(}+{bc", "exact", None), ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "exact", None),
]


@pytest.mark.parametrize("pattern, kind, regex", COMPILE_TESTS)
def test_patternmatcher_compile(pattern, kind, regex):
    compiled = IgnorePattern.parse(pattern, flavor=MODERN)
    assert compiled.kind == kind
    if regex is not None:
        assert compiled.regex.pattern == regex[:-1] + r"\Z"


def test_legacy_compile_is_always_a_regexp_escaping_only_dot_and_dollar():
    compiled = IgnorePattern.parse("a+b(c)$.x", flavor=LEGACY)
    assert compiled.kind == "regexp" and compiled.regex.pattern == r"^a+b(c)\$\.x\Z"


def test_a_pattern_go_accepts_but_cannot_compile_fails_when_read():
    # patternmatcher fails at the first match (moby#52203); the build fails either way: we say so early.
    with pytest.raises(BadPattern, match="Local-Only"):
        DockerIgnore.from_lines(["[Local-Only]/"], flavor=MODERN)


def test_no_patterns_match_nothing_and_the_root_is_never_excluded():
    assert not excluded([], "any/path/there")
    assert not excluded(["*.go"], ".")
    assert DockerIgnore().excluded("x") == (False, None)


def test_clean_patterns_strip_empty_ones_and_trim_spaces():
    ignore = DockerIgnore.from_lines(["docs", "config", ""])
    assert [str(p) for p in ignore.patterns] == ["docs", "config"]
    ignore = DockerIgnore.from_lines(["docs", "  !docs/README.md  "])
    assert ignore.has_exclusions and str(ignore.patterns[1]) == "!docs/README.md"


def test_ignorefile_read_all():
    content = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
    assert [p for _, p in read_ignore_lines(content.split("\n"))] == [
        "test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"]


def test_read_keeps_line_numbers_bom_crlf_and_only_column_one_comments():
    lines = "\ufeff*.log\r\n  # not a comment\r\n#comment\r\n\r\n!keep.log\r\n".split("\n")
    assert read_ignore_lines(lines) == [(1, "*.log"), (2, "# not a comment"), (5, "!keep.log")]
    ignore = DockerIgnore.from_lines(lines)
    assert ignore.excluded("a.log") == (True, "*.log")
    assert ignore.excluded("keep.log") == (False, "!keep.log")
    assert ignore.patterns[1].line == 2


def test_from_file_missing_is_empty_and_bad_pattern_names_file_and_line(tmp_path):
    assert not DockerIgnore.from_file(tmp_path / ".dockerignore")
    (tmp_path / ".dockerignore").write_text("ok\n[\n")
    with pytest.raises(BadPattern, match=r"\.dockerignore:2"):
        DockerIgnore.from_file(tmp_path / ".dockerignore")


# --------------------------------------------------------------------------- the brief's semantics


@pytest.mark.parametrize("flavor", [LEGACY, MODERN])
def test_docker_semantics_both_flavours_agree_on(flavor):
    ig = DockerIgnore.from_lines(["*.ts", "**/*.md", "!docs/README.md", "build/", "/abs", "  spaced  ",
                                  "lib/*/tmp", "x?z", "[ab].txt", r"lit\*", "# comment", ""], flavor=flavor)
    assert ig.excluded("a.ts") == (True, "*.ts")
    assert ig.excluded("src/a.ts") == (False, None)  # `*.ts` only at the root (verified on 20.10)
    assert ig.excluded("docs/guide.md")[0] and ig.excluded("README.md")[0]
    assert ig.excluded("docs/README.md") == (False, "!docs/README.md")  # the exception re-includes
    assert ig.excluded("build/out/app.js") == (True, "build")  # a directory excludes what is below
    assert ig.excluded("abs") == (True, "abs") and ig.excluded("spaced")[0]
    assert ig.excluded("lib/x/tmp")[0] and not ig.excluded("lib/x/y/tmp")[0]
    assert ig.excluded("xyz")[0] and not ig.excluded("x/z")[0]
    assert ig.excluded("a.txt")[0] and not ig.excluded("c.txt")[0]
    assert ig.excluded("lit*")[0] and not ig.excluded("litx")[0]
    assert not ig.excluded("# comment")[0]


def test_last_match_wins():
    ig = DockerIgnore.from_lines(["*.md", "!README*.md", "README-secret.md"])
    assert ig.excluded("README.md") == (False, "!README*.md")
    assert ig.excluded("README-secret.md") == (True, "README-secret.md")
    assert DockerIgnore.from_lines(["!a.go", "*.go"]).excluded("a.go") == (True, "*.go")


def test_an_excluded_directory_the_walk_skips_is_named():
    ig = DockerIgnore.from_lines(["node_modules"])
    result = ig.match("node_modules/x/y.js")
    assert result.excluded and result.pruned_at == "node_modules" and str(result.pattern) == "node_modules"


def test_paths_outside_the_context_are_refused():
    with pytest.raises(ValueError):
        DockerIgnore.from_lines(["x"]).match("../etc/passwd")
    assert DockerIgnore.from_lines(["x"]).excluded("/x") == (True, "x")  # a leading / means the context root


# Where the two generations differ: each recorded from a build on Docker 20.10.24 (LEGACY),
# and what moby/patternmatcher + fsutil's MatchesUsingParentResults give (MODERN).
@pytest.mark.parametrize("patterns, path, legacy, modern", [
    (["a+b"], "a+b", False, True), (["a+b"], "aab", True, False),  # `+` was a regexp operator
    (["(x)"], "(x)", False, True), (["(x)"], "x", True, False),
    (["**file"], "afile", False, True), (["**file"], "dir/xfile", False, True),  # suffix fast path
    (["**/x", "!x/keep"], "x/w", False, True),  # Matches looked at one ancestor only
    (["*", "!src/**/*.go"], "src/pkg/a.go", True, False),  # the old walker skipped src/pkg
])
def test_where_the_flavours_differ(patterns, path, legacy, modern):
    assert excluded(patterns, path, LEGACY) is legacy
    assert excluded(patterns, path, MODERN) is modern


def test_flavor_for_client():
    assert flavor_for_client("20.10.24+dfsg1") == LEGACY
    assert flavor_for_client("28.1.1") == MODERN
    assert flavor_for_client("garbage") == LEGACY
    with pytest.raises(ValueError):
        DockerIgnore(flavor="nope")


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


# --------------------------------------------------------------------------- Dockerfile parser


SEED_LIKE = """\
# syntax=docker/dockerfile:1
# escape=\\
ARG BASE=busybox
FROM ${BASE} AS Backend-Builder
WORKDIR /src
COPY package*.json ./
RUN npm ci \\
    # a comment inside a continuation
    --omit=dev
COPY server ./server
RUN npm run build:server

FROM ${BASE}
WORKDIR /app
COPY --from=backend-builder /src/dist ./dist
COPY --chown=node:node --chmod=644 --link ["public", "static files/", "/app/www/"]
copy config.json .
ADD https://example.com/x.tgz /opt/
"""


def test_parse_stages_copies_and_directives():
    df = parse_dockerfile(SEED_LIKE)
    assert dict(df.directives) == {"syntax": "docker/dockerfile:1", "escape": "\\"}
    assert [i.keyword for i in df.meta_args] == ["ARG"]
    builder, final = df.stages
    assert (builder.index, builder.name, builder.base, builder.line) == (0, "backend-builder", "${BASE}", 4)
    assert final.name is None and final.base_stage is None and df.final is final
    assert [c.line for c in builder.copies] == [6, 10]
    pkg = builder.copies[0]
    assert pkg.sources == ("package*.json",) and pkg.dest_abs == "/src/" and pkg.from_context
    run = [i for i in builder.instructions if i.keyword == "RUN"][0]
    assert (run.line, run.end_line) == (7, 9) and run.args == "npm ci     --omit=dev"
    from_builder, public, config, remote = final.copies
    assert from_builder.from_ == "backend-builder" and from_builder.from_stage == 0 and not from_builder.from_context
    assert from_builder.dest_abs == "/app/dist"
    assert public.json_form and public.sources == ("public", "static files/") and public.dest_abs == "/app/www/"
    assert (public.chown, public.chmod, public.link) == ("node:node", "644", True)
    assert config.instruction == "COPY" and config.dest_abs == "/app/" and config.line == 17
    assert remote.instruction == "ADD" and remote.context_sources() == ()
    assert df.needed_stages() == [0, 1]


def test_workdir_resolution_and_inheritance():
    df = parse_dockerfile(
        "FROM a AS one\nWORKDIR /srv\nWORKDIR app\nCOPY x y\nCOPY x ../z\n"
        "FROM one\nCOPY x .\nWORKDIR /\nCOPY x w/\n")
    one, two = df.stages
    assert [c.dest_abs for c in one.copies] == ["/srv/app/y", "/srv/z"]
    assert one.workdirs == ((2, "/srv"), (3, "/srv/app"))
    assert two.base_stage == 0 and two.copies[0].dest_abs == "/srv/app/" and two.copies[1].dest_abs == "/w/"


def test_escape_directive_backtick_and_continuations():
    df = parse_dockerfile("# escape=`\nFROM scratch\nCOPY a `\n     b `\n\n  c:\\\\dest\\\\\n")
    copy = df.final.copies[0]
    assert df.escape == "`" and copy.sources == ("a", "b") and copy.dest == "c:\\\\dest\\\\"
    assert (copy.line, copy.end_line) == (3, 6)


def test_directives_only_count_at_the_top():
    df = parse_dockerfile("FROM scratch\n# escape=`\nCOPY a \\\n b /c/\n")
    assert dict(df.directives) == {} and df.final.copies[0].sources == ("a", "b")
    with pytest.raises(DockerfileError, match="only one escape"):
        parse_dockerfile("# escape=\\\n# escape=`\nFROM scratch\n")


def test_heredocs_are_skipped_and_inline_sources_are_not_from_the_context():
    df = parse_dockerfile(
        "FROM scratch\nRUN <<EOF\nCOPY not-an-instruction /x\nEOF\n"
        "COPY <<-\"CONF\" <<ALSO /etc/app/\n\tkey=1\n\tCONF\nFROM nothing\nALSO\nCOPY real /r\n")
    assert len(df.stages) == 1
    inline, real = df.final.copies
    assert inline.heredocs == ("CONF", "ALSO") and inline.sources == () and inline.dest_abs == "/etc/app/"
    assert real.sources == ("real",) and real.line == 10
    assert (inline.line, inline.end_line) == (5, 9)


def test_a_quoted_heredoc_marker_is_not_a_heredoc():
    df = parse_dockerfile('FROM a\nRUN echo "x <<EOF" && cat <<\'X\' 2<<-Y\nbody\nX\n\tmore\n\tY\n'
                          "COPY src /dst\nRUN echo \\<<NOT\nCOPY b /c\n")
    run = df.final.instructions[1]
    assert run.heredocs == ("X", "Y") and (run.line, run.end_line) == (2, 6)
    assert [c.line for c in df.final.copies] == [7, 9]


def test_flags_quotes_and_variables():
    rest, words = extract_flags('--from="my stage" --link --chown=1:1 -- --not-a-flag src dst')
    assert words == ["--from=my stage", "--link", "--chown=1:1"] and rest == " --not-a-flag src dst"
    copy = parse_dockerfile('FROM a AS x\nFROM b\nCOPY --from=0 "/q" $DEST\n').final.copies[0]
    assert copy.from_stage == 0 and copy.sources == ("/q",) and copy.has_variables
    with pytest.raises(DockerfileError, match="names this stage"):
        parse_dockerfile("FROM a\nCOPY --from=0 x y\n")
    image = parse_dockerfile("FROM a\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\n").final.copies[0]
    assert image.from_image and image.from_stage is None


def test_crlf_bom_lowercase_and_onbuild():
    df = parse_dockerfile("\ufefffrom scratch\r\nonbuild COPY x /y\r\ncopy\ta /b\r\n")
    assert len(df.final.copies) == 1 and df.final.copies[0].sources == ("a",)


@pytest.mark.parametrize("text, message", [
    ("", "no FROM"), ("# only a comment\n", "no FROM"), ("COPY a b\nFROM x\n", "before the first FROM"),
    ("FROM a\nCOPY onlyone\n", "at least two"), ("FROM a b\n", "one or three"), ("FROM a\nWORKDIR\n", "WORKDIR"),
    ("# escape=x\nFROM a\n", "escape token"),
])
def test_parse_errors(text, message):
    with pytest.raises(DockerfileError, match=message):
        parse_dockerfile(text)


def test_needed_stages_skip_unused_ones():
    df = parse_dockerfile("FROM a AS test\nCOPY t /t\nFROM a AS build\nCOPY s /s\nFROM b\nCOPY --from=build /s /s\n")
    assert df.needed_stages() == [1, 2]
    assert df.needed_stages("test") == [0]
    with pytest.raises(DockerfileError):
        df.needed_stages("nope")


def test_covering_copies_by_path_alone():
    df = parse_dockerfile("FROM a\nCOPY server ./server\nCOPY *.json ./\nCOPY . /all\nFROM b\nCOPY --from=0 /x /y\n")
    lines = lambda p: [c.line for c in covering_copies(df, p)]  # noqa: E731
    assert lines("server/routes/a.ts") == [2, 4]
    assert lines("package.json") == [3, 4]
    assert lines("sub/package.json") == [4]
    assert covering_copies(df, "README.md", stages=[1]) == []


# --------------------------------------------------------------------------- COPY expansion


SEED_DOCKERFILE = """\
FROM base AS backend-builder
WORKDIR /src
COPY server ./server
RUN mkdir -p /out && sed 's/^/compiled: /' server/routes/authRoutes.ts > /out/authRoutes.js

FROM base
WORKDIR /app
COPY --from=backend-builder /out ./dist/server/routes
COPY public ./public
CMD ["sh", "-c", "sleep 3600"]
"""


@pytest.fixture
def seed_context(tmp_path) -> Path:
    return make_context(tmp_path / "app", {
        "Dockerfile": SEED_DOCKERFILE, "server/routes/authRoutes.ts": "v1\n", "server/routes/settings.local.ts": "x\n",
        "public/index.html": "<h1>A</h1>\n", "README.md": "# app\n", ".dockerignore": "**/*.local.ts\n",
    })


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


def test_ignore_for_build_picks_the_file_the_build_uses(tmp_path):
    root = make_context(tmp_path / "c", {"Dockerfile": "FROM a\n", ".dockerignore": "b\n"})
    assert ignore_for_build(root).excluded("b") == (True, "b")
    (root / "Dockerfile.dockerignore").write_text("a\n")
    assert ignore_for_build(root).excluded("b") == (False, None) and ignore_for_build(root).excluded("a")[0]
    assert not ignore_for_build(tmp_path / "empty")


def test_analysis_errors(tmp_path):
    with pytest.raises(ContextError, match="not a directory"):
        analyze_context(tmp_path / "nope")
    with pytest.raises(ContextError, match="no Dockerfile"):
        analyze_context(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM a\n")
    with pytest.raises(DockerfileError, match="no stage"):
        analyze_context(tmp_path, target="nope")


# --------------------------------------------------------------------------- the two checks


def run_dockerignore(root: Path, *paths: str):
    return dockerignore(DockerignoreArgs(context=str(root), paths=paths), CheckContext(cwd=root.parent))


def test_dockerignore_check_fails_for_an_excluded_path_a_copy_wants(seed_context):
    result = run_dockerignore(seed_context, "server/routes/settings.local.ts", "README.md", "public/index.html")
    assert result.status == "fail"
    assert "server/routes/settings.local.ts (by '**/*.local.ts')" in result.summary
    by_path = {p["path"]: p for p in result.evidence["paths"]}
    assert by_path["server/routes/settings.local.ts"] == {
        "path": "server/routes/settings.local.ts", "excluded": True, "pattern": "**/*.local.ts",
        "pattern_line": 1, "exists": True, "copied_by": [3]}
    assert by_path["README.md"]["copied_by"] == [] and not by_path["README.md"]["excluded"]
    assert result.evidence["patterns"] == [{"line": 1, "pattern": "**/*.local.ts", "exception": False}]
    json.dumps(result.evidence)


def test_dockerignore_check_passes_when_excluded_files_are_not_copied(seed_context):
    (seed_context / ".dockerignore").write_text("README.md\n")
    result = run_dockerignore(seed_context, "README.md")
    assert result.status == "pass" and result.evidence["paths"][0]["excluded"] is True
    assert result.evidence["excluded"] == ["README.md"]


def test_dockerignore_check_without_a_file_and_with_errors(tmp_path, seed_context):
    (seed_context / ".dockerignore").unlink()
    result = run_dockerignore(seed_context)
    assert result.status == "pass" and "no .dockerignore" in result.summary
    assert run_dockerignore(tmp_path / "nope").status == "error"
    (seed_context / ".dockerignore").write_text("!\n")
    bad = run_dockerignore(seed_context)
    assert bad.status == "error" and "illegal exclusion pattern" in bad.summary
    (seed_context / ".dockerignore").write_text("x\n")
    assert run_dockerignore(seed_context, "../outside").status == "error"


def test_dockerignore_check_notes_an_excluded_dockerfile(seed_context):
    (seed_context / ".dockerignore").write_text("Dockerfile\n")
    result = run_dockerignore(seed_context)
    assert result.evidence["build_files_excluded"] == [{"path": "Dockerfile", "pattern": "Dockerfile"}]


def test_dockerfile_check_reports_stages_and_copies(seed_context):
    result = dockerfile(ContextArgs(context="app"), CheckContext(cwd=seed_context.parent))
    assert result.status == "pass", result
    ev = result.evidence
    assert [s["name"] for s in ev["stages"]] == ["backend-builder", None]
    server = ev["stages"][0]["copies"][0]
    assert server["files"] == 1 and server["excluded"] == [{"path": "server/routes/settings.local.ts",
                                                           "pattern": "**/*.local.ts"}]
    assert ev["stages"][1]["copies"][0]["from_stage"] == 0 and "files" not in ev["stages"][1]["copies"][0]
    assert ev["verbatim"] == [{"path": "public/index.html", "image_path": "/app/public/index.html"}]
    assert ev["final_stage"] == 1
    json.dumps(ev)


def test_dockerfile_check_fails_when_a_source_is_missing_and_errors_without_dockerfile(seed_context, tmp_path):
    (seed_context / ".dockerignore").write_text("server\n")
    result = dockerfile(ContextArgs(context=str(seed_context)), CheckContext())
    assert result.status == "fail" and "server (excluded by 'server')" in result.summary
    missing = dockerfile(ContextArgs(context=str(tmp_path), dockerfile="Nope"), CheckContext())
    assert missing.status == "error" and "no Dockerfile" in missing.summary
    (tmp_path / "Dockerfile").write_text("RUN x\n")
    assert dockerfile(ContextArgs(context=str(tmp_path)), CheckContext()).status == "error"


def test_dockerfile_check_warns_about_variables(tmp_path):
    root = make_context(tmp_path / "c", {"Dockerfile": "FROM a\nARG APP=x\nCOPY $APP /app/\n"})
    result = dockerfile(ContextArgs(context=str(root)), CheckContext())
    # The build expands $APP, we do not: neither a missing source nor silence.
    assert result.status == "warn" and "$variables not expanded: $APP" in result.summary
    assert result.evidence["stages"][0]["copies"][0]["unresolved"] == ["$APP"]


# --------------------------------------------------------------------------- replayed on the engine

DOCKER = "/usr/bin/docker"  # 20.10 with BuildKit built in


def engine_available() -> bool:
    if not os.access(DOCKER, os.X_OK):
        return False
    try:
        return subprocess.run([DOCKER, "version"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def build_to_dir(context: Path, out: Path) -> subprocess.CompletedProcess[str]:
    # --output: files only, no image to clean up (the build cache keeps a few tiny records).
    return subprocess.run([DOCKER, "build", "-q", "--output", f"type=local,dest={out}", str(context)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "DOCKER_BUILDKIT": "1"})


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink())


# The brief's facts and every case where the flavours differ; RUNNER_LAB_FULL=1 replays all (~6 s).
ENGINE_REPLAY = ["root_ts", "all_ts", "docs_except", "build_files", "star_except_wild", "suffix_starstar",
                 "escape_set", "starstar_dir_except"]


@pytest.mark.engine
def test_engine_still_sends_what_the_recorded_table_says(tmp_path):
    if not engine_available():
        pytest.skip("no Docker engine")
    names = sorted(ENGINE_CASES) if os.environ.get("RUNNER_LAB_FULL") else ENGINE_REPLAY
    contexts = {name: engine_case(tmp_path / "ctx", name) for name in names}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        builds = {name: pool.submit(build_to_dir, root, tmp_path / "out" / name) for name, root in contexts.items()}
    for name, future in builds.items():
        done = future.result()
        assert done.returncode == 0, done.stderr
        assert files_under(tmp_path / "out" / name / "ctx") == sorted(ENGINE_CASES[name][2]), name


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
    assert done.returncode != 0 and '"/server" not found' in done.stderr
    shutil.rmtree(tmp_path / "out", ignore_errors=True)


def test_a_copy_source_outside_the_context_is_a_context_error_not_a_crash(tmp_path):
    from runner.checks.context import ContextError, analyze_context

    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY ../shared/z.txt /z\n")
    with pytest.raises(ContextError, match="outside the build context"):
        analyze_context(tmp_path, "Dockerfile")
