"""The step kinds of an experiment: one function per kind, registered by name in REGISTRY.

Every kind is called as `kind(ctx, step, value, env, cwd)`: the experiment's context, the
step, its action's value with the placeholders filled, the step's environment and its working
folder; it returns (what it did, what it observed). The names are the model's LAB_ACTIONS
(runner/playbook/model.py), which validates the playbook and writes the schema. The docker
SDK and the runner's own diagnose and fix are imported when a step runs.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner.lab import StepFailed
from runner.lab.buildlog import build_log, context_bytes, parse_build
from runner.lab.context import Context, step_path
from runner.playbook.model import LabStep, Playbook
from runner.playbook.placeholders import as_arguments, as_text, fill, fill_text

OUTPUT_KEPT = 6_000  # characters of each command's output kept in the report (the end of it)
# Steps that may create build-cache records: the IDs are compared around them.
ENGINE_ACTIONS = frozenset({"run", "build", "diagnose", "fix", "prune_build_cache", "read_file"})

StepKind = Callable[[Context, LabStep, Any, dict[str, str], Path], tuple[str, dict[str, Any] | None]]


def run_step(ctx: Context, step: LabStep) -> tuple[str, dict[str, Any] | None]:
    """Run one step; (what it did, what it observed)."""
    action = step.action
    raw = getattr(step, action)
    value = fill(raw.model_dump(by_alias=True) if hasattr(raw, "model_dump") else raw, {**ctx.scope, **ctx.saved})
    env = {k: as_text(v) for k, v in fill(step.env, {**ctx.scope, **ctx.saved}).items()}
    cwd = step_path(ctx, fill_text(step.cwd, {**ctx.scope, **ctx.saved})) if step.cwd else ctx.project
    kind = REGISTRY.get(action)
    if kind is None:
        raise StepFailed(f"unknown action {action}")  # the model's validator makes this unreachable
    return kind(ctx, step, value, env, cwd)


# --- commands and builds -------------------------------------------------------------------

def run_command(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
                cwd: Path) -> tuple[str, dict[str, Any] | None]:
    arguments = as_arguments(value)
    argv = ctx.engine.argv(arguments, ctx.experiment_label)
    observed = ctx.engine.run(argv, cwd=cwd, env=env, timeout=step.timeout)
    _expect_exit(step, observed, " ".join(arguments))
    return " ".join(arguments), _kept(observed)


def _expect_exit(step: LabStep, observed: dict[str, Any], what: str) -> None:
    if step.exit != "any" and observed["exit"] != step.exit:
        tail = observed["output"].strip()[-1500:]
        raise StepFailed(f"`{what}` exited {observed['exit']} (expected {step.exit}):\n{tail}")


def _kept(observed: dict[str, Any]) -> dict[str, Any]:
    return {**observed, **{key: observed[key][-OUTPUT_KEPT:] for key in ("stdout", "stderr", "output")}}


def build(ctx: Context, step: LabStep, spec: dict[str, Any], env: dict[str, str],
          cwd: Path) -> tuple[str, dict[str, Any]]:
    context = step_path(ctx, spec["context"])
    iidfile = Path(tempfile.mkstemp(prefix="iid-", dir=ctx.folder)[1])
    argv = ["docker", "build", "--progress=plain", "--iidfile", str(iidfile)]
    if spec.get("tag"):
        argv += ["-t", spec["tag"]]
    if spec.get("dockerfile"):
        argv += ["-f", str(step_path(ctx, spec["dockerfile"]))]
    for key, wanted in (spec.get("build_args") or {}).items():
        argv += ["--build-arg", f"{key}={as_text(wanted)}"]
    if spec.get("no_cache"):
        argv.append("--no-cache")
    if spec.get("target"):
        argv += ["--target", spec["target"]]
    argv.append(str(context))
    observed = ctx.engine.run(ctx.engine.argv(argv, ctx.experiment_label), cwd=cwd, env=env, timeout=step.timeout)
    steps = parse_build(observed["output"])
    image_id = iidfile.read_text().strip() if iidfile.exists() else ""
    iidfile.unlink(missing_ok=True)
    runs = [s for s in steps if not s["from"]]
    observed.update({
        "image_id": image_id, "steps": steps, "log": build_log(observed["output"]),
        "context_bytes": context_bytes(observed["output"]),
        "cached": [s["instruction"] for s in runs if s["cached"]],
        "executed": [s["instruction"] for s in runs if not s["cached"]],
        "all_cached": bool(runs) and all(s["cached"] for s in runs),
    })
    describe = "build" + (f" -t {spec['tag']}" if spec.get("tag") else "") + \
        (" --no-cache" if spec.get("no_cache") else "") + \
        "".join(f" --build-arg {k}={as_text(v)}" for k, v in (spec.get("build_args") or {}).items())
    _expect_exit(step, observed, describe)
    return describe, _kept(observed)


# --- files of the project ------------------------------------------------------------------

def write(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
          cwd: Path) -> tuple[str, dict[str, Any] | None]:
    return _put(ctx, "write", value)


def append(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
           cwd: Path) -> tuple[str, dict[str, Any] | None]:
    return _put(ctx, "append", value)


def _put(ctx: Context, action: str, value: Any) -> tuple[str, dict[str, Any] | None]:
    """Write or append `content` to a file, keeping its mtime when asked."""
    target = step_path(ctx, value["path"])
    target.parent.mkdir(parents=True, exist_ok=True)
    before = target.stat() if target.exists() else None
    with open(target, "w" if action == "write" else "a", encoding="utf-8") as handle:
        handle.write(value["content"])
    if value.get("keep_mtime") and before is not None:
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    size = target.stat().st_size
    return f"{action} {value['path']} ({size} bytes{', same mtime' if value.get('keep_mtime') else ''})", \
        {"size": size, "same_size": before is not None and before.st_size == size}


def touch(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
          cwd: Path) -> tuple[str, dict[str, Any] | None]:
    target = step_path(ctx, value)
    target.touch()
    os.utime(target)
    return f"touch {value}", None


def set_mtime(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
              cwd: Path) -> tuple[str, dict[str, Any] | None]:
    target = step_path(ctx, value["path"])
    if value.get("like") is not None:
        reference = step_path(ctx, value["like"]).stat()
        os.utime(target, ns=(reference.st_atime_ns, reference.st_mtime_ns))
    else:
        moment = time.time() - float(value["ago"])
        os.utime(target, (moment, moment))
    return f"set mtime of {value['path']}", None


def remove(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
           cwd: Path) -> tuple[str, dict[str, Any] | None]:
    target = step_path(ctx, value)
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    return f"remove {value}", None


def sleep(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
          cwd: Path) -> tuple[str, dict[str, Any] | None]:
    time.sleep(float(value))
    return f"sleep {value} s", None


# --- what the engine holds -----------------------------------------------------------------

def image_id(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
             cwd: Path) -> tuple[str, dict[str, Any] | None]:
    from docker.errors import ImageNotFound

    try:
        found = ctx.engine.client.images.get(as_text(value)).id
    except ImageNotFound:
        found = ""
    return f"image ID of {value}", {"id": found}


def read_file(ctx: Context, step: LabStep, spec: dict[str, Any], env: dict[str, str],
              cwd: Path) -> tuple[str, dict[str, Any]]:
    from docker.errors import ImageNotFound

    from runner.checks.docker import MAX_FILE_BYTES, read_tree, readable

    image, path = as_text(spec["image"]), as_text(spec["path"])
    try:
        with readable(ctx.engine.client, image=image) as target:
            tree = read_tree(target, path, keep_content_below=MAX_FILE_BYTES)
    except ImageNotFound:
        raise StepFailed(f"no image {image} to read {path} from") from None
    entry = (tree or {}).get(os.path.normpath(path))
    if entry is None or entry.kind != "file":
        return f"read {path} in {image}", {"exists": False, "content": "", "size": 0}
    content = (entry.content or b"").decode("utf-8", "replace")
    return f"read {path} in {image}", {"exists": True, "content": content, "size": entry.size}


def inspect_container(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
                      cwd: Path) -> tuple[str, dict[str, Any] | None]:
    from docker.errors import NotFound

    try:
        container = ctx.engine.client.containers.get(as_text(value))
    except NotFound:
        return f"inspect container {value}", {"exists": False, "image_id": "", "running": False, "status": ""}
    return f"inspect container {value}", {"exists": True, "image_id": container.attrs.get("Image", ""),
                                          "running": container.status == "running",
                                          "status": container.status}


def prune_build_cache(ctx: Context, step: LabStep, value: Any, env: dict[str, str],
                      cwd: Path) -> tuple[str, dict[str, Any] | None]:
    extra: dict[str, str] = {}
    for given in value["filters"]:
        key, sep, wanted = given.partition("=")
        if not sep or key == "id":
            raise StepFailed(f"filter {given!r}: give KEY=VALUE (id= is the lab's own)")
        extra[key] = wanted
    # `docker builder prune` as on an engine that holds this experiment's project only.
    ctx.janitor.sweep()
    mine = [rid for rid, record in ctx.janitor.owned.items() if record["experiment"] == ctx.janitor.experiment]
    deleted = ctx.janitor.prune(extra, value["all"], only=mine)
    # Keys without dots, so that assertions can name them: types.source_local
    types = dict.fromkeys(("regular", "source_local", "exec_cachemount", "internal", "frontend"), 0)
    for record in deleted:
        key = str(record["type"]).replace(".", "_")
        types[key] = types.get(key, 0) + 1
    filters = " ".join(f"--filter {f}" for f in value["filters"])
    return (f"builder prune {'--all ' if value['all'] else ''}{filters} (the lab's records: "
            f"{len(deleted)} deleted)").replace("  ", " "), {"deleted": len(deleted), "types": types,
                                                             "records": deleted}


# --- the runner's own diagnose and fix -----------------------------------------------------

def diagnose(ctx: Context, step: LabStep, spec: dict[str, Any], env: dict[str, str],
             cwd: Path) -> tuple[str, dict[str, Any]]:
    from runner.diagnose.diagnosis import diagnose as run_diagnosis
    from runner.playbook.params import resolve_params

    playbook = _other_playbook(ctx, spec.get("playbook"))
    params = {k: as_text(v) for k, v in (spec.get("params") or {}).items()}
    values = resolve_params(playbook, params, ctx.project)
    result = run_diagnosis(playbook, values, docker_host=ctx.engine.host, cwd=ctx.project)
    observed = {"status": result.status, "cause": result.cause["id"] if result.cause else None,
                "fix": result.fix, "checks": {c.id: c.status for c in result.checks},
                "summaries": {c.id: c.summary for c in result.checks}, "errors": list(result.errors),
                "seconds": round(result.ms / 1000, 3)}
    return f"runner diagnose {playbook.id} → {observed['cause'] or result.status}", observed


_ENGINE_WIDE = re.compile(r"^(builder|system|image|container|volume|network|buildx)$")


def engine_wide_prunes(playbook: Playbook, fix_id: str | None) -> list[str]:
    """Commands in the fixes `runner fix` may run (the one asked for and every cause's, since
    a fix can uncover the next cause) that would prune the whole engine."""
    wanted = {fix_id} if fix_id else set()
    wanted |= {c.fix for c in playbook.causes if c.fix}
    found = []
    for fix in (*playbook.fixes, *playbook.alternatives):
        if fix.id not in wanted:
            continue
        for step in fix.steps:
            argv = list(step.run or ())
            if "prune" in argv and any(_ENGINE_WIDE.match(a) for a in argv[: argv.index("prune")]):
                found.append(f"{fix.id}: {' '.join(argv)}")
    return found


def fix(ctx: Context, step: LabStep, spec: dict[str, Any], env: dict[str, str],
        cwd: Path) -> tuple[str, dict[str, Any]]:
    from runner.fix.run import run_fix
    from runner.playbook.params import resolve_params

    playbook = _other_playbook(ctx, spec.get("playbook"))
    unscoped = engine_wide_prunes(playbook, spec.get("fix"))
    if unscoped:
        # A lab prunes nothing it did not create: such a fix is replayed with prune_build_cache.
        raise StepFailed("the lab does not run fixes that prune the whole engine: " + "; ".join(unscoped))
    params = {k: as_text(v) for k, v in (spec.get("params") or {}).items()}
    values = resolve_params(playbook, params, ctx.project)
    run = run_fix(playbook, values, docker_host=ctx.engine.host, fix_id=spec.get("fix"), yes=True, cwd=ctx.project)
    before, after = run.before, run.after
    observed = {
        "outcome": run.outcome, "verdict": run.verdict, "state": run.state,
        "cause_before": before.cause["id"] if before is not None and before.cause else None,
        "cause_after": after.cause["id"] if after is not None and after.cause else None,
        "status_after": after.status if after is not None else None,
        "fixes": [r.plan.fix for r in run.rounds], "seconds": round(run.seconds, 3),
    }
    return f"runner fix {playbook.id} → {run.outcome}, {run.verdict or 'no verdict'}", observed


def _other_playbook(ctx: Context, playbook_id: str | None) -> Playbook:
    if playbook_id is None or playbook_id == ctx.playbook.id:
        return ctx.playbook
    from runner.playbook.catalogue import load_playbook

    folder = ctx.playbook_path.parent if ctx.playbook_path else Path("playbooks")
    return load_playbook(playbook_id, folder)


REGISTRY: dict[str, StepKind] = {
    "run": run_command,
    "build": build,
    "write": write,
    "append": append,
    "touch": touch,
    "set_mtime": set_mtime,
    "remove": remove,
    "sleep": sleep,
    "image_id": image_id,
    "read_file": read_file,
    "inspect_container": inspect_container,
    "diagnose": diagnose,
    "fix": fix,
    "prune_build_cache": prune_build_cache,
}
