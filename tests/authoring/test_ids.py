"""Ids from titles: Hangul romanized, titles as kebab-case ids, an id unique among those taken."""

from __future__ import annotations

from runner.authoring.ids import romanize, slug, unique


def test_ids():
    assert romanize("캐시 문제") == "kaesi munje"
    assert slug("Docker BuildKit 캐시 문제") == "docker-buildkit-kaesi-munje"
    assert slug("2026 outage") == "outage" and slug("!!!") == ""
    assert len(slug("아" * 100)) <= 64


def test_unique_ids():
    taken: set[str] = set()
    assert unique("fix", taken, "fallback") == "fix"
    assert unique("fix", taken, "fallback") == "fix-2"
    assert unique("fix", taken, "fallback") == "fix-3"
    assert unique("Not An Id", taken, "fallback") == "fallback"  # not a valid id: the fallback
    assert taken == {"fix", "fix-2", "fix-3", "fallback"}
    long = "a" * 64
    assert unique(long, {long}, "x") == "a" * 62 + "-2"  # still at most 64 characters
