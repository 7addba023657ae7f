"""Where the playbooks are and loading them by id (runner/playbook/catalogue.py): the folder's
precedence, the ids a folder holds, a close id suggested for a typo, a catalogue validated
as a whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.errors import PlaybookError, UnknownPlaybook
from runner.playbook.catalogue import (
    load_catalogue,
    load_playbook,
    playbook_dir,
    playbook_ids,
    shipped,
)


def playbook(folder: Path, name: str, playbook_id: str | None = None) -> Path:
    path = folder / name
    path.write_text(f"id: {playbook_id or path.stem}\ntitle: t\nsummary: s\nsymptoms: [{{text: x}}]\n",
                    encoding="utf-8")
    return path


def test_the_folder_is_the_option_then_the_environment_then_here_then_the_shipped_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNNER_PLAYBOOKS", raising=False)
    assert playbook_dir() == shipped() and (shipped() / "buildkit-stale.yaml").is_file()
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


def test_a_wheel_installed_in_a_fresh_venv_ships_the_playbooks(tmp_path):
    """`pip install .` and wheels are not editable: the catalogue must come with them."""
    import os
    import subprocess
    import sys
    import sysconfig
    import venv

    root = Path(__file__).resolve().parents[2]
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(wheels), str(root)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                                *map(str, wheels.glob("runner-*.whl"))], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    # its dependencies from this environment, not from the network (the runner itself is not there)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True).stdout.strip()
    Path(site, "deps-from-the-test-environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("RUNNER_PLAYBOOKS", "PYTHONPATH")}
    done = subprocess.run([str(fresh / "bin" / "runner"), "list", "--json"], cwd=away, capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "buildkit-stale" in {row["id"] for row in json.loads(done.stdout)}
    where = subprocess.run([str(python), "-c", "import runner; print(runner.__file__)"], cwd=away,
                           capture_output=True, text=True, env=env).stdout
    assert str(fresh) in where  # the installed copy, not this checkout
