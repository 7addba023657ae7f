"""runner/site/catalogue_pages.py: the tables of playbooks and claims, most severe first, with links
that work from the page the table is on."""

from __future__ import annotations

from sitekit import ROOT

from runner.playbook.loader import load_file
from runner.site.catalogue_pages import (
    claims_table,
    page_path,
    playbook_table,
    sorted_playbooks,
)

PLAYBOOKS = [load_file(p) for p in sorted((ROOT / "tests" / "examples" / "valid").glob("*.yaml"))]


def test_most_severe_first_then_by_id() -> None:
    assert [p.id for p in sorted_playbooks(PLAYBOOKS)] == ["stale-image", "anchors", "minimal", "korean-only"]
    assert page_path("stale-image") == "playbooks/stale-image.md"


def test_the_playbook_table_links_from_where_it_stands_and_can_stop_early() -> None:
    table = playbook_table(PLAYBOOKS, "playbooks", limit=1).splitlines()
    assert len(table) == 4
    assert table[2].startswith("| [빌드 후에도 예전 이미지가 실행됨<br><small>The old image still runs after a build</small>]"
                               "(stale-image.md) | ")
    assert table[3] == "| [… 나머지 3개: 전체 목록 · 3 more: the whole list](index.md) | | |"
    assert "(../../playbooks/minimal.md)" in playbook_table(PLAYBOOKS, "a/b")
    assert playbook_table([], "").endswith("| (아직 없음 · none yet) | | |")


def test_the_claims_table_selects_by_tag_and_status() -> None:
    rows = claims_table(PLAYBOOKS, "", statuses={"confirmed"}).splitlines()[2:]
    assert [row.rsplit("(", 1)[1] for row in rows] == ["playbooks/stale-image.md#claim-rmi-keeps-cache) |",
                                                        "playbooks/anchors.md#claim-slow) |"]
    assert all("pb-claim-confirmed" in row for row in rows)
    assert claims_table(PLAYBOOKS, "a/b", tags={"nothing"}).endswith("| | (아직 없음 · none yet) | | |")
