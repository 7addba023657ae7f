"""BuildKit's `--progress=plain` output read: the Dockerfile steps (cached or run, seconds,
errors), what the RUN steps printed, and how many bytes of the build context were sent."""

from __future__ import annotations

import re
from typing import Any

_VERTEX = re.compile(r"^#(\d+) (\[[^\]]+\] .+)$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
_DONE = re.compile(r"^#(\d+) DONE ([\d.]+)s$")
_ERROR = re.compile(r"^#(\d+) ERROR")
_STAGE_STEP = re.compile(r"^\[(?!internal\])([^\]]*?)\s*(\d+)/(\d+)\] (.+)$")
_LOG_LINE = re.compile(r"^#\d+ \d+\.\d+ (.*)$")
_CONTEXT = re.compile(r"^#\d+ transferring context: ([\d.]+)([kMG]?)B\b")
_UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}


def context_bytes(output: str) -> int:
    """Bytes BuildKit sent of the build context: what its sync found new or changed."""
    return max((int(float(m.group(1)) * _UNITS[m.group(2)]) for line in output.splitlines()
                if (m := _CONTEXT.match(line))), default=0)


def build_log(output: str) -> str:
    """What the build's RUN steps printed, one line each, without BuildKit's prefixes (the
    step names, which quote the commands, are left out: a pattern matches output only)."""
    return "\n".join(m.group(1) for line in output.splitlines() if (m := _LOG_LINE.match(line)))


def parse_build(output: str) -> list[dict[str, Any]]:
    """The Dockerfile steps of a `--progress=plain` build log: name, cached, seconds, error."""
    names: dict[str, str] = {}
    cached: set[str] = set()
    done: dict[str, float] = {}
    errors: set[str] = set()
    for line in output.splitlines():
        if m := _VERTEX.match(line):
            names.setdefault(m.group(1), m.group(2))
        elif m := _CACHED.match(line):
            cached.add(m.group(1))
        elif m := _DONE.match(line):
            done[m.group(1)] = float(m.group(2))
        elif m := _ERROR.match(line):
            errors.add(m.group(1))
    steps = []
    for number, name in names.items():
        m = _STAGE_STEP.match(name)
        if not m:
            continue
        instruction = m.group(4)
        steps.append({"name": name, "stage": m.group(1) or "", "instruction": instruction,
                      "from": instruction.startswith("FROM "), "cached": number in cached,
                      "seconds": done.get(number), "error": number in errors})
    return steps

