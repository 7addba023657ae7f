"""Who holds a host port a container wants to publish: another container, or a host process.

The engine refuses a published port another running container already publishes on the
same address ("Bind for 127.0.0.1:8080 failed: port is already allocated"); when a host
process listens there, its userland proxy cannot bind ("listen tcp4 127.0.0.1:8080: bind:
address already in use"). A stopped or never-started container keeps the binding in its
configuration but holds nothing.

Read-only: the Engine API lists containers; the listening sockets and their processes come
from /proc (the socket tables of this network namespace and each process's descriptors),
which describe the engine's host only when the engine is local (a unix socket).
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Any

from runner.checks.kinds import HostPortArgs
from runner.checks.result import CheckContext, CheckResult
from runner.errors import EngineUnavailable

HOLDING_STATES = ("running", "paused", "restarting")
LISTEN_TCP = "0A"
BOUND_UDP = "07"
SUGGEST_WITHIN = 200
MAX_INSPECTED = 500  # stopped containers inspected for the bindings they declare


@dataclass(frozen=True)
class Binding:
    host_ip: str  # "" = every address
    port: int
    protocol: str

    def shown(self) -> str:
        return f"{self.host_ip or '0.0.0.0'}:{self.port}/{self.protocol}"


def _family(address: str) -> int | None:
    try:
        return ipaddress.ip_address(address).version
    except ValueError:
        return None


def overlaps(a: str, b: str) -> bool:
    """Whether two bind addresses compete for a port: equal, or either a wildcard. `::` (a
    dual-stack socket) is taken to cover IPv4 too, as Linux does unless IPV6_V6ONLY is set."""
    a, b = a or "0.0.0.0", b or "0.0.0.0"
    if a == b:
        return True
    wild = {"0.0.0.0": 4, "::": 6}
    for one, other in ((a, b), (b, a)):
        if one == "::":
            return True
        if one in wild and _family(other) == wild[one]:
            return True
    return False


# --- /proc: listening sockets and their processes -------------------------------------------


def _decode_address(hexed: str) -> tuple[str, int]:
    host, port = hexed.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        address = str(ipaddress.IPv4Address(raw[::-1]))
    else:  # four little-endian 32-bit words
        words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
        address = ipaddress.IPv6Address(words)
        mapped = address.ipv4_mapped
        address = str(mapped) if mapped else str(address)
    return address, int(port, 16)


def listening_sockets(protocol: str, proc: str = "/proc") -> list[dict[str, Any]]:
    """Sockets of this network namespace listening (tcp) or bound (udp): address, port, inode."""
    state = LISTEN_TCP if protocol == "tcp" else BOUND_UDP
    found = []
    for table in (protocol, protocol + "6"):
        try:
            with open(os.path.join(proc, "net", table), encoding="ascii") as handle:
                next(handle, None)
                for line in handle:
                    fields = line.split()
                    if len(fields) < 10 or fields[3] != state:
                        continue
                    address, port = _decode_address(fields[1])
                    found.append({"address": address, "port": port, "inode": int(fields[9])})
        except OSError:
            continue
    return found


def socket_owners(inodes: set[int], proc: str = "/proc") -> dict[int, list[int]]:
    """inode -> pids whose descriptors hold that socket (those this user may read)."""
    owners: dict[int, list[int]] = {}
    if not inodes:
        return owners
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        fd_dir = os.path.join(proc, entry.name, "fd")
        try:
            descriptors = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in descriptors:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            inode = wanted.get(target)
            if inode is not None and int(entry.name) not in owners.setdefault(inode, []):
                owners[inode].append(int(entry.name))
    return owners


def process_info(pid: int, proc: str = "/proc") -> dict[str, Any]:
    info: dict[str, Any] = {"pid": pid, "name": None, "cmdline": None}
    try:
        with open(os.path.join(proc, str(pid), "comm"), encoding="utf-8", errors="replace") as handle:
            info["name"] = handle.read().strip()
        with open(os.path.join(proc, str(pid), "cmdline"), "rb") as handle:
            words = (part.decode(errors="replace") for part in handle.read().split(b"\0") if part)
            info["cmdline"] = " ".join(" ".join(words).split())[:300]
    except OSError:
        pass
    return info


_PROXY_ARG = re.compile(r"-container-ip\s+(\S+)")


# --- the check ----------------------------------------------------------------------------


def _declared(attrs: dict[str, Any]) -> list[tuple[Binding, str]]:
    """(binding, 'HOSTIP:PORT->CPORT/proto') of each port a container's configuration publishes."""
    found = []
    for spec, entries in ((attrs.get("HostConfig") or {}).get("PortBindings") or {}).items():
        container_port, _, protocol = spec.partition("/")
        for entry in entries or []:
            try:
                port = int(entry.get("HostPort") or 0)
            except ValueError:
                continue
            if port:
                binding = Binding(entry.get("HostIp") or "", port, protocol or "tcp")
                found.append((binding, f"{binding.host_ip or '0.0.0.0'}:{port}->{container_port}/{binding.protocol}"))
    return found


def _name(summary: dict[str, Any]) -> str:
    return ((summary.get("Names") or ["?"])[0]).lstrip("/")


def host_port(args: HostPortArgs, ctx: CheckContext) -> CheckResult:
    from runner.checks.docker import engine_client
    from runner.engine.endpoints import resolve_endpoint

    host = ctx.docker_host or resolve_endpoint().host
    try:
        client = engine_client(ctx)
    except EngineUnavailable as exc:
        return CheckResult("error", str(exc))
    api = client.api
    from docker.errors import NotFound

    port: int | None = None
    if args.port not in (None, ""):
        if not str(args.port).strip().isdigit() or not 1 <= int(args.port) <= 65535:
            return CheckResult("error", f"port {args.port!r} is not a port number (1-65535)")
        port = int(args.port)
    protocol = args.protocol.lower()
    if protocol not in ("tcp", "udp"):
        return CheckResult("error", f"protocol {args.protocol!r}: give tcp or udp")
    target: dict[str, Any] | None = None
    wanted: list[Binding] = []
    if args.container:
        try:
            target = api.inspect_container(args.container)
        except NotFound:
            return CheckResult("error", f"no container {args.container!r} on this engine", {"container": args.container})
        declared = [b for b, _ in _declared(target)]
        wanted = [b for b in declared if port is None or b.port == port]
        if port is not None and not wanted:
            wanted = [Binding(args.host_ip, port, protocol)]
    elif port is not None:
        wanted = [Binding(args.host_ip, port, protocol)]
    else:
        return CheckResult("error", "give the port (--param port=...) or the container that cannot start")
    if not wanted:
        return CheckResult("pass", f"container {args.container} publishes no host port", {
            "bindings": [], "holders": [], "holder": None, "holder_names": [], "declared_only": [],
            "processes": [], "process_name": None, "process_pid": None, "proxies": [], "suggested_port": None})
    target_id = target["Id"] if target else None

    # Containers that hold a binding (running ones, as the engine publishes it) and those that only declare it.
    holders, declared_only, published_ports = [], [], set()
    summaries = api.containers(all=True)
    by_ip: dict[str, str] = {}
    inspected = 0
    for summary in summaries:
        state = summary.get("State") or ""
        name = _name(summary)
        if state in HOLDING_STATES:
            # only a running container's address is its own (a failed start can leave one behind)
            for network in ((summary.get("NetworkSettings") or {}).get("Networks") or {}).values():
                if network.get("IPAddress"):
                    by_ip[network["IPAddress"]] = name
            for port in summary.get("Ports") or []:
                if not port.get("PublicPort"):
                    continue
                bound = Binding(port.get("IP") or "", int(port["PublicPort"]), port.get("Type") or "tcp")
                published_ports.add(bound.port)
                if summary["Id"] == target_id:
                    continue
                for want in wanted:
                    if bound.port == want.port and bound.protocol == want.protocol and overlaps(bound.host_ip, want.host_ip):
                        holders.append({
                            "id": summary["Id"][:12], "name": name, "image": summary.get("Image"), "state": state,
                            "binding": f"{bound.host_ip or '0.0.0.0'}:{bound.port}->{port.get('PrivatePort')}/{bound.protocol}",
                            "wanted": want.shown(),
                            "compose_project": (summary.get("Labels") or {}).get("com.docker.compose.project"),
                            "compose_service": (summary.get("Labels") or {}).get("com.docker.compose.service")})
        elif summary["Id"] != target_id and inspected < MAX_INSPECTED:
            inspected += 1
            try:
                attrs = api.inspect_container(summary["Id"])
            except NotFound:
                continue
            for bound, shown in _declared(attrs):
                published_ports.add(bound.port)
                if any(bound.port == w.port and bound.protocol == w.protocol and overlaps(bound.host_ip, w.host_ip)
                       for w in wanted):
                    declared_only.append({"id": summary["Id"][:12], "name": name, "state": state, "binding": shown})
    # One entry per container, even when it publishes the port on two addresses.
    holders = list({h["id"]: h for h in holders}.values())

    local = host.startswith("unix://")
    processes: list[dict[str, Any]] | None = None
    proxies: list[dict[str, Any]] = []
    listening: list[dict[str, Any]] = []
    if local:
        processes = []
        for protocol in {w.protocol for w in wanted}:
            sockets = listening_sockets(protocol)
            listening += sockets
            relevant = [s for s in sockets if any(s["port"] == w.port and w.protocol == protocol
                                                  and overlaps(s["address"], w.host_ip) for w in wanted)]
            owners = socket_owners({s["inode"] for s in relevant})
            for sock in relevant:
                pids = owners.get(sock["inode"]) or [None]
                for pid in pids:
                    info = process_info(pid) if pid else {"pid": None, "name": None, "cmdline": None}
                    entry = {"address": f"{sock['address']}:{sock['port']}/{protocol}", **info}
                    if info["name"] == "docker-proxy":
                        ip = _PROXY_ARG.search(info["cmdline"] or "")
                        entry["container_ip"] = ip.group(1) if ip else None
                        entry["container"] = by_ip.get(entry["container_ip"] or "")
                        proxies.append(entry)
                        if entry["container"] is None:
                            # No container of this engine has that address: the proxy of another
                            # engine on this host, or one a stopped daemon left. It holds the port.
                            processes.append({**entry, "note": "a docker-proxy for no container of this engine "
                                                              "(another engine on this host, or left by a "
                                                              "daemon that stopped)"})
                    else:
                        processes.append(entry)
        # A socket whose owner this user cannot see is still a holder, unnamed.
        processes = list({(p["address"], p["pid"]): p for p in processes}.values())

    taken = published_ports | {s["port"] for s in listening}
    base = wanted[0].port
    suggested = next((p for p in range(base + 1, min(base + SUGGEST_WITHIN, 65536)) if p not in taken), None)
    evidence = {
        "bindings": [w.shown() for w in wanted], "container": args.container,
        "holders": holders, "holder": holders[0]["name"] if holders else None,
        "holder_names": [h["name"] for h in holders],
        "declared_only": declared_only,
        "processes": processes, "process_name": processes[0]["name"] if processes else None,
        "process_pid": processes[0]["pid"] if processes else None,
        "proxies": proxies, "local_engine": local, "suggested_port": suggested,
    }
    what = ", ".join(w.shown() for w in wanted)
    if holders:
        named = "; ".join(f"{h['name']} ({h['state']}, {h['binding']}"
                          + (f", compose {h['compose_project']}/{h['compose_service']}" if h["compose_project"] else "")
                          + ")" for h in holders)
        return CheckResult("fail", f"{what} is held by container {named}", evidence)
    if processes:
        named = "; ".join(f"{p['name'] or 'a process this user cannot see'}"
                          + (f" (pid {p['pid']}: {p['cmdline']})" if p["pid"] else "") + f" on {p['address']}"
                          for p in processes)
        return CheckResult("fail", f"{what} is held by a host process: {named}", evidence)
    note = ""
    if declared_only:
        note = "; declared, not held, by stopped container " + ", ".join(
            f"{d['name']} ({d['state']})" for d in declared_only)
    if not local:
        return CheckResult("warn", f"no container holds {what}; host processes on {host} cannot be seen from "
                           f"here" + note, evidence)
    return CheckResult("pass", f"{what} is free: no container and no host process holds it" + note, evidence)
