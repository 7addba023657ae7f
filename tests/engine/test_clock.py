"""The engine's clock: timestamps to the nanosecond, never-set times, the offset from ours."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from runner.engine.clock import offset, parse_time, parse_time_or_none


def test_times_read_to_the_nanosecond_in_any_zone():
    assert parse_time("2026-12-02T19:12:38.523656111Z") == pytest.approx(1796238758.523656111, abs=1e-6)
    assert parse_time("2026-12-02T20:12:38+01:00") == parse_time("2026-12-02T19:12:38Z")
    with pytest.raises(ValueError, match="not a timestamp"):
        parse_time("2026-12-02 19:12:38 +0000 UTC")


def test_never_set_and_unreadable_times_are_none():
    assert parse_time_or_none("0001-01-01T00:00:00Z") is None
    assert parse_time_or_none("") is None and parse_time_or_none(None) is None and parse_time_or_none("x") is None


def test_an_engine_on_a_unix_socket_shares_our_clock_and_a_remote_one_says_its_own():
    local = SimpleNamespace(api=SimpleNamespace(base_url="http+docker://localhost"))
    assert offset(local) == 0.0
    ahead = time.time() + 120
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ahead))
    remote = SimpleNamespace(api=SimpleNamespace(base_url="https://10.0.0.2:2376"), info=lambda: {"SystemTime": stamp})
    assert offset(remote) == pytest.approx(120, abs=2)
    broken = SimpleNamespace(api=SimpleNamespace(base_url="ssh://h"), info=lambda: {})
    assert offset(broken) == pytest.approx(0, abs=1)
