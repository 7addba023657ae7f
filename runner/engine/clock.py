"""The engine's clock: its timestamps read to the nanosecond, and how far it is from ours.

A remote engine's clock may be off from this machine's; comparing its image times with file
times here needs the difference (read once from the engine's `SystemTime`).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")
NEVER = "0001-01-01T00:00:00Z"  # Go's zero time: the engine never set it


def parse_time(text: str) -> float:
    """RFC 3339 with up to nanoseconds ('2026-11-26T10:50:10.389253685Z' or '+09:00') -> epoch
    seconds; raises ValueError."""
    match = _RFC3339.match((text or "").strip())
    if not match:
        raise ValueError(f"not a timestamp: {text!r}")
    zone = match.group(3) or "Z"
    moment = dt.datetime.fromisoformat(match.group(1) + ("+00:00" if zone == "Z" else zone))
    return moment.timestamp() + float("0." + (match.group(2) or "0"))


def parse_time_or_none(text: str | None) -> float | None:
    """parse_time, or None for an empty, unreadable or never-set time."""
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        return parse_time(text)
    except ValueError:
        return None


def engine_now(client: Any) -> float:
    """The engine's time now; ours when it does not say."""
    try:
        return parse_time(client.info().get("SystemTime", ""))
    except Exception:  # noqa: BLE001 - without it, assume the engine's clock is ours
        return time.time()


def offset(client: Any) -> float:
    """Seconds the engine's clock is ahead of ours: 0 for an engine on a unix socket (this
    machine's clock), else read from the engine (give or take the time the call takes)."""
    if str(getattr(getattr(client, "api", None), "base_url", "")).startswith("http+docker://"):
        return 0.0
    return engine_now(client) - time.time()
