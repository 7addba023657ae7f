"""runner/site/pages.py: the site as files; the generated pages, the nav, and the hook-free export
that plain MkDocs and Zensical build. Also what the site's code must not do: commit a
generated page, or bring MkDocs into `runner --help`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from runner.site.pages import NAV_PLAYBOOKS_UP_TO, add_to_nav, generated_pages, nav_entries
from runner.playbook.loader import load_file
from sitekit import ROOT, build_site

EXAMPLES = sorted((ROOT / "tests" / "examples" / "valid").glob("*.yaml"))


def test_a_page_per_playbook_at_its_id() -> None:
    playbooks = [load_file(p) for p in EXAMPLES]
    assert sorted(generated_pages(playbooks)) == sorted(f"playbooks/{p.id}.md" for p in playbooks)


def test_the_nav_lists_a_small_catalogue_and_no_large_one() -> None:
    playbooks = [load_file(p) for p in EXAMPLES]
    entries = nav_entries(playbooks)
    assert {"빌드 후에도 예전 이미지가 실행됨": "playbooks/stale-image.md"} in entries
    assert len(entries) == len(playbooks) <= NAV_PLAYBOOKS_UP_TO
    many = [p.model_copy(update={"id": f"p{n}"}) for n in range(NAV_PLAYBOOKS_UP_TO + 1) for p in playbooks[:1]]
    assert nav_entries(many) == []
    nav = [{"Home": "index.md"}, {"Playbooks": ["playbooks/index.md"]}]
    assert add_to_nav(nav, playbooks) and nav[1]["Playbooks"][1:] == entries
    assert not add_to_nav([{"Home": "index.md"}], playbooks)


def test_authoring_example_is_a_valid_playbook(tmp_path: Path) -> None:
    text = (ROOT / "docs/onboarding/writing-playbooks.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    path = tmp_path / "port-in-use.yaml"
    path.write_text(example, encoding="utf-8")
    assert load_file(path).id == "port-in-use"


def test_no_generated_page_is_committed() -> None:
    committed = {p.name for p in (ROOT / "docs" / "playbooks").glob("*.md")}
    assert committed == {"index.md"}


def test_runner_help_does_not_import_mkdocs() -> None:
    code = "import sys; from runner.cli import cli; cli.main(['--help'], standalone_mode=False); " \
           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mkdocs', 'material')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export")
    done = subprocess.run([sys.executable, "-m", "runner", "site", "export", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return out


def test_export_writes_every_page_and_a_hook_free_config(exported: Path, real_site) -> None:
    config = (exported / "mkdocs.yml").read_text(encoding="utf-8")
    assert "hooks" not in yaml.load(config, Loader=yaml.BaseLoader)
    assert "playbooks/buildkit-stale.md" in config  # nav filled in
    page = (exported / "docs/playbooks/buildkit-stale.md").read_text(encoding="utf-8")
    from runner.site.playbook_page import playbook_markdown
    from runner.playbook.loader import load_file

    assert page == playbook_markdown(load_file(ROOT / "playbooks/buildkit-stale.yaml"))
    assert "<!-- runner:" not in "".join(p.read_text() for p in (exported / "docs").rglob("*.md"))


def test_exported_pages_build_with_plain_mkdocs(exported: Path, tmp_path: Path) -> None:
    build = build_site(tmp_path / "site", config=exported / "mkdocs.yml")
    assert build.returncode == 0, build.log
    assert (tmp_path / "site/playbooks/buildkit-stale/index.html").exists()


def test_exported_pages_build_with_zensical(exported: Path) -> None:
    zensical = shutil.which("zensical") or shutil.which("zensical", path=str(Path(sys.executable).parent))
    if zensical is None:
        pytest.skip("zensical is not installed (pip install zensical); Material's successor, reads mkdocs.yml")
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([zensical, "build", "--strict", "--clean"], cwd=exported, capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    page = (exported / "site/playbooks/buildkit-stale/index.html").read_text(encoding="utf-8")
    assert 'id="symptoms"' in page and "runner diagnose buildkit-stale" in page and "tabbed-set" in page
