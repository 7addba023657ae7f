"""runner/site/pages.py: the site as files; the generated pages and the nav. Also what the
site's code must not do: commit a generated page, or bring MkDocs into `runner --help`. The
hook-free export that plain MkDocs and Zensical build is tested through its command,
`runner site export`, in tests/commands/test_site.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sitekit import ROOT

from runner.playbook.loader import load_file
from runner.site.pages import (
    NAV_PLAYBOOKS_UP_TO,
    add_to_nav,
    generated_pages,
    nav_entries,
)

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


