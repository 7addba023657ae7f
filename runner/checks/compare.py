"""Does the image hold what the build context would build now? The check behind
image-not-rebuilt, change-excluded-by-dockerignore and stale-context-transfer.

Three pieces of evidence, none of them a timestamp on a file (a fresh clone's files are
all newer than an image rebuilt from cache, which keeps its original `Created`):
1. files the final stage copies verbatim from the context, compared byte for byte with
   the image's copies;
2. files changed since the tag was last built (its `LastTagTime`, which a cached rebuild moves
   and `Created` does not), by content: what HEAD held then by the reflog (or the image's
   org.opencontainers.image.revision) against the checkout, never by commit dates; those a
   COPY/ADD would include but `.dockerignore` excludes;
3. an image built now from the context with the cache: identical inputs rebuild identical
   layers and config, so other layers or config mean the tag does not hold the current
   sources. The build tags nothing; its image, marked by a label of its own (the only
   difference), is removed.

A tag made by the legacy builder (Compose v1's default) is never the image BuildKit builds
from the same inputs, so for it no build is made: the image is stale when a file the build
uses changed after it (git), or when its verbatim copies hold other bytes than the context.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import os
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from runner.checks.container_image import builder_of
from runner.checks.docker import find_or_error, read_tree, readable
from runner.checks.kinds import ImageVsContextArgs
from runner.checks.result import CheckContext, CheckResult
from runner.engine.building import Builds, BuildSpec, DiagnosisEnded, StartedBuild, image_attrs, sweep_orphans
from runner.engine.clock import offset, parse_time_or_none
from runner.engine.endpoints import resolve_endpoint
from runner.errors import EngineUnavailable



REVISION_LABEL = "org.opencontainers.image.revision"


def deployed_at(client: Any, container: str | None) -> dt.datetime | None:
    """When the container was created, on this machine's clock; None without one."""
    if not container:
        return None
    from docker.errors import NotFound

    try:
        created = parse_time_or_none(client.containers.get(container).attrs.get("Created"))
    except NotFound:
        return None
    if created is None:
        return None
    return dt.datetime.fromtimestamp(created - offset(client), dt.timezone.utc)


def image_times(attrs: dict[str, Any], client: Any) -> tuple[dt.datetime, dt.datetime]:
    """(built, made) on this machine's clock: when the tag was last built, and when the image's
    content was made.

    `Created` alone is not the build: a build of inputs built before is all cached and keeps
    the first build's `Created` (a rollback, a fresh clone, a rebuild), while the engine sets
    `LastTagTime` whenever a build (or a tag) points the tag at the image, cached or not. The
    content, though, is as old as `Created`: an all-cached rebuild brought nothing in."""
    created = parse_time_or_none(attrs.get("Created"))
    tagged = parse_time_or_none((attrs.get("Metadata") or {}).get("LastTagTime"))
    known = [moment for moment in (created, tagged) if moment is not None]
    built = max(known) if known else time.time()
    ahead = offset(client)  # one reading of the engine's clock for both

    def ours(engine_time: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(engine_time - ahead, dt.timezone.utc)

    return ours(built), ours(created if created is not None else built)


# A folder with more verbatim files than this is read in one archive (a `COPY public ./public`);
# fewer are read one by one, since their folder may hold far more (a package.json beside dist/).
FOLDER_READ_FROM = 16
READS_AT_ONCE = 8


def compare_verbatim(target: Any, pairs: list[tuple[str, str]], context: Path) -> list[dict[str, Any]]:
    """Files whose bytes in the image differ from the context's, reading from the image only
    what is compared: each file alone, or its folder when the folder holds many of them. The
    reads run side by side: each one mounts the container's files anew in the daemon
    (~50-100 ms however small the file)."""
    by_folder: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for relpath, image_path in pairs:
        by_folder[os.path.dirname(image_path) or "/"].append((relpath, image_path))
    reads: list[tuple[str, set[str] | None]] = []
    for folder, members in sorted(by_folder.items()):
        wanted = {image_path for _relpath, image_path in members}
        if len(members) >= FOLDER_READ_FROM:
            reads.append((folder, wanted))
        else:
            reads.extend((image_path, None) for image_path in sorted(wanted))
    tree: dict[str, Any] = {}
    if reads:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(READS_AT_ONCE, len(reads))) as pool:
            for found in pool.map(lambda read: read_tree(target, read[0], wanted=read[1]), reads):
                tree.update(found or {})
    import hashlib

    mismatched = []
    for relpath, image_path in pairs:
        entry = tree.get(image_path)
        local = context / relpath
        try:
            with local.open("rb") as handle:  # hashed as it is read: memory stays flat
                local_sha = hashlib.file_digest(handle, "sha256").hexdigest()
            size = local.stat().st_size
        except OSError:
            continue
        if entry is None or entry.sha256 != local_sha:
            mismatched.append({
                "path": relpath, "image_path": image_path,
                "context_sha256": local_sha[:16], "image_sha256": (entry.sha256 or "")[:16] if entry else None,
                "context_size": size, "image_size": entry.size if entry else None,
                "same_size": bool(entry and entry.size == size),
            })
    return sorted(mismatched, key=lambda m: m["image_path"])


class Ahead:
    """What this check needs that can start before the checks it waits for have run (diagnose
    starts it first): the cached build, on the daemon, and the build context's analysis, the
    check's own CPU work (0.1 s at 20,000 files), which needs no engine. Both run while the
    runner imports the docker SDK and the engine answers the other checks."""

    def __init__(self, build: StartedBuild | None, analysis: concurrent.futures.Future) -> None:
        self.build = build
        self._analysis = analysis

    def analysis(self) -> Any:
        """The ContextAnalysis, or the ContextError that stopped it (waits for it)."""
        return self._analysis.result()

    def discard(self) -> None:
        if self.build is not None:
            self.build.discard()


def start_ahead(args: ImageVsContextArgs, ctx: CheckContext) -> Ahead | None:
    """The build and the analysis started; None when there is no context to start them on
    (the check says why)."""
    context = Path(args.context)
    if not context.is_dir() or not (context / args.dockerfile).is_file():
        return None
    build = None
    if args.build:
        host = ctx.docker_host or resolve_endpoint().host
        # No SDK client: importing it first would hold the build back by ~0.1 s.
        build = _builds(ctx).start(None, BuildSpec.of(context, args.dockerfile, args.target, host))
    analysis: concurrent.futures.Future = concurrent.futures.Future()
    if ctx.serial:
        _analyse_into(analysis, args, context)
    else:
        # A daemon thread, and the build handed back before it ends: an interrupted diagnosis
        # stops the build at once and exits without waiting for a large context's analysis.
        threading.Thread(target=_analyse_into, args=(analysis, args, context), name="context-analysis",
                         daemon=True).start()
    return Ahead(build, analysis)


def _analyse_into(future: concurrent.futures.Future, args: ImageVsContextArgs, context: Path) -> None:
    try:
        future.set_result(_analysis(args, context))
    except Exception as exc:  # noqa: BLE001 - a bug: the check that asks for it reports it
        future.set_exception(exc)


def _analysis(args: ImageVsContextArgs, context: Path) -> Any:
    """The context's analysis (a ContextAnalysis), or the ContextError that stops it."""
    from runner.buildctx import ContextError
    from runner.buildctx.copies import analyze_context
    from runner.checks.exclusions import build_flavor

    try:
        return analyze_context(context, args.dockerfile, target=args.target, flavor=build_flavor()[0])
    except ContextError as exc:
        return exc


def _layers(attrs: dict[str, Any]) -> list[str] | None:
    return (attrs.get("RootFS") or {}).get("Layers")


def _config_sans_labels(attrs: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in (attrs.get("Config") or {}).items() if key != "Labels"}


def image_vs_context(args: ImageVsContextArgs, ctx: CheckContext) -> CheckResult:
    context = Path(args.context)
    if not context.is_dir():
        return CheckResult("error", f"build context {context} is not a directory")
    if not (context / args.dockerfile).is_file():
        return CheckResult("error", f"no {args.dockerfile} in {context}")
    host = ctx.docker_host or resolve_endpoint().host
    looked_up = find_or_error(ctx, "images", args.image)
    if isinstance(looked_up, CheckResult):
        return looked_up
    client, tagged = looked_up
    ahead = _ahead(ctx)
    started, no_build = _build_started(args, ahead, client, context, host, _builds(ctx))
    analysis = ahead.analysis() if ahead is not None else None
    try:
        return _compare(args, ctx, client, tagged, context, started, no_build, analysis)
    finally:
        if started is not None:
            started.discard()  # a build the comparison did not read: stopped, its image removed


def _ahead(ctx: CheckContext) -> Ahead | None:
    """What diagnose started ahead for this check (ctx.ahead), if it could start it."""
    if ctx.ahead is None:
        return None
    try:
        return ctx.ahead.result()
    except Exception:  # noqa: BLE001 - the check does it all again, and says why where it fails
        return None


def _builds(ctx: CheckContext) -> Builds:
    """The diagnosis's builds; a check run on its own (a test) gets a scope that never closes."""
    return ctx.builds if ctx.builds is not None else Builds()


def _build_started(args: ImageVsContextArgs, ahead: Ahead | None, client: Any, context: Path,
                   host: str, builds: Builds) -> tuple[StartedBuild | None, str | None]:
    """(the build diagnose started ahead, else one started now, before the reads and git below,
    which run while the daemon builds; why there is none)."""
    if not args.build:
        return None, None
    if ahead is not None and ahead.build is not None:
        return ahead.build, None
    try:
        return builds.start(client, BuildSpec.of(context, args.dockerfile, args.target, host)), None
    # No client can do BuildKit builds (the engine check names it), or the diagnosis is over.
    except (EngineUnavailable, DiagnosisEnded) as exc:
        return None, str(exc)


def _settle_build(started: StartedBuild, client: Any, tagged: Any, timeout: float) -> dict[str, Any]:
    """Wait for the build, compare the image it yields with the tag, and remove that image when
    the build made it: all as soon as the build ends, while the check reads files and git."""
    build = started.finish(timeout=timeout)
    if not build.get("failed"):
        # Same files and settings, other labels (a `--label` given at build time, say): the
        # image still holds the current sources, which is what matters here.
        built = image_attrs(client, build["image_id"])
        build["created_new_image"] = started.made(built)
        if built is None:
            # Untagged, it can be gone already (another client's `docker image prune` in
            # between, seen on a shared engine): only the ID can be compared.
            build["same_layers"] = None
            build["same_as_image"] = build["image_id"] == tagged.id
        else:
            build["same_layers"] = _layers(built) == _layers(tagged.attrs)
            build["same_as_image"] = build["image_id"] == tagged.id or (
                build["same_layers"] and _config_sans_labels(built) == _config_sans_labels(tagged.attrs))
    else:
        build["same_as_image"] = None
    if build.get("created_new_image") and build.get("same_layers") is not None:
        try:
            client.images.remove(build["image_id"])
            build["removed"] = True
        except Exception:  # noqa: BLE001 - still used by a container the build did not make
            build["removed"] = False
    with contextlib.suppress(Exception):  # housekeeping: never the check's concern
        sweep_orphans(client)
    return build


def _compare(args: ImageVsContextArgs, ctx: CheckContext, client: Any, tagged: Any, context: Path,
             started: StartedBuild | None, no_build: str | None, analysis: Any = None) -> CheckResult:
    builder = builder_of(client, tagged.id)
    legacy = builder == "legacy"
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="settle-build") as pool:
        settling = pool.submit(_settle_build, started, client, tagged, ctx.timeout) \
            if started is not None and not legacy else None
        return _compare_with(args, client, tagged, context, builder, settling, no_build,
                             analysis if analysis is not None else _analysis(args, context))


def _compare_with(args: ImageVsContextArgs, client: Any, tagged: Any, context: Path, builder: str | None,
                  settling: concurrent.futures.Future | None, no_build: str | None, analysis: Any) -> CheckResult:
    from runner.buildctx import ContextError
    from runner.checks.exclusions import build_flavor
    from runner.checks.git import changed_since_each

    legacy = builder == "legacy"
    built, made = image_times(tagged.attrs, client)
    evidence: dict[str, Any] = {"image": args.image, "image_id": tagged.id, "image_created": tagged.attrs["Created"],
                                "image_tagged": (tagged.attrs.get("Metadata") or {}).get("LastTagTime"),
                                "built_at": built.isoformat(), "image_builder": builder}

    # .dockerignore read as the client that builds reads it (20.10's matcher or buildx's)
    evidence["dockerignore_matcher"] = build_flavor()[0]
    if isinstance(analysis, ContextError):
        return CheckResult("error", f"cannot read the build context: {analysis}", evidence)
    pairs = analysis.verbatim()
    with readable(client, image=args.image) as target:
        mismatched = compare_verbatim(target, pairs, context)
    evidence["verbatim_compared"] = len(pairs)
    evidence["verbatim_mismatched"] = mismatched

    ignore = analysis.ignore  # the file this build uses: <Dockerfile>.dockerignore first
    labels = (tagged.attrs.get("Config") or {}).get("Labels") or {}
    deployed = deployed_at(client, args.container)
    evidence["deployed_at"] = deployed.isoformat() if deployed else None
    # An excluded file never reaches the image, so a rebuild after its change is all cached and
    # moves the tag's time, not the content's: what counts for it is the change since the
    # running container was made (the deploy), when there is one, else since the content was
    # (the lab's change-excluded: edit, rebuild, diagnose with no container said ok).
    since = deployed if deployed is not None else made
    changes, changed = changed_since_each(context, [
        (built, labels.get(REVISION_LABEL)),
        (since, labels.get(REVISION_LABEL) if deployed is None else None),
    ]) or (None, None)
    excluded_changes = []
    for relpath in changed or ():
        excluded, pattern = ignore.excluded(relpath)
        # A deleted excluded file changes nothing a build could send.
        if excluded and analysis.copies_of(relpath) and (context / relpath).exists():
            excluded_changes.append({"path": relpath, "pattern": pattern})
    evidence["changed_since_image"] = changed[:50] if changed is not None else None
    evidence["excluded_changes"] = excluded_changes
    build_files = {args.dockerfile, f"{args.dockerfile}.dockerignore", ".dockerignore"}

    def sent(path: str) -> bool:
        """Whether a build uses the file: a COPY takes it and .dockerignore lets it through."""
        return path in build_files or (bool(analysis.copies_of(path)) and not ignore.excluded(path)[0])

    # What a rebuild would send differently since the image was built. (A change that kept its
    # file's old time, the stale-transfer case, shows in the verbatim bytes instead.)
    relevant = None if changes is None else [path for path in changes if sent(path)]
    evidence["relevant_changes"] = relevant[:50] if relevant is not None else None

    if settling is not None:
        build = settling.result()
    else:
        build = {"ran": False, "same_as_image": None}
        if legacy and args.build:
            build["skipped"] = "the tag was made by the legacy builder: a BuildKit build never has its ID"
        elif no_build:
            build["skipped"] = no_build
    evidence["build"] = build
    evidence["built_image_id"] = build.get("image_id")

    stale = [m for m in mismatched if not ignore.excluded(m["path"])[0]]
    evidence["stale_files"] = stale if build.get("same_as_image") else []
    differs = build.get("same_as_image") is False
    # Steps that run again write files with new times, so the same sources give new layer IDs
    # once the cache is gone (pruned, or collected by BuildKit's GC); and a build after that
    # (this check's own, an earlier run's) warms the cache again with the new IDs, so "all
    # CACHED" proves nothing either. A different ID is evidence of stale sources only with a
    # relevant change since the image was built, or old bytes.
    cold = differs and relevant == [] and not stale
    evidence["cold_cache"] = cold
    # For a legacy builder's tag: files with other bytes, and files the build uses that changed
    # since (a change .dockerignore excludes is in no rebuild either: that is another cause).
    older_than = list(dict.fromkeys([*(m["path"] for m in stale),
                                     *(relevant or ())]))
    if legacy:
        evidence["not_rebuilt"] = bool(older_than)
    else:
        evidence["not_rebuilt"] = (differs and not cold) or (not build["ran"] and bool(stale))

    built_note = ""
    if build["ran"]:
        built_note = (f"; built the context to compare ({build.get('seconds', '?')} s, "
                      f"{'failed' if build.get('failed') else 'no tag'}"
                      f"{', image removed' if build.get('removed') else ''})")
    if build.get("failed"):
        return CheckResult("fail", f"the context does not build now{built_note}", evidence)
    if cold:
        return CheckResult("warn", "a build of the same sources gives another image ID (the build cache was "
                           "pruned or collected since the image), so IDs cannot be compared; no copied file, "
                           f"Dockerfile or .dockerignore changed since the image{built_note}", evidence)
    legacy_note = " (made by the legacy builder: compared by its files and the changes since, not by a build)"
    if legacy and evidence["not_rebuilt"]:
        return CheckResult("fail", f"{args.image} is older than the context's {', '.join(older_than[:3])}"
                           f"{legacy_note}", evidence)
    if evidence["not_rebuilt"]:
        return CheckResult("fail", f"{args.image} is not what the context builds now{built_note}", evidence)
    if evidence["stale_files"]:
        names = ", ".join(m["path"] for m in stale[:3])
        return CheckResult("fail", f"the image holds old bytes of {names}, yet the build is all cached{built_note}",
                           evidence)
    if excluded_changes:
        names = ", ".join(f"{c['path']} (by {c['pattern']!r})" for c in excluded_changes[:3])
        return CheckResult("fail", f"changed but excluded by .dockerignore: {names}{built_note}", evidence)
    if legacy:
        return CheckResult("pass", f"{args.image} holds the context's files{legacy_note}", evidence)
    return CheckResult("pass", f"{args.image} holds what the context builds now{built_note}", evidence)
