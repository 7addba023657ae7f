"""Checks that read the Docker Engine: identity, images, containers, build cache, files.

All read-only. The one thing created, a stopped container to read an image's files
(create + get_archive, about 130 ms, no process started), is labelled and removed.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import tarfile
from collections.abc import Iterator
import contextlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from runner.checks.kinds import (
    ContainerArgs,
    FileInArtifactArgs,
    ImageArgs,
    MountsArgs,
    NoArgs,
)
from runner.checks.result import CheckContext, CheckResult
from runner.engine.clients import docker_clients
from runner.engine.endpoints import client_for, other_endpoints, resolve_endpoint
from runner.engine.usage import build_cache_records
from runner.errors import EngineUnavailable

INSPECT_LABEL = "runner.diagnose"
COMPOSE_LABELS = {
    "project": "com.docker.compose.project",
    "service": "com.docker.compose.service",
    "working_dir": "com.docker.compose.project.working_dir",
    "config_files": "com.docker.compose.project.config_files",
}
MAX_FILE_BYTES = 64 * 1024 * 1024


def engine_client(ctx: CheckContext) -> Any:
    return client_for(ctx.docker_host or resolve_endpoint().host)


def _not_found(exc: Exception) -> bool:
    from docker.errors import NotFound

    return isinstance(exc, NotFound)


def find(ctx: CheckContext, collection: str, ref: str) -> tuple[Any, Any | None]:
    """(client, the image or container named `ref`, or None when the engine has none).
    Raises EngineUnavailable."""
    from docker.errors import NotFound

    client = engine_client(ctx)
    try:
        return client, getattr(client, collection).get(ref)
    except NotFound:
        return client, None



def find_or_error(ctx: CheckContext, collection: str, ref: str) -> tuple[Any, Any] | CheckResult:
    """(client, the image or container named `ref`), or the error result that says why there
    is none: the engine does not answer, or holds no such object."""
    what = collection.removesuffix("s")
    try:
        client, found = find(ctx, collection, ref)
    except EngineUnavailable as exc:
        return CheckResult("error", str(exc))
    if found is None:
        return CheckResult("error", f"no {what} {ref!r} on this engine", {what: ref})
    return client, found

def engine(args: NoArgs, ctx: CheckContext) -> CheckResult:
    host = ctx.docker_host or resolve_endpoint().host
    try:
        client = client_for(host)
        info = client.info()
        version = client.version()
    except EngineUnavailable as exc:
        return CheckResult("error", str(exc), {"host": host})
    clients = [{"path": c.path, "version": c.version, "buildkit": c.buildkit, "how": c.how} for c in docker_clients()]
    capable = next((c for c in clients if c["buildkit"]), None)
    evidence = {
        "host": host, "id": info.get("ID"), "name": info.get("Name"),
        "server_version": version.get("Version"), "api_version": version.get("ApiVersion"),
        "os": info.get("OperatingSystem"), "clients": clients,
        "build_client": capable["path"] if capable else None,
    }
    summary = f"Docker Engine {evidence['server_version']} on {evidence['name']} ({host})"
    if capable is None:
        return CheckResult("fail", summary + "; no docker client here can do BuildKit builds", evidence)
    incapable = [c for c in clients if not c["buildkit"]]
    if incapable and clients[0] is incapable[0]:
        first = incapable[0]
        return CheckResult("warn", f"{summary}; `docker` on PATH ({first['path']} {first['version']}) cannot "
                           f"do BuildKit builds ({first['how']}): using {capable['path']}", evidence)
    return CheckResult("pass", f"{summary}; builds with {capable['path']} {capable['version']}", evidence)


def image_evidence(image: Any) -> dict[str, Any]:
    attrs = image.attrs
    return {
        "id": image.id, "tags": list(image.tags), "created": attrs.get("Created"),
        "labels": (attrs.get("Config") or {}).get("Labels") or {},
        "size": attrs.get("Size"),
    }


def image(args: ImageArgs, ctx: CheckContext) -> CheckResult:
    looked_up = find_or_error(ctx, "images", args.image)
    if isinstance(looked_up, CheckResult):
        return looked_up
    _client, found = looked_up
    evidence = image_evidence(found)
    return CheckResult("pass", f"{args.image} is {found.short_id.removeprefix('sha256:')}, "
                       f"created {evidence['created'][:19]}", evidence)


def container_evidence(container: Any) -> dict[str, Any]:
    attrs = container.attrs
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    compose = {key: labels[label] for key, label in COMPOSE_LABELS.items() if label in labels}
    return {
        "id": container.id, "name": container.name, "image_id": attrs.get("Image"),
        "image_ref": (attrs.get("Config") or {}).get("Image"),
        "state": (attrs.get("State") or {}).get("Status"),
        "started_at": (attrs.get("State") or {}).get("StartedAt"),
        "mounts": [{"type": m.get("Type"), "name": m.get("Name"), "source": m.get("Source"),
                    "destination": m.get("Destination"), "rw": m.get("RW")} for m in attrs.get("Mounts") or []],
        "compose": compose or None,
        "restart_policy": ((attrs.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name"),
        "labels": labels,
    }


def container(args: ContainerArgs, ctx: CheckContext) -> CheckResult:
    try:
        _client, found = find(ctx, "containers", args.container)
    except EngineUnavailable as exc:
        return CheckResult("error", str(exc))
    if found is None:
        elsewhere = _find_container_elsewhere(args.container, ctx)
        evidence = {"container": args.container, "found_elsewhere": elsewhere}
        if elsewhere:
            where = ", ".join(f"{e['host']} ({e['source']})" for e in elsewhere)
            return CheckResult("fail", f"no container {args.container!r} on this engine, but there is one on {where}",
                               evidence)
        return CheckResult("error", f"no container {args.container!r} on this engine", evidence)
    evidence = container_evidence(found)
    evidence["found_elsewhere"] = []
    mounts = len(evidence["mounts"])
    return CheckResult("pass", f"{found.name} ({evidence['state']}) runs image "
                       f"{(evidence['image_id'] or '?')[7:19]}, {mounts} mount(s)", evidence)


def _find_container_elsewhere(name: str, ctx: CheckContext) -> list[dict[str, str]]:
    current = resolve_endpoint(ctx.docker_host)
    found = []
    for endpoint in other_endpoints(current):
        try:
            client_for(endpoint.host, timeout=3.0).containers.get(name)
        except Exception:  # noqa: BLE001 - unreachable or absent: either way not there
            continue
        found.append({"host": endpoint.host, "source": endpoint.source})
    return found


def build_cache(args: NoArgs, ctx: CheckContext) -> CheckResult:
    try:
        records = build_cache_records(engine_client(ctx))
    except EngineUnavailable as exc:
        return CheckResult("error", str(exc))
    by_type: dict[str, dict[str, int]] = {}
    for record in records:
        entry = by_type.setdefault(record.get("Type", "?"), {"records": 0, "bytes": 0, "in_use": 0})
        entry["records"] += 1
        entry["bytes"] += int(record.get("Size") or 0)
        entry["in_use"] += 1 if record.get("InUse") else 0
    total = sum(e["bytes"] for e in by_type.values())
    evidence = {"records": len(records), "bytes": total, "by_type": by_type}
    return CheckResult("pass", f"{len(records)} build-cache record(s), {total / 1e6:.1f} MB", evidence)


# --- reading files out of images and containers -------------------------------------------


@dataclass(frozen=True)
class FileEntry:
    path: str  # absolute, inside the image or container
    kind: str  # "file" | "dir" | "symlink" | "other"
    size: int
    mode: int
    sha256: str | None
    content: bytes | None  # kept for small files only, to show matching lines


@contextmanager
def readable(client: Any, *, image: str | None = None, container: str | None = None) -> Iterator[Any]:
    """A container whose files can be read: the given one, or a stopped one made from `image`."""
    if container is not None:
        yield client.containers.get(container)
        return
    created = client.containers.create(image, entrypoint=["/runner-never-started"], command=[],
                                       labels={INSPECT_LABEL: "1"}, network_disabled=True)
    try:
        yield created
    finally:
        try:
            created.remove(force=True)
        except Exception:  # noqa: BLE001 - a slow engine (a big image, a busy disk) may time out here
            # What was read stands: the stopped container (labelled runner.diagnose=1) is tried
            # once more, and failing that left for `docker container prune --filter
            # label=runner.diagnose=1`, rather than turning a finished check into an error.
            with contextlib.suppress(Exception):
                client.api.remove_container(created.id, force=True)


class _ChunkStream(io.RawIOBase):
    """The engine's archive stream as a file that tarfile reads front to back: nothing of it
    is kept beyond the chunk being read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


HASH_BLOCK = 1024 * 1024


def read_tree(target: Any, path: str, keep_content_below: int = 0,
              wanted: set[str] | None = None) -> dict[str, FileEntry] | None:
    """Every entry at or below `path` in a container, by absolute path; None when absent.

    The archive is streamed and each file hashed as it passes, so memory stays flat whatever
    the tree's size; a file's bytes are kept only below `keep_content_below`. With `wanted`
    (absolute paths), only those files are hashed; the others are listed without a hash."""
    try:
        stream, _stat = target.get_archive(path, chunk_size=HASH_BLOCK)
    except Exception as exc:  # noqa: BLE001
        if _not_found(exc):
            return None
        raise
    base = posixpath.dirname(path.rstrip("/")) or "/"
    entries: dict[str, FileEntry] = {}
    with tarfile.open(fileobj=io.BufferedReader(_ChunkStream(stream), HASH_BLOCK), mode="r|") as archive:
        for member in archive:
            absolute = posixpath.normpath(posixpath.join(base, member.name))
            if member.isfile():
                if wanted is not None and absolute not in wanted:
                    entries[absolute] = FileEntry(absolute, "file", member.size, member.mode, None, None)
                    continue
                digest, kept = hashlib.sha256(), member.size <= keep_content_below
                content = bytearray() if kept else None
                data = archive.extractfile(member)
                assert data is not None
                while block := data.read(HASH_BLOCK):
                    digest.update(block)
                    if content is not None:
                        content += block
                entries[absolute] = FileEntry(absolute, "file", member.size, member.mode, digest.hexdigest(),
                                              bytes(content) if content is not None else None)
            else:
                kind = "dir" if member.isdir() else "symlink" if member.issym() else "other"
                entries[absolute] = FileEntry(absolute, kind, member.size, member.mode, None, None)
    return entries


def file_in_image(args: FileInArtifactArgs, ctx: CheckContext) -> CheckResult:
    if (args.image is None) == (args.container is None):
        return CheckResult("error", "give exactly one of image or container")
    source = f"image {args.image}" if args.image else f"container {args.container}"
    try:
        client = engine_client(ctx)
        with readable(client, image=args.image, container=args.container) as target:
            tree = read_tree(target, args.path, keep_content_below=MAX_FILE_BYTES)
    except EngineUnavailable as exc:
        return CheckResult("error", str(exc))
    except Exception as exc:  # noqa: BLE001
        if _not_found(exc):
            return CheckResult("error", f"no {source} on this engine")
        raise
    entry = (tree or {}).get(posixpath.normpath(args.path))
    if entry is None or entry.kind != "file":
        return CheckResult("fail", f"{args.path} is not a file in {source}", {"path": args.path, "exists": False})
    evidence: dict[str, Any] = {"path": args.path, "exists": True, "size": entry.size, "sha256": entry.sha256}
    if args.pattern is None:
        return CheckResult("pass", f"{args.path} in {source}: {entry.size} bytes", evidence)
    if entry.content is None:
        return CheckResult("skip", f"{args.path} in {source} is {entry.size} bytes: too big to search "
                           f"(over {MAX_FILE_BYTES // 2**20} MiB)", evidence)
    text = entry.content.decode("utf-8", "replace")
    lines = [line for line in text.splitlines() if re.search(args.pattern, line)]
    evidence["matching_lines"] = lines[:20]
    if lines:
        return CheckResult("pass", f"{args.path} in {source} has {len(lines)} line(s) matching /{args.pattern}/",
                           evidence)
    return CheckResult("fail", f"{args.path} in {source} has no line matching /{args.pattern}/", evidence)


def mounts(args: MountsArgs, ctx: CheckContext) -> CheckResult:
    """A mount hides the image when the image holds files at or below its destination and
    the container serves different bytes there."""
    looked_up = find_or_error(ctx, "containers", args.container)
    if isinstance(looked_up, CheckResult):
        return looked_up
    client, running = looked_up
    found = running.attrs.get("Mounts") or []
    if not found:
        return CheckResult("pass", f"{running.name} has no mounts", {"mounts": [], "shadowing": []})
    described, shadowing = [], []
    with readable(client, image=args.image) as pristine:
        for mount in found:
            destination = mount.get("Destination") or ""
            in_image = {p: e for p, e in (read_tree(pristine, destination) or {}).items() if e.kind == "file"}
            served = read_tree(running, destination) or {}
            differing = sorted(path for path, entry in in_image.items()
                               if served.get(path) is None or served[path].sha256 != entry.sha256)
            item = {"type": mount.get("Type"), "name": mount.get("Name"), "source": mount.get("Source"),
                    "destination": destination, "image_files": len(in_image), "differing": differing[:20],
                    "differing_count": len(differing)}
            described.append(item)
            if differing:
                shadowing.append(item)
    evidence = {"mounts": described, "shadowing": shadowing}
    if shadowing:
        first = shadowing[0]
        what = first["name"] or first["source"]
        return CheckResult("fail", f"{first['type']} mount {what} at {first['destination']} hides "
                           f"{first['differing_count']} file(s) of {args.image}", evidence)
    return CheckResult("pass", f"{len(found)} mount(s); none hides a file of {args.image}", evidence)
