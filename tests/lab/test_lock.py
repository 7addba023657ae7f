"""The engine lock: one lab at a time on an engine; another engine does not wait."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time

from labkit import ROOT


def test_one_lab_at_a_time_on_an_engine(tmp_path, monkeypatch):
    import runner.lab.lock as lock

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""\
            import time, tempfile, runner.lab.lock as lock
            tempfile.gettempdir = lambda: {str(tmp_path)!r}
            with lock.engine_lock("unix:///x.sock", "first", lambda _: None):
                print("held", flush=True)
                time.sleep(1.5)
            """)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout.readline().strip() == "held"
    told: list[str] = []
    started = time.monotonic()
    with lock.engine_lock("unix:///x.sock", "second", told.append):
        waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert told == ["run first, pid %d" % holder.pid] and waited > 0.5
    with lock.engine_lock("unix:///other.sock", "third", told.append):  # another engine: no wait
        pass
    assert len(told) == 1
