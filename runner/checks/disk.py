"""Disk space on the engine and what the build cache takes of it: the check behind the
`build-cache-disk-full` playbook. Read-only.

Three measurements, one verdict each, against thresholds the playbook's params give:
1. free space (and free inodes) on the filesystem of the engine's data root (`DockerRootDir`),
   read with statvfs where that path is on this machine (a local engine; else unknown);
2. the build cache as `docker system df` counts it (records no image shares; those an image
   shares are counted with the images), optionally only the records whose description matches
   a pattern, and what `docker builder prune --filter until=...` would free;
3. BuildKit's garbage collection as the daemon configuration file sets it (`builder.gc`).

A measurement that cannot be made leaves its verdict out of the evidence, so a cause that
depends on it is unknown, never true by default.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from runner.checks.kinds import DiskUsageArgs
from runner.checks.result import CheckContext, CheckResult
from runner.engine.clock import parse_time_or_none
from runner.engine.store import image_store
from runner.engine.usage import disk_usage as engine_disk_usage
from runner.errors import EngineUnavailable

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
          "g": 1024**3, "gb": 1024**3, "gib": 1024**3, "t": 1024**4, "tb": 1024**4, "tib": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def parse_size(text: str) -> int:
    """'20GB', '512MB', '1048576': bytes, binary units as dockerd reads `defaultKeepStorage` and
    `docker builder prune --keep-storage` (units.RAMInBytes: 1 KB = 1024 B). ValueError otherwise."""
    match = _SIZE.match(str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"{text!r} is not a size (like 20GB, 512MB or a number of bytes)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_amount(text: str, whole: int | None) -> int | None:
    """A size, or a percentage of `whole` ('10%'); None when a percentage has no whole."""
    text = str(text).strip()
    if text.endswith("%"):
        try:
            share = float(text[:-1])
        except ValueError:
            raise ValueError(f"{text!r} is not a percentage") from None
        return None if whole is None else int(whole * share / 100)
    return parse_size(text)


def parse_duration(text: str) -> float:
    """A Go duration as `--filter until=` takes it ('168h', '1h30m', '90s') in seconds."""
    text = str(text).strip()
    if not text or _DURATION.sub("", text):
        raise ValueError(f"{text!r} is not a duration (like 168h, 30m or 10s)")
    return sum(float(n) * _DURATION_UNITS[u] for n, u in _DURATION.findall(text))


def _filesystem(path: str) -> dict[str, Any] | None:
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    size = st.f_blocks * st.f_frsize
    avail = st.f_bavail * st.f_frsize
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    out: dict[str, Any] = {"path": path, "size": size, "avail": avail, "used": used,
                           "avail_pct": round(100 * avail / size, 1) if size else None}
    if st.f_files:
        out.update({"inodes": st.f_files, "inodes_avail": st.f_favail,
                    "inodes_avail_pct": round(100 * st.f_favail / st.f_files, 1)})
    return out


def _gc_config(path: str | None, server_version: str) -> dict[str, Any]:
    """`builder.gc` of the daemon configuration file, when it is readable here."""
    out: dict[str, Any] = {"config_file": path, "read": False}
    if not path:
        return out
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        out["exists"] = False
        data = {}
    except (OSError, ValueError) as exc:
        out["error"] = str(exc)
        return out
    out["read"] = True
    gc = ((data.get("builder") or {}).get("gc") or {}) if isinstance(data, dict) else {}
    enabled = gc.get("enabled") if isinstance(gc, dict) else None
    out["enabled"] = enabled
    out["default_keep_storage"] = gc.get("defaultKeepStorage") if isinstance(gc, dict) else None
    out["policy"] = gc.get("policy") if isinstance(gc, dict) else None
    if enabled is None:
        # dockerd 20.10 reads `enabled` as a plain bool (unset: false, no GC); later engines
        # (BuilderGCConfig.IsEnabled) read unset as on.
        out["effective"] = False if server_version.startswith("20.") else None
        out["note"] = ("builder.gc.enabled is not set: Docker Engine 20.10 runs no build-cache GC"
                       if server_version.startswith("20.") else "builder.gc.enabled is not set")
    else:
        out["effective"] = bool(enabled)
    return out


def _human(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return f"{n:.1f} TB"


def disk_usage(args: DiskUsageArgs, ctx: CheckContext) -> CheckResult:
    from runner.checks.docker import engine_client
    from runner.engine.endpoints import resolve_endpoint

    host = ctx.docker_host or resolve_endpoint().host
    try:
        min_free = str(args.min_free)
        budget = str(args.cache_budget)
        for given in (min_free, budget, str(args.min_free_inodes)):
            parse_amount(given, 100)
        idle_after = parse_duration(args.unused_for) if args.unused_for else None
        scope = re.compile(args.description) if args.description else None
    except (ValueError, re.error) as exc:
        return CheckResult("error", f"bad argument: {exc}")
    try:
        client = engine_client(ctx)
        info = client.info()
        usage = engine_disk_usage(client)
    except EngineUnavailable as exc:
        return CheckResult("error", str(exc))
    root = info.get("DockerRootDir") or ""
    server_version = str(info.get("ServerVersion") or "")
    engine_now = parse_time_or_none(info.get("SystemTime")) or time.time()
    evidence: dict[str, Any] = {"host": host, "docker_root": root, "server_version": server_version}

    # 1. free space where the engine keeps its data (local engines; else a given path)
    local = host.startswith("unix://") or host.startswith("npipe://")
    where = args.path or (root if local else None)
    fs = _filesystem(where) if where else None
    evidence["filesystem"] = fs
    if fs is None:
        evidence["filesystem_note"] = (f"{where} cannot be read here" if where else
                                       f"the engine at {host} is not on this machine: give path= on its host")
    else:
        min_free_bytes = parse_amount(min_free, fs["size"])
        evidence["min_free_bytes"] = min_free_bytes
        low_bytes = fs["avail"] < min_free_bytes
        low_inodes = False
        if "inodes" in fs:
            min_inodes = parse_amount(str(args.min_free_inodes), fs["inodes"]) if str(args.min_free_inodes).endswith(
                "%") else int(float(args.min_free_inodes))
            evidence["min_free_inodes"] = min_inodes
            low_inodes = fs["inodes_avail"] < min_inodes
        evidence["low_space"] = low_bytes or low_inodes
        evidence["low_space_reason"] = ("bytes and inodes" if low_bytes and low_inodes else "bytes" if low_bytes
                                        else "inodes" if low_inodes else None)

    # 2. the build cache, as `docker system df` counts it
    records = usage.get("BuildCache") or []
    matching = [r for r in records if scope is None or scope.search(r.get("Description") or "")]
    idle_cut = engine_now - idle_after if idle_after is not None else None
    cache: dict[str, Any] = {"records": len(matching), "bytes": 0, "shared_bytes": 0, "reclaimable": 0,
                             "in_use_bytes": 0, "by_type": {}}
    idle = {"records": 0, "bytes": 0}
    # On the containerd image store BuildKit marks every layer record Shared, a stage's result
    # no image holds included, and keeps it so after `rmi`; `docker system df` then leaves the
    # whole build out of its figure, while a prune does free them. There, Shared says nothing:
    # every record counts (what images still hold is over-counted, never the cache missed).
    containerd = image_store(info) == "containerd"
    cache["store"] = image_store(info)
    for record in matching:
        size = int(record.get("Size") or 0)
        kind = cache["by_type"].setdefault(record.get("Type") or "?", {"records": 0, "bytes": 0})
        kind["records"] += 1
        if record.get("Shared"):
            cache["shared_bytes"] += size
            if not containerd:
                continue
        kind["bytes"] += size
        cache["bytes"] += size
        if record.get("InUse"):
            cache["in_use_bytes"] += size
            continue
        cache["reclaimable"] += size
        last = parse_time_or_none(record.get("LastUsedAt")) or parse_time_or_none(record.get("CreatedAt"))
        if idle_cut is not None and last is not None and last < idle_cut:
            idle["records"] += 1
            idle["bytes"] += size
    if idle_after is not None:
        cache["idle"] = {"unused_for": args.unused_for, **idle}
    largest = sorted((r for r in matching if containerd or not r.get("Shared")),
                     key=lambda r: -int(r.get("Size") or 0))[:5]
    cache["largest"] = [{"id": r.get("ID"), "type": r.get("Type"), "size": int(r.get("Size") or 0),
                         "description": (r.get("Description") or "")[:120], "last_used": r.get("LastUsedAt"),
                         "in_use": bool(r.get("InUse"))} for r in largest]
    if scope is not None:
        cache["description"] = args.description
        cache["engine_records"] = len(records)
    evidence["cache"] = cache
    evidence["usage"] = {
        "images": int(usage.get("LayersSize") or 0),
        "containers": sum(int(c.get("SizeRw") or 0) for c in usage.get("Containers") or []),
        "volumes": sum(int(((v.get("UsageData") or {}).get("Size")) or 0) for v in usage.get("Volumes") or []
                       if int(((v.get("UsageData") or {}).get("Size")) or 0) > 0),
        "build_cache": sum(int(r.get("Size") or 0) for r in records if containerd or not r.get("Shared")),
    }
    budget_bytes = parse_amount(budget, fs["size"] if fs else None)
    if budget_bytes is not None:
        evidence["cache_budget_bytes"] = budget_bytes
        evidence["cache_over_budget"] = cache["bytes"] > budget_bytes
    else:
        evidence["cache_budget_note"] = f"cache_budget {budget} is a share of a filesystem this check cannot read"
    if fs and fs["used"]:
        evidence["cache_share_of_used"] = round(cache["bytes"] / fs["used"], 4)

    # 3. BuildKit's garbage collection as configured
    evidence["gc"] = _gc_config(args.daemon_config if local or args.path else None, server_version)

    scope_note = f" matching /{args.description}/" if scope is not None else ""
    parts = [f"build cache{scope_note}: {_human(cache['bytes'])} in {cache['records']} record(s), "
             f"{_human(cache['reclaimable'])} reclaimable"]
    if budget_bytes is not None:
        parts[0] += f" (budget {_human(budget_bytes)})"
    if fs is not None:
        parts.append(f"{fs['path']}: {_human(fs['avail'])} free of {_human(fs['size'])} ({fs['avail_pct']}%)")
    summary = "; ".join(parts)
    if evidence.get("low_space"):
        return CheckResult("fail", f"low on space ({evidence['low_space_reason']}, below {min_free}): {summary}",
                           evidence)
    if evidence.get("cache_over_budget"):
        return CheckResult("fail", f"the build cache is over its budget: {summary}", evidence)
    if fs is None or budget_bytes is None:
        return CheckResult("warn", f"{summary}; {evidence.get('filesystem_note') or evidence.get('cache_budget_note')}",
                           evidence)
    return CheckResult("pass", summary, evidence)
