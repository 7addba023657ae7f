"""`.dockerignore` reading and matching (runner/buildctx/dockerignore.py).

Two sources of truth:
* moby/patternmatcher's own tests (patternmatcher_test.go, ignorefile_test.go), ported as tables
  for the MODERN flavour;
* what Docker 20.10.24 did with the same patterns, recorded from real builds, for the LEGACY
  flavour (the recorded contexts and their replay on the engine are in test_walk.py).
"""

from __future__ import annotations

import pytest
from contextkit import excluded, make_context
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.buildctx import BadPattern
from runner.buildctx.dockerignore import (
    LEGACY,
    MODERN,
    DockerIgnore,
    IgnorePattern,
    flavor_for_client,
    ignore_for_build,
    read_ignore_lines,
)

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
    assert DockerIgnore.from_lines([pattern], flavor=MODERN).step(text, None)[0] is (expected != FAIL)


@pytest.mark.parametrize("pattern, text, expected", [t for t in PATTERNMATCHER_TESTS if t[1] != "/"])
def test_patternmatcher_matches_using_parent_results(pattern, text, expected):
    # The public API: cleaned context paths, ancestors first, as the context walk does.
    assert excluded([pattern], text) is (expected != FAIL)


@pytest.mark.parametrize("patterns, text, expected", PATTERNMATCHER_MULTI)
def test_patternmatcher_multi_pattern(patterns, text, expected):
    assert excluded(patterns, text) is (expected != FAIL)
    assert DockerIgnore.from_lines(patterns, flavor=MODERN).step(text, None)[0] is (expected != FAIL)


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


# --------------------------------------------------------------------------- Docker's semantics, where both flavours agree


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


def test_ignore_for_build_picks_the_file_the_build_uses(tmp_path):
    root = make_context(tmp_path / "c", {"Dockerfile": "FROM a\n", ".dockerignore": "b\n"})
    assert ignore_for_build(root).excluded("b") == (True, "b")
    (root / "Dockerfile.dockerignore").write_text("a\n")
    assert ignore_for_build(root).excluded("b") == (False, None) and ignore_for_build(root).excluded("a")[0]
    assert not ignore_for_build(tmp_path / "empty")


# --------------------------------------------------------------------------- the one-expression matcher

_SEGMENTS = ["a", "b", "node_modules", "dist", "x.md", "README.md", ".git", "a.b", "src", "[", "a+b", "*"]
_PATTERN_PARTS = ["a", "b", "node_modules", "*.md", "dist", "**", "*", "?", ".git", "a.b", "src", "[ab]", "a+b",
                  "\\*", "x*", "**/x.md", "d?st", "[!a]"]


@given(st.lists(st.lists(st.sampled_from(_PATTERN_PARTS), min_size=1, max_size=3).map("/".join),
                min_size=1, max_size=5),
       st.lists(st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=4).map("/".join), min_size=1, max_size=8))
@settings(max_examples=300, deadline=None)
def test_the_one_expression_decides_as_the_patterns_one_by_one(lines, paths):
    """Without `!` lines, DockerIgnore.step finds the deciding pattern with one expression; it must
    decide as the matcher's loop does (patternmatcher's: the first pattern that matches; 20.10's
    fileutils: the last), for every path the walk steps into (top-level paths with no parent
    results, deeper ones below a directory that nothing excluded)."""
    for flavor in (MODERN, LEGACY):
        try:
            fast = DockerIgnore.from_lines(lines, flavor=flavor)
        except BadPattern:
            continue
        slow = DockerIgnore.from_lines(lines, flavor=flavor)
        slow._first_match = None
        assert fast._first_match is not None
        for path in paths:
            parts = path.split("/")
            fast_info = slow_info = None
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                got, want = fast.step(prefix, fast_info), slow.step(prefix, slow_info)
                assert (got[0], got[2]) == (want[0], want[2]), (flavor, lines, prefix)
                if got[0]:
                    break  # an excluded directory: the walk does not enter it
                assert got[1] == want[1] == [False] * len(lines)
                fast_info, slow_info = got[1], want[1]


def test_the_one_expression_is_not_used_with_exceptions_or_back_references():
    assert DockerIgnore.from_lines(["a", "!a/b"], flavor=MODERN)._first_match is None
    assert DockerIgnore.from_lines(["a", "!a/b"], flavor=LEGACY)._first_match is None
    assert DockerIgnore.from_lines(["(a)\\1"], flavor=LEGACY)._first_match is None
    assert DockerIgnore.from_lines(["a", "*.md"], flavor=MODERN).step("x.md", None)[2].text == "*.md"
    both = DockerIgnore.from_lines(["*.md", "x.md"], flavor=LEGACY)
    assert both._first_match is not None and both.step("x.md", None)[2].text == "x.md"  # 20.10: the last
