"""The ledger: the build-cache records running labs own, for other cleaners to leave alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_running_labs_claim_their_records_for_other_cleaners(tmp_path, monkeypatch):
    import runner.lab.janitor as janitor

    monkeypatch.setattr(janitor.tempfile, "gettempdir", lambda: str(tmp_path))
    folder = janitor.ledger_dir()
    folder.mkdir()
    (folder / "live.json").write_text(json.dumps({"pid": os.getpid(), "owned": ["aaa", "bbb"]}))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / "gone.json").write_text(json.dumps({"pid": dead.pid, "owned": ["ccc"]}))
    (folder / "broken.json").write_text("{")
    assert janitor.claimed_build_cache() == {"aaa", "bbb"}


def test_a_type_filtered_prune_asks_only_about_records_the_engine_could_match():
    from runner.lab.janitor import _type_may_match

    context = {"Type": "source.local"}
    layer = {"Type": "regular"}
    assert _type_may_match(context, {"type": "source.local"}) and not _type_may_match(layer, {"type": "source.local"})
    assert _type_may_match(layer, None) and _type_may_match(layer, {"until": "4s"})
    # the engine's match is a regular expression: exec.* takes exec.cachemount
    assert _type_may_match({"Type": "exec.cachemount"}, {"type": "exec.*"})
    assert _type_may_match(layer, {"type": "("})  # not ours to judge: the engine answers it
