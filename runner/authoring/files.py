"""Files in and out: a write-up read as UTF-8 text within a size limit (read_markdown,
decode_markdown), a playbook written atomically and never over an existing file unless asked
(write_new), and the `$schema=` path for the folder it goes into (schema_reference)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from runner.authoring.importer import ImportFailed
from runner.authoring.yaml_out import DEFAULT_SCHEMA

MAX_BYTES = 1_000_000  # a write-up is a few pages; more is not one incident


def read_markdown(path: Path) -> str:
    """The write-up's text; ImportFailed for what is not a readable UTF-8 text file."""
    path = Path(path)
    if path.is_dir():
        raise ImportFailed(f"{path} is a folder: give the Markdown file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_markdown(raw, str(path))


def decode_markdown(raw: bytes, name: str) -> str:
    if len(raw) > MAX_BYTES:
        raise ImportFailed(f"{name} is larger than {MAX_BYTES // 1_000_000} MB: not one write-up")
    if b"\0" in raw:
        raise ImportFailed(f"{name} is not a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFailed(f"{name}:{line}: not UTF-8 text (save the file as UTF-8)") from None


def write_new(path: Path, text: str, force: bool = False) -> None:
    """Write atomically (a temporary file, then a rename); an existing file only with force."""
    path = Path(path)
    if path.exists() and not force:
        raise ImportFailed(f"{path} exists: pass --force to overwrite it")
    if not path.parent.is_dir():
        raise ImportFailed(f"{path.parent} is not a folder")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temporary, _file_mode(path))  # mkstemp makes 0600; a playbook is an ordinary file
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if force:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # fails if the file appeared meanwhile: never clobber
            except FileExistsError:
                raise ImportFailed(f"{path} exists: pass --force to overwrite it") from None
            except OSError:  # a filesystem without hard links
                if path.exists():
                    raise ImportFailed(f"{path} exists: pass --force to overwrite it") from None
                os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _file_mode(path: Path) -> int:
    """The replaced file's mode, else what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def schema_reference(folder: Path | None) -> str:
    """The `$schema=` path for a playbook written into `folder` (relative, as editors want)."""
    from runner.playbook.schema import SCHEMA_PATH

    if folder is None:
        return DEFAULT_SCHEMA
    try:
        return Path(os.path.relpath(SCHEMA_PATH, Path(folder).resolve())).as_posix()
    except ValueError:  # another drive
        return SCHEMA_PATH.as_posix()
