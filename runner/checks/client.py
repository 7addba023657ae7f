"""The docker CLI a build runs with: which one, and what `docker build` will do with it.

Docker CLI 23 and later hand `docker build` to the buildx plugin. Without a working plugin
such a client refuses a build that asks for BuildKit (`DOCKER_BUILDKIT=1`: "BuildKit is
enabled but the buildx component is missing or broken") and otherwise falls back, with a
deprecation warning, to the legacy builder, which rejects BuildKit-only syntax such as
`RUN --mount`. Clients before 23 have BuildKit built in and use it when `DOCKER_BUILDKIT=1`
(or when the engine makes it the default).

Everything here only reads: the client is asked for its version, its plugins and `buildx
version` with DOCKER_HOST pointing nowhere, so no engine is contacted for those; the engine
is asked once (`/_ping`) for its default builder, which matters to pre-23 clients only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runner.checks.kinds import DockerClientArgs
from runner.checks.result import CheckContext, CheckResult

NOWHERE = "unix:///nonexistent/runner-docker-client-check.sock"
PROBE_TIMEOUT = 10.0
BUILDX_FROM = 23  # the first CLI major that routes `docker build` to buildx

# strconv.ParseBool, which the docker CLI applies to DOCKER_BUILDKIT; "" counts as unset.
GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})

# Dockerfile syntax the legacy builder rejects or misreads.
# Flags come right after the instruction, before its command or sources.
BUILDKIT_FLAGS = re.compile(r"^\s*(RUN|COPY|ADD)(?:\s+--[\w-]+(?:=\S*)?)*?\s+(--(?:mount|network|security|chmod|"
                            r"link|checksum|parents|exclude|keep-git-dir)\b)", re.I)
HEREDOC = re.compile(r"^\s*(RUN|COPY|ADD)\b.*<<-?[\"']?[A-Za-z_]\w*", re.I)


@dataclass(frozen=True)
class Client:
    path: str
    real_path: str
    version: str | None
    major: int
    buildx: str  # "ok" | "missing" | "broken" | "builtin-only" (pre-23 clients without the plugin)
    buildx_version: str | None
    plugin_path: str | None
    plugin_error: str | None

    @property
    def can_buildkit(self) -> bool:
        """Can this client do a BuildKit build when asked (DOCKER_BUILDKIT=1)?"""
        if self.version is None:
            return False
        return self.buildx == "ok" or self.major < BUILDX_FROM


def _major(version: str | None) -> int:
    match = re.match(r"^\s*(\d+)", version or "")
    return int(match.group(1)) if match else 0


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, errors="replace", env=env,
                              timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None


def probe(path: str, env: dict[str, str]) -> Client:
    """What one docker CLI is and whether its buildx plugin works, under `env`."""
    env = {**env, "DOCKER_HOST": NOWHERE}
    with ThreadPoolExecutor(max_workers=3) as pool:
        version_f = pool.submit(_run, [path, "version", "--format", "{{.Client.Version}}"], env)
        plugins_f = pool.submit(_run, [path, "info", "--format", "{{json .ClientInfo.Plugins}}"], env)
        buildx_f = pool.submit(_run, [path, "buildx", "version"], env)
    done = version_f.result()
    version = (done.stdout.strip() or None) if done is not None else None
    plugin_path = plugin_error = None
    listed = plugins_f.result()
    if listed is not None:
        try:
            plugins = json.loads(listed.stdout.strip() or "[]") or []
        except json.JSONDecodeError:
            plugins = []
        for plugin in plugins:
            if isinstance(plugin, dict) and plugin.get("Name") == "buildx":
                plugin_path = plugin.get("Path")
                plugin_error = plugin.get("Err") or None
                break
    buildx_done = buildx_f.result()
    works = buildx_done is not None and buildx_done.returncode == 0
    buildx_version = buildx_done.stdout.strip().splitlines()[0] if works and buildx_done.stdout.strip() else None
    major = _major(version)
    if works and plugin_error is None:
        state = "ok"
    elif plugin_path is not None:
        state = "broken"
        if plugin_error is None and buildx_done is not None:
            plugin_error = (buildx_done.stderr.strip().splitlines() or ["`docker buildx version` failed"])[0]
    else:
        state = "missing" if major >= BUILDX_FROM or version is None else "builtin-only"
    return Client(path, os.path.realpath(path), version, major, state, buildx_version, plugin_path, plugin_error)


def clients_on_path(search_path: str) -> list[str]:
    """Every `docker` on a PATH, in order, each real file once."""
    found: list[str] = []
    seen: set[str] = set()
    for folder in search_path.split(os.pathsep):
        candidate = os.path.join(folder or ".", "docker")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            real = os.path.realpath(candidate)
            if real not in seen:
                seen.add(real)
                found.append(candidate)
    return found


def buildkit_setting(raw: str | None) -> str:
    """DOCKER_BUILDKIT as the docker CLI reads it: enabled, disabled, unset or invalid."""
    if raw is None or raw == "":
        return "unset"
    if raw in GO_TRUE:
        return "enabled"
    if raw in GO_FALSE:
        return "disabled"
    return "invalid"


def builder(client: Client, setting: str, daemon_builder: str | None) -> str:
    """What `docker build` does with this client and DOCKER_BUILDKIT setting.

    error-invalid-env | error-no-buildx | buildx | builtin | legacy | legacy-fallback
    """
    if setting == "invalid":
        return "error-invalid-env"
    if client.major >= BUILDX_FROM:
        if setting == "disabled":
            return "legacy"
        if client.buildx == "ok":
            return "buildx"
        return "error-no-buildx" if setting == "enabled" else "legacy-fallback"
    if setting == "enabled":
        return "builtin"
    if setting == "disabled":
        return "legacy"
    # A pre-23 client follows the engine's default builder (BuildKit when the engine says so).
    return "builtin" if daemon_builder == "2" else "legacy"


def buildkit_syntax(dockerfile: Path) -> list[dict[str, Any]]:
    """Lines of a Dockerfile that only BuildKit builds."""
    found = []
    for number, line in enumerate(dockerfile.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        flag = BUILDKIT_FLAGS.search(line)
        if flag:
            found.append({"line": number, "feature": f"{flag.group(1).upper()} {flag.group(2)}", "text": line.strip()})
        elif HEREDOC.search(line):
            found.append({"line": number, "feature": "heredoc", "text": line.strip()})
    return found


def _daemon_builder(ctx: CheckContext) -> str | None:
    """The engine's default builder from `/_ping` (header Builder-Version: 2 = BuildKit), or
    None when the engine does not say or cannot be reached."""
    try:
        from runner.checks.docker import engine_client

        api = engine_client(ctx).api
        return api.get(api._url("/_ping"), timeout=5).headers.get("Builder-Version")
    except Exception:  # noqa: BLE001 - unreachable or old: pre-23 clients then default to legacy
        return None


_MESSAGES = {
    "error-invalid-env": "DOCKER_BUILDKIT={value!r} is not a boolean: every `docker build` stops",
    "error-no-buildx": "DOCKER_BUILDKIT={value} asks for BuildKit and {client} has no working buildx: "
                       "`docker build` fails",
    "legacy-fallback": "{client} has no working buildx: `docker build` falls back to the deprecated legacy builder",
    "legacy": "`docker build` uses the legacy builder (BuildKit {why})",
    "buildx": "{client} builds with BuildKit through buildx {buildx_version}",
    "builtin": "{client} builds with its built-in BuildKit",
}


def docker_client(args: DockerClientArgs, ctx: CheckContext) -> CheckResult:
    search_path = args.path if args.path is not None else os.environ.get("PATH", os.defpath)
    env = {**os.environ, "PATH": search_path}
    if args.docker_config is not None:
        env["DOCKER_CONFIG"] = args.docker_config
    env.pop("DOCKER_BUILDKIT", None)  # probes must not trip over an invalid value

    on_path = clients_on_path(search_path)
    if os.sep in args.docker:
        target_path = args.docker if os.path.isabs(args.docker) else str(ctx.cwd / args.docker)
        if not (os.path.isfile(target_path) and os.access(target_path, os.X_OK)):
            return CheckResult("error", f"{args.docker}: no such executable", {"docker": args.docker})
    else:
        named = [p for folder in search_path.split(os.pathsep)
                 if os.path.isfile(p := os.path.join(folder or ".", args.docker)) and os.access(p, os.X_OK)]
        if not named:
            return CheckResult("error", f"no `{args.docker}` on PATH ({search_path})",
                               {"docker": args.docker, "path": search_path})
        target_path = named[0]

    paths = list(dict.fromkeys([target_path, *on_path]))
    with ThreadPoolExecutor(max_workers=max(1, len(paths))) as pool:
        probed = dict(zip(paths, pool.map(lambda p: probe(p, env), paths)))
    client = probed[target_path]
    if client.version is None:
        return CheckResult("error", f"{target_path} does not run as a docker CLI", {"docker": target_path})

    if args.buildkit is not None:
        raw, source = args.buildkit, "param"
    else:
        raw, source = os.environ.get("DOCKER_BUILDKIT"), "environment"
    setting = buildkit_setting(raw)
    daemon = _daemon_builder(ctx) if client.major < BUILDX_FROM and setting == "unset" else None
    chosen = builder(client, setting, daemon)

    capable = [c for p, c in probed.items() if c.can_buildkit and c.real_path != client.real_path]
    syntax: list[dict[str, Any]] | None = None
    dockerfile_path: str | None = None
    if args.dockerfile:
        candidate = Path(args.dockerfile)
        candidate = candidate if candidate.is_absolute() else ctx.cwd / candidate
        if candidate.is_file():
            dockerfile_path = str(candidate)
            syntax = buildkit_syntax(candidate)
    needs_buildkit = None if syntax is None else bool(syntax)

    evidence: dict[str, Any] = {
        "path": client.path, "real_path": client.real_path, "version": client.version, "major": client.major,
        "first_on_path": on_path[0] if on_path else None,
        "is_first_on_path": bool(on_path) and os.path.realpath(on_path[0]) == client.real_path,
        "buildx": client.buildx, "buildx_version": client.buildx_version,
        "buildx_plugin": client.plugin_path, "buildx_error": client.plugin_error,
        "buildkit_env": raw, "buildkit_env_source": source, "buildkit": setting,
        "daemon_builder": daemon, "builder": chosen,
        "capable_client": capable[0].path if capable else None,
        # the client to build with BuildKit: this one when it can, else the first that can
        "buildkit_client": client.path if client.can_buildkit else capable[0].path if capable else None,
        "capable_clients": [{"path": c.path, "version": c.version, "how": "buildx" if c.buildx == "ok" else "builtin"}
                            for c in capable],
        "on_path": [{**asdict(probed[p]), "can_buildkit": probed[p].can_buildkit} for p in on_path],
        "dockerfile": dockerfile_path, "buildkit_syntax": syntax, "needs_buildkit": needs_buildkit,
        "search_path": search_path, "docker_config": args.docker_config or os.environ.get("DOCKER_CONFIG"),
    }
    name = f"{client.path} {client.version}"
    why = "disabled by DOCKER_BUILDKIT=" + str(raw) if setting == "disabled" else "not enabled, the engine's default"
    summary = _MESSAGES[chosen].format(value=raw, client=name, buildx_version=client.buildx_version or "", why=why)
    if client.buildx == "broken":
        summary += f"; its buildx plugin {client.plugin_path} is broken: {client.plugin_error}"
    if chosen in ("error-no-buildx", "legacy-fallback") and capable:
        summary += f"; {capable[0].path} {capable[0].version} can do BuildKit builds"
    if chosen.startswith("legacy") and syntax:
        first = syntax[0]
        summary += f"; the Dockerfile needs BuildKit ({first['feature']} on line {first['line']})"
    if chosen.startswith("error") or chosen == "legacy-fallback" or (chosen == "legacy" and syntax):
        return CheckResult("fail", summary, evidence)
    if chosen == "legacy" or client.buildx == "broken":
        return CheckResult("warn", summary, evidence)
    return CheckResult("pass", summary, evidence)
