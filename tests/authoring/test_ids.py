"""Ids from titles: Hangul romanized, titles as kebab-case ids."""

from __future__ import annotations

from runner.authoring.ids import romanize, slug


def test_ids():
    assert romanize("캐시 문제") == "kaesi munje"
    assert slug("Docker BuildKit 캐시 문제") == "docker-buildkit-kaesi-munje"
    assert slug("2026 outage") == "outage" and slug("!!!") == ""
    assert len(slug("아" * 100)) <= 64
