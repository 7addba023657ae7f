"""Verdicts written back into the playbook's YAML: each decided claim's `status:` and a
`verified:` entry, by targeted text edits that leave every other byte as it was."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import textwrap
from pathlib import Path
from typing import Any

from runner.lab.results import ClaimResult, LabReport


def record_verdicts(path: Path, report: LabReport, on: dt.date | None = None) -> list[str]:
    """Write each decided claim's verdict into the playbook file: `status:` and a `verified:`
    entry (one per engine and client; a newer run replaces the entry of the same versions).
    Targeted text edits: comments and everything else stay byte for byte. Returns the claim
    ids whose text changed."""
    import yaml

    on = on or dt.date.today()
    decided = {c.id: c for c in report.claims if c.decided}
    if not decided:
        return []
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    claims_node = _mapping_value(root, "claims")
    if not isinstance(claims_node, yaml.SequenceNode):
        return []
    edits: list[tuple[int, int, str]] = []
    changed: list[str] = []
    for item in claims_node.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        id_node = _mapping_value(item, "id")
        claim_id = id_node.value if isinstance(id_node, yaml.ScalarNode) else None
        if claim_id not in decided:
            continue
        result = decided[claim_id]
        indent = item.value[0][0].start_mark.column
        entry = {"on": on.isoformat(), "engine": report.versions.engine, "client": report.versions.client,
                 "store": report.versions.store, "verdict": result.verdict, "by": "lab"}
        if evidence := _evidence(report, result):
            entry["evidence"] = evidence
        item_edits = _claim_edits(text, item, indent, result.verdict or "", entry)
        if item_edits:
            changed.append(claim_id)
            edits.extend(item_edits)
    if not edits:
        return []
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return changed


def _mapping_value(node: Any, key: str) -> Any:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _evidence(report: LabReport, claim: ClaimResult) -> str:
    parts = []
    for experiment in report.experiments:
        if experiment.id in claim.experiments:
            shown = "; ".join(a.describe for a in experiment.assertions)
            parts.append(f"{experiment.id} {experiment.outcome}: {shown}")
    return _one_line(" | ".join(parts), 600)


def _one_line(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _claim_edits(text: str, item: Any, indent: int, verdict: str, entry: dict[str, str]) -> list[tuple[int, int, str]]:
    """The edits that record `entry` (this engine's verdict) in a claim: its `verified:` entry,
    replacing one of the same engine, client and image store, and its `status:`: the verdict
    when every engine recorded agrees, else depends."""
    import yaml

    pad = " " * indent
    edits: list[tuple[int, int, str]] = []
    status_node = _mapping_value(item, "status")
    verified = _mapping_value(item, "verified")
    entries: list[dict[str, Any]] = []
    if isinstance(verified, yaml.SequenceNode):
        key_node = next(k for k, v in item.value if v is verified)
        block_end = _block_end(text, key_node.start_mark.index, indent)
        from runner.playbook.loader import parse_yaml

        # The loader's reading: keys stay text (YAML 1.1 would read the key `on` as true).
        entries = parse_yaml(textwrap.dedent(text[_line_end(text, key_node.start_mark.index):block_end])
                             if not verified.flow_style else
                             text[verified.start_mark.index:verified.end_mark.index])[0] or []
    previous = status_node.value if status_node is not None else "unverified"
    for old in entries:
        # An entry from before verdicts were per engine holds the claim's status of its day.
        if isinstance(old, dict) and old.get("by", "lab") == "lab" and "verdict" not in old \
                and previous in ("confirmed", "refuted"):
            old["verdict"] = previous
    kept = [e for e in entries if not (isinstance(e, dict) and e.get("by", "lab") == "lab" and _same_engine(e, entry))]
    verdicts = {e.get("verdict") for e in [*kept, entry] if isinstance(e, dict) and e.get("verdict")}
    status = verdict if verdicts == {verdict} else "depends"
    if status_node is not None:
        if status_node.value != status:
            edits.append((status_node.start_mark.index, status_node.end_mark.index, status))
        status_line_end = _line_end(text, status_node.end_mark.index)
    else:
        statement = _mapping_value(item, "statement") or item.value[0][1]
        status_line_end = _line_end(text, max(statement.end_mark.index - 1, statement.start_mark.index))
        edits.append((status_line_end, status_line_end, f"{pad}status: {status}\n"))
    same = [e for e in entries if e not in kept]
    if same and all(_same_entry(e, entry) for e in same) and all("verdict" in e for e in kept if isinstance(e, dict)):
        return edits  # this very verification is already recorded
    block = "".join(_render_entry(e, pad) for e in [*kept, entry])
    if verified is not None:
        key_node = next(k for k, v in item.value if v is verified)
        start = _line_start(text, key_node.start_mark.index)
        edits.append((start, _block_end(text, key_node.start_mark.index, indent), f"{pad}verified:\n{block}"))
    else:
        edits.append((status_line_end, status_line_end, f"{pad}verified:\n{block}"))
    return edits


def _same_engine(old: dict[str, Any], new: dict[str, str]) -> bool:
    return (old.get("engine"), old.get("client"), old.get("store") or "overlay2") == \
        (new["engine"], new["client"], new.get("store") or "overlay2")


def _block_end(text: str, key_index: int, indent: int) -> int:
    """Where the value of the key at `key_index` ends: the first later line, not blank, that is
    indented no deeper than the key (PyYAML's end marks point into the next token's line)."""
    position = _line_end(text, key_index)
    while position < len(text):
        end = _line_end(text, position)
        line = text[position:end]
        stripped = line.lstrip(" ")
        if stripped.strip() and len(line) - len(stripped) <= indent and not stripped.startswith("- ") \
                or stripped.strip() and len(line) - len(stripped) < indent:
            return position
        position = end
    return position


def _same_entry(old: Any, new: dict[str, str]) -> bool:
    if not isinstance(old, dict):
        return False
    on = old.get("on")
    on = on.isoformat() if isinstance(on, dt.date) else str(on)
    return on == new["on"] and old.get("evidence") == new.get("evidence") and old.get("verdict") == new.get("verdict") \
        and old.get("store") == new.get("store")


def _render_entry(entry: Any, pad: str) -> str:
    if not isinstance(entry, dict):
        return f"{pad}  - {json.dumps(entry, ensure_ascii=False, default=str)}\n"
    lines = []
    for i, (key, value) in enumerate(entry.items()):
        if isinstance(value, dt.date):
            shown = value.isoformat()
        elif key == "on" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            shown = value
        elif isinstance(value, dict):
            shown = json.dumps(value, ensure_ascii=False)
        else:
            shown = json.dumps(value, ensure_ascii=False) if not _plain(value) else value
        lines.append(f"{pad}{'  - ' if i == 0 else '    '}{key}: {shown}\n")
    return "".join(lines)


def _plain(value: Any) -> bool:
    """A string YAML reads back as the same plain string."""
    import yaml

    if not isinstance(value, str) or not value or value != value.strip() or "\n" in value:
        return False
    if any(ch in value for ch in ":#{}[],&*!|>'\"%@`") or value[0] in "-?":
        return False
    return yaml.safe_load(value) == value
