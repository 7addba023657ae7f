"""runner/state.py: a file written atomically is the old text or the new, never half, and leaves
no temporary file behind, whether or not it is synced to the disk."""

from __future__ import annotations

import pytest

from runner.state import write_atomically


@pytest.mark.parametrize("durable", [True, False])
def test_a_write_is_whole_or_nothing(tmp_path, durable):
    path = tmp_path / "deep" / "record.json"
    write_atomically(path, "old", durable=durable)
    assert path.read_text() == "old"
    with pytest.raises(UnicodeEncodeError):
        write_atomically(path, "new \udcff", durable=durable)  # fails half way through the write
    assert path.read_text() == "old"
    assert [p.name for p in path.parent.iterdir()] == ["record.json"]
    write_atomically(path, "new", durable=durable)
    assert path.read_text() == "new"
