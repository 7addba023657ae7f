"""The `disk-usage` check's readings, without an engine: sizes, durations and shares as the
check reads them, `builder.gc` from a daemon configuration file. The check on a real engine
is exercised through its playbook (tests/playbooks/test_build_cache_disk_full.py)."""

from __future__ import annotations

import json

import pytest

from runner.checks.disk import _gc_config, parse_amount, parse_duration, parse_size

MiB = 1024 * 1024


def test_sizes_read_as_dockerd_reads_keep_storage():
    assert parse_size("20GB") == 20 * 1024**3
    assert parse_size("512MB") == 512 * MiB
    assert parse_size("1.5k") == 1536
    assert parse_size("1048576") == MiB
    for bad in ("", "ten", "5 parsecs", "-1GB"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_shares_need_a_whole():
    assert parse_amount("10%", 1000) == 100
    assert parse_amount("10%", None) is None
    assert parse_amount("6MB", None) == 6 * MiB


def test_durations_as_until_takes_them():
    assert parse_duration("168h") == 168 * 3600
    assert parse_duration("1h30m") == 5400
    assert parse_duration("90s") == 90
    for bad in ("", "7d", "soon", "10"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_gc_settings_from_the_daemon_configuration(tmp_path):
    config = tmp_path / "daemon.json"
    config.write_text(json.dumps({"builder": {"gc": {"enabled": True, "defaultKeepStorage": "20GB"}}}))
    gc = _gc_config(str(config), "20.10.24")
    assert (gc["enabled"], gc["default_keep_storage"], gc["effective"]) == (True, "20GB", True)
    missing = _gc_config(str(tmp_path / "none.json"), "20.10.24")
    assert missing["exists"] is False and missing["effective"] is False and "20.10" in missing["note"]
    assert _gc_config(str(tmp_path / "none.json"), "28.2.2")["effective"] is None
    config.write_text("{not json")
    assert "error" in _gc_config(str(config), "20.10.24")
