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
