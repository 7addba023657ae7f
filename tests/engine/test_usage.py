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


def test_a_prune_names_its_records_as_plain_ids_only():
    class Refuses:
        def prune_builds(self, **kwargs):  # pragma: no cover - must not be reached
            raise AssertionError(f"asked the engine: {kwargs}")

    for hostile in ("abc|.*", "", "a.b", "^x$"):
        if hostile:
            with pytest.raises(ValueError, match="not a build-cache record ID"):
                usage.prune_build_cache_records(Refuses(), ["abc", hostile])
    assert usage.prune_build_cache_records(Refuses(), []) == []


@pytest.mark.engine
def test_one_call_prunes_exactly_the_records_named(engine, tmp_path):
    """Two builds of unique content: the first build's records go in one call, parents with
    their children; the second's, built on the same base, all stay."""
    import dockerlab

    def build(name: str) -> set[str]:
        before = dockerlab.build_cache_ids()
        folder = tmp_path / name
        folder.mkdir()
        (folder / "payload").write_text(f"{name} {tmp_path}\n")
        (folder / "Dockerfile").write_text(
            f"FROM {dockerlab.BASE_IMAGE}\nCOPY payload /payload\nRUN cat /payload > /copy\n"
            f"LABEL {dockerlab.LABEL}={dockerlab.SESSION}\n")
        dockerlab.docker("build", "-q", str(folder))
        return dockerlab.build_cache_ids() - before

    build("warm")  # the base image's layers become records on their first use as FROM: not ours
    first, second = build("first"), build("second")
    assert len(first) >= 2 and len(second) >= 2 and not first & second
    deleted = usage.prune_build_cache_records(dockerlab.engine_api(), first)
    assert set(deleted) == first
    present = dockerlab.build_cache_ids()
    assert not first & present and second <= present
