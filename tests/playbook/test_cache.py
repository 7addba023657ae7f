"""Validated playbooks kept between runs (runner/playbook/cache.py): a copy is used only for the
same bytes and the same validating code, never from a folder others may write, never when it
is broken; a bad playbook is reported every time; the cache can fail, the load cannot."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from runner.errors import PlaybookError
from runner.playbook import cache, loader
from runner.playbook.catalogue import load_playbook
from runner.playbook.folders import CHECKOUT
from runner.playbook.model import localize

SHIPPED = sorted(CHECKOUT.glob("*.yaml"))


@pytest.fixture()
def state(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "runner" / "cache" / "playbooks"


@pytest.fixture()
def validations(monkeypatch) -> list[Path]:
    """The files the loader validated (a cache hit validates nothing)."""
    seen: list[Path] = []
    real = loader.load_bytes

    def counting(path, raw):  # noqa: ANN001, ANN202
        seen.append(path)
        return real(path, raw)

    monkeypatch.setattr(loader, "load_bytes", counting)
    return seen


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_shipped_playbook_from_the_cache_is_the_one_validated(path, state, validations):
    fresh = cache.load_validated(path)
    kept = cache.load_validated(path)
    assert validations == [path]
    assert kept == fresh and kept is not fresh
    assert kept == loader.load_file(path)
    assert len(list(state.glob("*.pickle"))) == 1


def title(playbook) -> str:  # noqa: ANN001
    return localize(playbook.title, "en")


def write(folder: Path, title: str) -> Path:
    path = folder / "p.yaml"
    path.write_text(f"id: p\ntitle: {title}\nsummary: s\nsymptoms: [{{text: x}}]\n", encoding="utf-8")
    return path


def test_other_bytes_of_the_same_size_and_time_are_validated_again(tmp_path, state, validations):
    path = write(tmp_path, "one")
    stamp = path.stat()
    assert title(cache.load_validated(path)) == "one"
    write(tmp_path, "two")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size and path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert title(cache.load_validated(path)) == "two"
    assert len(validations) == 2


def test_other_validating_code_is_a_miss(tmp_path, state, validations, monkeypatch):
    path = write(tmp_path, "one")
    cache.load_validated(path)
    assert cache.cache_key(b"x", "code 1") != cache.cache_key(b"x", "code 2")
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another runner")
    cache.load_validated(path)
    assert len(validations) == 2


def test_the_fingerprint_follows_the_runners_source(tmp_path, monkeypatch):
    code = tmp_path / "runner"
    shutil.copytree(CHECKOUT.parent / "runner", code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "_CODE", code)
    before = cache.code_fingerprint()
    assert before == cache.code_fingerprint()
    for module in ("playbook/model.py", "fix/actions/__init__.py", "registry.py"):
        with (code / module).open("a") as handle:
            handle.write("# a field added\n")
        assert cache.code_fingerprint() != before, module
        before = cache.code_fingerprint()
    (code / "playbook" / "__pycache__").mkdir(exist_ok=True)
    (code / "playbook" / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"compiled")
    assert cache.code_fingerprint() == before  # byte-compiling changes no code


def test_a_broken_copy_is_a_miss_and_is_replaced(tmp_path, state, validations):
    path = write(tmp_path, "one")
    cache.load_validated(path)
    [copy] = state.glob("*.pickle")
    copy.write_bytes(b"\x80\x05 not a pickle")
    assert title(cache.load_validated(path)) == "one"
    assert title(pickle.loads(copy.read_bytes())) == "one"
    copy.write_bytes(pickle.dumps({"id": "p"}))  # a pickle, not a playbook
    assert title(cache.load_validated(path)) == "one"
    assert len(validations) == 3


def test_a_folder_others_may_write_is_never_read(tmp_path, state, validations):
    path = write(tmp_path, "mine")
    cache.load_validated(path)
    [copy] = state.glob("*.pickle")
    copy.write_bytes(pickle.dumps(loader.load_file(write(tmp_path / "..", "planted"))))
    state.chmod(0o777)
    assert title(cache.load_validated(path)) == "mine"
    state.chmod(0o700)
    copy.chmod(0o666)
    assert title(cache.load_validated(path)) == "mine"
    assert len(validations) == 3
    copy.write_bytes(pickle.dumps(loader.load_file(write(tmp_path / "..", "planted"))))
    copy.chmod(0o600)  # private again: a copy there is trusted, which is why the rule matters
    assert title(cache.load_validated(path)) == "planted"


def test_a_bad_playbook_is_reported_every_time_and_never_kept(tmp_path, state):
    path = tmp_path / "bad.yaml"
    path.write_text("id: bad\ntitle: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(PlaybookError) as raised:
            cache.load_validated(path)
        assert "bad.yaml" in str(raised.value)
    assert not list(state.glob("*.pickle")) if state.exists() else True


def test_a_fifo_is_refused_by_the_loader_not_read(tmp_path, state):
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    with pytest.raises(PlaybookError, match="not a regular file"):
        cache.load_validated(path)


def test_an_unusable_state_folder_costs_only_the_cache(tmp_path, monkeypatch, validations):
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    path = write(tmp_path, "one")
    assert title(cache.load_validated(path)) == "one"
    assert title(cache.load_validated(path)) == "one"
    assert len(validations) == 2


def test_the_cache_keeps_a_bounded_number_of_copies(tmp_path, state, monkeypatch):
    monkeypatch.setattr(cache, "KEEP", 3)
    for n in range(6):
        cache.load_validated(write(tmp_path, f"version {n}"))
    assert len(list(state.glob("*.pickle"))) == 3


def test_load_playbook_uses_the_cache(tmp_path, state, validations):
    write(tmp_path, "one")
    assert load_playbook("p", tmp_path) == load_playbook("p", tmp_path)
    assert len(validations) == 1
