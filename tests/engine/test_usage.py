"""The engine's disk usage: another client's computation running is waited for, not an error."""

from __future__ import annotations

import pytest
from docker.errors import APIError

from runner.engine import usage


class Busy:
    """An engine whose disk-usage computation another client holds for the first `busy` calls."""

    def __init__(self, busy: int, message: str = "a disk usage operation is already running") -> None:
        self.busy, self.message, self.calls = busy, message, 0

    def df(self) -> dict:
        self.calls += 1
        if self.calls <= self.busy:
            raise APIError("500 Server Error", explanation=self.message)
        return {"BuildCache": []}


def test_a_running_computation_is_waited_for(monkeypatch):
    monkeypatch.setattr(usage.time, "sleep", lambda seconds: None)
    engine = Busy(busy=3)
    assert usage.disk_usage(engine) == {"BuildCache": []} and engine.calls == 4


def test_other_errors_and_an_endless_wait_are_raised(monkeypatch):
    monkeypatch.setattr(usage.time, "sleep", lambda seconds: None)
    with pytest.raises(APIError):
        usage.disk_usage(Busy(busy=1, message="no space left"))
    with pytest.raises(APIError, match="already running"):
        usage.disk_usage(Busy(busy=usage.ATTEMPTS))


def test_a_container_removed_under_the_count_is_asked_again(monkeypatch):
    """The containerd image store's 500 when a container goes while the engine counts (26.1)."""
    monkeypatch.setattr(usage.time, "sleep", lambda seconds: None)
    engine = Busy(busy=2, message="failed to compute disk usage: rw layer snapshot not found for container 3f2a")
    assert usage.disk_usage(engine) == {"BuildCache": []} and engine.calls == 3
