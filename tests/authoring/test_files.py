"""Files in and out: a write-up read as UTF-8 text, a playbook written atomically and never over
an existing file unless asked, the `$schema=` path relative to the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner.authoring.files import (
    MAX_BYTES,
    decode_markdown,
    read_markdown,
    schema_reference,
    write_new,
)
from runner.authoring.importer import ImportFailed
from runner.authoring.yaml_out import DEFAULT_SCHEMA
from runner.playbook.schema import SCHEMA_PATH


def test_read_markdown(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes("\ufeff# 제목\n".encode())
    assert read_markdown(path) == "# 제목\n"  # a byte-order mark is not text
    with pytest.raises(ImportFailed, match="is a folder"):
        read_markdown(tmp_path)
    with pytest.raises(ImportFailed, match="cannot read .*missing.md"):
        read_markdown(tmp_path / "missing.md")


@pytest.mark.parametrize("raw, message", [
    (b"x" * (MAX_BYTES + 1), "in.md is larger than 1 MB: not one write-up"),
    (b"a\0b", "in.md is not a text file"),
    (b"ok\nok\ncaf\xe9\n", "in.md:3: not UTF-8 text (save the file as UTF-8)"),
])
def test_decode_refuses_what_is_not_one_text(raw, message):
    with pytest.raises(ImportFailed) as failed:
        decode_markdown(raw, "in.md")
    assert str(failed.value) == message


def test_write_new_never_clobbers_without_force(tmp_path):
    path = tmp_path / "p.yaml"
    write_new(path, "one\n")
    assert path.read_text() == "one\n"
    with pytest.raises(ImportFailed, match="exists: pass --force"):
        write_new(path, "two\n")
    os.chmod(path, 0o640)
    write_new(path, "two\n", force=True)
    assert path.read_text() == "two\n"
    assert path.stat().st_mode & 0o777 == 0o640  # the replaced file's mode stays
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]  # no temporary file left
    with pytest.raises(ImportFailed, match="is not a folder"):
        write_new(tmp_path / "nowhere" / "p.yaml", "x")


def test_schema_reference_is_relative_to_the_folder(tmp_path):
    assert schema_reference(None) == DEFAULT_SCHEMA
    reference = schema_reference(tmp_path)
    assert not Path(reference).is_absolute()
    assert (tmp_path / reference).resolve() == SCHEMA_PATH.resolve()
