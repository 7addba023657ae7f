"""Go's path rules (runner/buildctx/gopath.py): Go's own filepath.Match tests, as
moby/patternmatcher's patternmatcher_test.go copies them, run through the matcher for both
flavours, and go_match and go_clean on their own."""

from __future__ import annotations

import pytest
from contextkit import excluded

from runner.buildctx import BadPattern
from runner.buildctx.dockerignore import LEGACY, MODERN, DockerIgnore
from runner.buildctx.gopath import go_clean, go_match


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
