"""`runner site export DIR` (runner/commands/site.py): which site and which playbooks it exports,
what it says, and the export of this repository's site, which plain MkDocs and Zensical build
without the hook. The pages themselves are tested in tests/site/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sitekit import ROOT, build_site

from runner import exitcodes
from runner.cli import cli
from runner.playbook.catalogue import shipped

EXAMPLES = ROOT / "tests" / "examples" / "valid"


def export(*args: str):
    return CliRunner().invoke(cli, list(args), env={"RUNNER_PLAYBOOKS": None})


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    """A site of one page with one playbook beside its mkdocs.yml; returns the mkdocs.yml."""
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs/index.md").write_text("# Home\n", encoding="utf-8")
    (site / "mkdocs.yml").write_text("site_name: Small\nnav:\n  - Home: index.md\n", encoding="utf-8")
    (site / "playbooks").mkdir()
    shutil.copy(EXAMPLES / "minimal.yaml", site / "playbooks")
    return site / "mkdocs.yml"


def pages(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "docs/playbooks").glob("*.md") if p.name != "index.md")


def test_the_playbooks_beside_the_config_are_exported_and_the_command_says_how_to_build(small_site, tmp_path):
    out = tmp_path / "out" / "new"  # made with its parents
    result = export("site", "export", str(out), "--config", str(small_site))
    assert result.exit_code == exitcodes.OK, result.output
    assert pages(out) == ["minimal.md"]
    written = sum(1 for p in out.rglob("*.md"))
    assert written == 2 * sum(1 for p in (out / "docs").rglob("*.md"))  # each page in each language
    assert result.stdout.splitlines() == [
        f"wrote {written} pages for 1 playbooks, in Korean and in English: {out}/docs, {out}/en/docs and their "
        "mkdocs.yml",
        f"build it: mkdocs build -f {out}/mkdocs.yml && mkdocs build -f {out}/en/mkdocs.yml   "
        f"(or: cd {out} && zensical build, and in {out}/en)"]
    assert yaml.safe_load((out / "mkdocs.yml").read_text(encoding="utf-8"))["site_name"] == "Small"


def test_playbooks_given_win_over_those_beside_the_config(small_site, tmp_path):
    out = tmp_path / "out"
    result = export("--playbooks", str(EXAMPLES), "site", "export", str(out), "--config", str(small_site))
    assert result.exit_code == exitcodes.OK, result.output
    assert pages(out) == sorted(f"{p.stem}.md" for p in EXAMPLES.glob("*.yaml"))


def test_without_playbooks_beside_the_config_the_default_folder_is_exported(small_site, tmp_path, monkeypatch):
    shutil.rmtree(small_site.parent / "playbooks")
    monkeypatch.chdir(tmp_path)  # no ./playbooks either: the shipped ones
    out = tmp_path / "out"
    result = export("site", "export", str(out), "--config", str(small_site))
    assert result.exit_code == exitcodes.OK, result.output
    assert pages(out) == sorted(f"{p.stem}.md" for p in shipped().glob("*.yaml"))


def test_a_config_not_named_mkdocs_yml_is_a_usage_error(small_site, tmp_path):
    other = small_site.with_name("other.yml")
    small_site.rename(other)
    result = export("site", "export", str(tmp_path / "out"), "--config", str(other))
    assert result.exit_code == exitcodes.CANNOT
    assert f"no mkdocs.yml in {other.parent} (give --config)" in result.output
    assert not (tmp_path / "out").exists()


def test_a_config_that_does_not_exist_is_a_usage_error(tmp_path):
    result = export("site", "export", str(tmp_path / "out"), "--config", str(tmp_path / "nope.yml"))
    assert result.exit_code == exitcodes.CANNOT
    assert "does not exist" in result.output


# --- this repository's site, exported -------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export")
    done = subprocess.run([sys.executable, "-m", "runner", "site", "export", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return out


def test_export_writes_every_page_and_a_hook_free_config(exported: Path) -> None:
    config = (exported / "mkdocs.yml").read_text(encoding="utf-8")
    assert "hooks" not in yaml.load(config, Loader=yaml.BaseLoader)
    assert "playbooks/buildkit-stale.md" in config  # nav filled in
    from runner.playbook.loader import load_file
    from runner.site.languages import page_language
    from runner.site.playbook_page import playbook_markdown

    playbook = load_file(ROOT / "playbooks/buildkit-stale.yaml")
    for lang, folder in (("ko", exported), ("en", exported / "en")):
        page = (folder / "docs/playbooks/buildkit-stale.md").read_text(encoding="utf-8")
        with page_language(lang):
            assert page == playbook_markdown(playbook)
        config = yaml.load((folder / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        assert config["theme"]["language"] == lang and "hooks" not in config
    assert "<!-- runner:" not in "".join(p.read_text() for p in (exported / "docs").rglob("*.md"))


def test_exported_pages_build_with_plain_mkdocs(exported: Path, tmp_path: Path) -> None:
    build = build_site(tmp_path / "site", config=exported / "mkdocs.yml")
    assert build.returncode == 0, build.log
    assert (tmp_path / "site/playbooks/buildkit-stale/index.html").exists()
    english = build_site(tmp_path / "site" / "en", config=exported / "en" / "mkdocs.yml")
    assert english.returncode == 0, english.log
    assert '<html lang="en"' in (tmp_path / "site/en/playbooks/buildkit-stale/index.html").read_text(encoding="utf-8")


def test_exported_pages_build_with_zensical(exported: Path) -> None:
    zensical = shutil.which("zensical") or shutil.which("zensical", path=str(Path(sys.executable).parent))
    if zensical is None:
        pytest.skip("zensical is not installed (pip install zensical); Material's successor, reads mkdocs.yml")
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([zensical, "build", "--strict", "--clean"], cwd=exported, capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    page = (exported / "site/playbooks/buildkit-stale/index.html").read_text(encoding="utf-8")
    assert 'id="symptoms"' in page and "runner diagnose buildkit-stale" in page and '<html lang="ko"' in page
