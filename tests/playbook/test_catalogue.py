"""Where the playbooks are and loading them by id (runner/playbook/catalogue.py): the folder's
precedence, the ids a folder holds, a close id suggested for a typo, a catalogue validated
as a whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.errors import PlaybookError, UnknownPlaybook
from runner.playbook.catalogue import SHIPPED, load_catalogue, load_playbook, playbook_dir, playbook_ids


def playbook(folder: Path, name: str, playbook_id: str | None = None) -> Path:
    path = folder / name
    path.write_text(f"id: {playbook_id or path.stem}\ntitle: t\nsummary: s\nsymptoms: [{{text: x}}]\n",
                    encoding="utf-8")
    return path


def test_the_folder_is_the_option_then_the_environment_then_here_then_the_shipped_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNNER_PLAYBOOKS", raising=False)
    assert playbook_dir() == SHIPPED and (SHIPPED / "buildkit-stale.yaml").is_file()
    (tmp_path / "playbooks").mkdir()
    assert playbook_dir() == Path("playbooks")
    monkeypatch.setenv("RUNNER_PLAYBOOKS", "/from/env")
    assert playbook_dir() == Path("/from/env")
    assert playbook_dir("/given") == Path("/given")


def test_ids_are_the_yaml_files_of_the_folder(tmp_path):
    playbook(tmp_path, "b.yaml")
    playbook(tmp_path, "a.yml")
    (tmp_path / "notes.md").write_text("not a playbook\n")
    assert playbook_ids(tmp_path) == ["a", "b"]
    assert playbook_ids(tmp_path / "nope") == []


def test_a_playbook_loads_by_id_whatever_its_suffix(tmp_path):
    playbook(tmp_path, "stale-image.yml")
    assert load_playbook("stale-image", tmp_path).id == "stale-image"


def test_an_unknown_id_suggests_the_closest_or_lists_what_there_is(tmp_path):
    with pytest.raises(UnknownPlaybook, match=r"\(known: none\)"):
        load_playbook("stale-image", tmp_path)
    playbook(tmp_path, "stale-image.yaml")
    playbook(tmp_path, "port-already-allocated.yaml")
    with pytest.raises(UnknownPlaybook, match=r"no playbook 'stale-imag' in .* \(did you mean 'stale-image'\?\)"):
        load_playbook("stale-imag", tmp_path)
    with pytest.raises(UnknownPlaybook, match=r"\(known: port-already-allocated, stale-image\)"):
        load_playbook("zzz", tmp_path)


def test_a_catalogue_is_every_playbook_or_every_problem(tmp_path):
    with pytest.raises(UnknownPlaybook, match="is not a folder of playbooks"):
        load_catalogue(tmp_path / "nope")
    playbook(tmp_path, "one.yaml")
    playbook(tmp_path, "two.yaml")
    assert sorted(p.id for p in load_catalogue(tmp_path)) == ["one", "two"]
    playbook(tmp_path, "three.yaml", playbook_id="one")
    with pytest.raises(PlaybookError) as info:
        load_catalogue(tmp_path)
    assert [problem.path.name for problem in info.value.problems] == ["three.yaml"]
