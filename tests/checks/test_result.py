"""What a check gets and gives back (runner/checks/result.py): plain frozen data, with defaults
that belong to each instance."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from runner.checks.result import CheckContext, CheckResult


def test_each_result_has_its_own_evidence_and_cannot_change():
    first, second = CheckResult("pass", "fine"), CheckResult("pass", "fine")
    first.evidence["seen"] = True
    assert second.evidence == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.status = "fail"  # type: ignore[misc]


def test_a_context_defaults_to_where_it_was_made_and_a_30_s_budget(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx = CheckContext()
    assert ctx.cwd == Path(tmp_path) and ctx.timeout == 30.0
    assert (ctx.params, ctx.results, ctx.docker_host) == ({}, {}, None)
    other = CheckContext()
    other.params["image"] = "app:1"
    assert ctx.params == {}, "params are shared between contexts"
