"""runner/site/markers.py: `<!-- runner:... -->` in the hand-written pages."""

from __future__ import annotations

import pytest
from sitekit import ROOT

from runner.playbook.loader import load_file
from runner.site.markers import expand_markers

EXAMPLES = sorted((ROOT / "tests" / "examples" / "valid").glob("*.yaml"))


def test_markers_expand_in_hand_written_pages() -> None:
    playbooks = [load_file(p) for p in EXAMPLES]
    table = expand_markers("<!-- runner:playbooks -->", playbooks, "index.md")
    assert "[빌드 후에도 예전 이미지가 실행됨<br><small>The old image still runs after a build</small>]" \
           "(playbooks/stale-image.md)" in table
    assert table.index("stale-image") < table.index("minimal")  # high before medium
    claims = expand_markers("<!-- runner:claims status=confirmed -->", playbooks, "onboarding/x.md")
    assert "(../playbooks/stale-image.md#claim-rmi-keeps-cache)" in claims
    with pytest.raises(ValueError, match="unknown marker"):
        expand_markers("<!-- runner:nope -->", playbooks, "index.md")


def test_the_count_marker_and_the_others_in_one_page() -> None:
    playbooks = [load_file(p) for p in EXAMPLES]
    page = expand_markers("# x\n\n<!-- runner:count --> playbooks\n\n<!-- runner:playbooks limit=1 -->\n",
                          playbooks, "index.md")
    assert f"\n\n{len(playbooks)} playbooks\n\n" in page
    assert "<!-- runner:" not in page
