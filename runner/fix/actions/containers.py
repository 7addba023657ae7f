"""Actions on containers: recreate one from the current image with the same configuration,
and empty the volumes that hide an image's files.

`docker restart` never changes a container's image; the container has to be created again.
The Engine API has no "recreate", so the new container is made from the old one's inspect
data. Values the old image supplied (its ENV, CMD, LABEL, WORKDIR ...) are left out so that
the new image's own values apply, as `docker run` would have done.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import uuid
from dataclasses import dataclass, field
from typing import Any

from runner.engine.clients import compose_command
from runner.engine.endpoints import client_for
from runner.fix.actions import (
    ActionContext,
    ActionResult,
    RecreateContainerArgs,
    RefillVolumesArgs,
)

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
COMPOSE_WORKING_DIR = "com.docker.compose.project.working_dir"
COMPOSE_FILES = "com.docker.compose.project.config_files"

# Config keys whose value, when it equals the old image's, came from the image.
IMAGE_SUPPLIED = ("WorkingDir", "User", "StopSignal", "Healthcheck", "OnBuild", "Shell")
PREDEFINED_NETWORKS = ("bridge", "host", "none", "default")


@dataclass
class Spec:
    """Everything needed to create the same container again."""

    name: str
    body: dict[str, Any]  # the create request: Config + HostConfig + NetworkingConfig
    extra_networks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    running: bool = False
    auto_remove: bool = False
    stop_timeout: int = 10


def _not_found(exc: Exception) -> bool:
    from docker.errors import NotFound

    return isinstance(exc, NotFound)


def _image_labels(client: Any, image: str) -> dict[str, str] | None:
    """The labels of the image the new container will run; None when it cannot be read."""
    try:
        return (client.api.inspect_image(image).get("Config") or {}).get("Labels") or {}
    except Exception:  # noqa: BLE001 - the create that follows says what is wrong with the image
        return None


def container_spec(client: Any, old: Any, image: str | None) -> Spec:
    attrs = old.attrs
    config = dict(attrs.get("Config") or {})
    host_config = dict(attrs.get("HostConfig") or {})
    try:
        image_config = client.api.inspect_image(attrs["Image"]).get("Config") or {}
    except Exception:  # noqa: BLE001 - the old image is gone: keep every value as the container has it
        image_config = {}

    config["Image"] = image or config.get("Image") or attrs["Image"]
    if image_config:
        image_env = set(image_config.get("Env") or [])
        config["Env"] = [item for item in config.get("Env") or [] if item not in image_env]
        # A label equal to the old image's may be the image's or the person's (`--label k=v`
        # with the same value): it is left to the new image only when that image sets the key,
        # so neither a stale image label is pinned nor the person's label lost.
        image_labels = image_config.get("Labels") or {}
        new_labels = _image_labels(client, config["Image"])
        config["Labels"] = {k: v for k, v in (config.get("Labels") or {}).items()
                            if image_labels.get(k) != v or (new_labels is not None and k not in new_labels)}
        # An entrypoint given at run time resets the image's CMD: then both are the person's.
        if config.get("Entrypoint") == image_config.get("Entrypoint"):
            config["Entrypoint"] = None
            if config.get("Cmd") == image_config.get("Cmd"):
                config["Cmd"] = None
        for key in IMAGE_SUPPLIED:
            if key in config and config[key] == image_config.get(key):
                config.pop(key)
        for key in ("ExposedPorts", "Volumes"):
            mine = {k: v for k, v in (config.get(key) or {}).items() if k not in (image_config.get(key) or {})}
            config[key] = mine or None
    # The engine names the host after the container ID unless the person chose a name.
    if config.get("Hostname") == old.id[:12]:
        config.pop("Hostname")

    binds = list(host_config.get("Binds") or [])
    covered = {_bind_destination(b) for b in binds} | {m.get("Target") for m in host_config.get("Mounts") or []}
    # Anonymous volumes (`-v /data`, an image's VOLUME) are in no Binds: name them, or the
    # new container would start with fresh empty ones.
    for mount in attrs.get("Mounts") or []:
        if mount.get("Type") == "volume" and mount.get("Destination") not in covered and mount.get("Name"):
            binds.append(f"{mount['Name']}:{mount['Destination']}" + ("" if mount.get("RW", True) else ":ro"))
    host_config["Binds"] = binds or None
    if host_config.get("Links"):
        host_config["Links"] = [_link(item) for item in host_config["Links"]]

    networks = dict((attrs.get("NetworkSettings") or {}).get("Networks") or {})
    mode = host_config.get("NetworkMode") or "default"
    primary = "bridge" if mode == "default" else mode
    endpoints: dict[str, Any] = {}
    extra: list[tuple[str, dict[str, Any]]] = []
    if not mode.startswith("container:") and mode not in ("host", "none"):
        for network, settings in networks.items():
            endpoint = _endpoint(settings, old.id)
            if network == primary:
                endpoints[network] = endpoint
            else:
                extra.append((network, endpoint))
    body = {**config, "HostConfig": host_config, "NetworkingConfig": {"EndpointsConfig": endpoints} if endpoints
            else None}
    state = attrs.get("State") or {}
    return Spec(old.name, body, extra, running=bool(state.get("Running") or state.get("Restarting")),
                auto_remove=bool(host_config.get("AutoRemove")), stop_timeout=int(config.get("StopTimeout") or 10))


def _bind_destination(bind: str) -> str:
    parts = bind.split(":")
    return parts[1] if len(parts) >= 2 else parts[0]


def _link(item: str) -> str:
    # inspect says "/target:/this/alias"; create wants "target:alias"
    target, _, alias = item.partition(":")
    return f"{target.lstrip('/')}:{alias.rsplit('/', 1)[-1]}" if alias else target.lstrip("/")


def _endpoint(settings: dict[str, Any], old_id: str) -> dict[str, Any]:
    aliases = [a for a in settings.get("Aliases") or [] if a not in (old_id[:12], old_id)]
    return {"Aliases": aliases or None, "IPAMConfig": settings.get("IPAMConfig"), "Links": settings.get("Links"),
            "DriverOpts": settings.get("DriverOpts")}


def create_from_spec(client: Any, spec: Spec, name: str) -> str:
    created = client.api.create_container_from_config(spec.body, name=name)["Id"]
    try:
        for network, endpoint in spec.extra_networks:
            ipam = endpoint.get("IPAMConfig") or {}
            client.api.connect_container_to_network(
                created, network, aliases=endpoint.get("Aliases"), links=endpoint.get("Links"),
                ipv4_address=ipam.get("IPv4Address") or None, ipv6_address=ipam.get("IPv6Address") or None,
                link_local_ips=ipam.get("LinkLocalIPs") or None, driver_opt=endpoint.get("DriverOpts"))
    except Exception:
        client.api.remove_container(created, force=True)
        raise
    return created


def recreate_container(args: RecreateContainerArgs, ctx: ActionContext) -> ActionResult:
    client = client_for(ctx.docker_host)
    try:
        old = client.containers.get(args.container)
    except Exception as exc:  # noqa: BLE001
        if _not_found(exc):
            return ActionResult(False, f"no container {args.container!r} on {ctx.docker_host}", {},
                                "nothing was changed")
        raise
    labels = (old.attrs.get("Config") or {}).get("Labels") or {}
    if COMPOSE_PROJECT in labels and COMPOSE_SERVICE in labels:
        compose = compose_command()
        # Compose v1 records the files as it was given them: relative to its working directory.
        workdir = labels.get(COMPOSE_WORKING_DIR) or ""
        files = [os.path.join(workdir, f) for f in (labels.get(COMPOSE_FILES) or "").split(",") if f]
        missing = [f for f in files if not os.path.isfile(f)]
        too_old = compose is not None and _compose_v1_cannot_recreate_on(compose, client)
        if compose and files and not missing and not too_old:
            return _recreate_with_compose(compose, labels, files, old, ctx, client)
        why = "no compose CLI here" if not compose else \
            "Compose v1 (docker-compose) fails to recreate on Docker 25 and later (KeyError: 'ContainerConfig')" \
            if too_old else f"its compose file is not here ({', '.join(missing) or 'no file recorded'})"
        ctx.output(f"created by Compose project {labels[COMPOSE_PROJECT]!r}, but {why}: "
                   "recreating through the Engine API with the same settings")
    return _recreate_with_api(client, old, args.image, ctx)


def _recreate_with_api(client: Any, old: Any, image: str | None, ctx: ActionContext) -> ActionResult:
    from runner.fix import journal as journals

    spec = container_spec(client, old, image)
    suffix = uuid.uuid4().hex[:6]
    temporary, aside = f"{spec.name}-runner-new-{suffix}", f"{spec.name}-runner-old-{suffix}"
    old_image = old.attrs.get("Image")
    # Each change is journaled before it is made: a run killed half way is finished or undone
    # by the next one (journal.py).
    journal = journals.begin(ctx.docker_host, spec.name, old.id, temporary, aside, spec.running)
    try:
        new_id = create_from_spec(client, spec, temporary)
    except Exception as exc:  # noqa: BLE001 - the engine's reason is the message
        journals.clear(journal)
        return ActionResult(False, f"could not create the new container: {_short(exc)}", {},
                            f"nothing was changed: {spec.name} still runs image {old_image[7:19]}")
    ctx.output(f"created {temporary} ({new_id[:12]}) from {spec.body['Image']}")
    step = "rename"
    try:
        journal = journals.advance(journal, "rename-old", new_id=new_id)
        client.api.rename(old.id, aside)
        journal = journals.advance(journal, "rename-new")
        client.api.rename(new_id, spec.name)
        ctx.output(f"renamed the old container to {aside}")
        if spec.running:
            step = "stop"
            journal = journals.advance(journal, "stop")
            client.api.stop(old.id, timeout=spec.stop_timeout)
            ctx.output(f"stopped {aside}")
            step = "start"
            journal = journals.advance(journal, "start")
            client.api.start(new_id)
            ctx.output(f"started {spec.name} ({new_id[:12]})")
        journal = journals.advance(journal, "remove")
    except Exception as exc:  # noqa: BLE001
        restored = _restore(client, old.id, new_id, spec, temporary)
        if restored.startswith("restored"):
            journals.clear(journal)
        return ActionResult(False, f"could not {step} ({_short(exc)})", {"new_id": new_id}, restored)
    try:
        client.api.remove_container(old.id, v=False, force=True)
    except Exception as exc:  # noqa: BLE001 - gone already when it had --rm
        if not _not_found(exc):
            ctx.output(f"could not remove {aside}: {_short(exc)}; remove it by hand")
    journals.clear(journal)
    new_image = client.api.inspect_container(new_id)["Image"]
    return ActionResult(True, f"recreated {spec.name}: image {old_image[7:19]} -> {new_image[7:19]}"
                        + ("" if spec.running else " (left stopped, as it was)"),
                        {"old_id": old.id, "new_id": new_id, "old_image": old_image, "new_image": new_image,
                         "via": "engine-api", "started": spec.running})


def _restore(client: Any, old_id: str, new_id: str, spec: Spec, temporary: str) -> str:
    """Put the old container back under its name, running if it was."""
    try:
        client.api.remove_container(new_id, force=True)
        client.api.rename(old_id, spec.name)
        if spec.running and not client.api.inspect_container(old_id)["State"]["Running"]:
            client.api.start(old_id)
    except Exception as exc:  # noqa: BLE001
        if spec.auto_remove:
            return f"the old container had --rm and is gone; the new one, {temporary}, was removed: {_short(exc)}"
        return f"could not restore the old container ({_short(exc)}): look at `docker ps -a --filter name={spec.name}`"
    return f"restored: {spec.name} is the old container again" + (", running" if spec.running else "")


def _compose_v1_cannot_recreate_on(compose: tuple[str, ...], client: Any) -> bool:
    """docker-compose 1.x reads the image's ContainerConfig to recreate, which Engine API 1.44
    (Docker 25) no longer returns: it stops and renames the old container, then crashes."""
    if compose[-1] == "compose":
        return False
    try:
        api = client.version().get("ApiVersion") or "0"
    except Exception:  # noqa: BLE001 - unknown: let Compose try, the restore covers a failure
        return False
    return tuple(int(part) for part in api.split(".")[:2] if part.isdigit()) >= (1, 44)


def _recreate_with_compose(compose: tuple[str, ...], labels: dict[str, str], files: list[str],
                           old: Any, ctx: ActionContext, client: Any) -> ActionResult:
    project, service = labels[COMPOSE_PROJECT], labels[COMPOSE_SERVICE]
    argv = [*compose, "-p", project]
    for file in files:
        argv += ["-f", file]
    argv += ["up", "-d", "--no-deps", "--force-recreate", "--no-build", service]
    workdir = labels.get(COMPOSE_WORKING_DIR)
    cwd = workdir if workdir and os.path.isdir(workdir) else str(ctx.cwd)
    ctx.output("$ " + " ".join(argv))
    try:
        process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   errors="replace", env={**os.environ, "DOCKER_HOST": ctx.docker_host},
                                   stdin=subprocess.DEVNULL)
    except OSError as exc:
        return ActionResult(False, f"{compose[0]}: {exc}", {}, "nothing was changed")
    assert process.stdout is not None
    for line in process.stdout:
        ctx.output(line.rstrip("\n"))
    try:
        code = process.wait(timeout=ctx.remaining())
    except subprocess.TimeoutExpired:
        process.kill()
        return ActionResult(False, "compose did not finish in time", {"argv": argv},
                            f"unknown: look at `{' '.join(compose)} -p {project} ps`")
    details = {"argv": argv, "via": "compose", "project": project, "service": service}
    if code != 0:
        return ActionResult(False, f"compose exited {code}", details, _after_failed_compose(client, old))
    found = client.containers.list(all=True, filters={"label": [f"{COMPOSE_PROJECT}={project}",
                                                                 f"{COMPOSE_SERVICE}={service}"]})
    details["containers"] = [{"name": c.name, "id": c.id, "image": c.attrs.get("Image")} for c in found]
    return ActionResult(True, f"recreated service {service} of compose project {project}", details)


def _after_failed_compose(client: Any, old: Any) -> str:
    """Compose may have stopped and renamed the old container before it failed (v1 renames it
    `<id>_<name>`): when the service now has no running container, the old one is put back."""
    name = old.name
    was_running = bool((old.attrs.get("State") or {}).get("Running"))
    try:
        current = client.api.inspect_container(old.id)
    except Exception as exc:  # noqa: BLE001
        if _not_found(exc):
            return f"compose removed the old container; look at `docker ps -a --filter name={name}`"
        return f"could not look at the old container ({_short(exc)}): look at `docker ps -a --filter name={name}`"
    if current["State"]["Running"] or not was_running:
        return f"{name} is as compose left it" + (" (running)" if current["State"]["Running"] else "")
    try:
        if current["Name"].lstrip("/") != name:
            try:
                taken = client.api.inspect_container(name)
            except Exception as exc:  # noqa: BLE001
                if not _not_found(exc):
                    raise
            else:
                state = "running" if taken["State"]["Running"] else "not running"
                return (f"the old container is stopped as {current['Name'].lstrip('/')}; {name} is another one "
                        f"({taken['Id'][:12]}, {state}): look at `docker ps -a --filter name={name}`")
            client.api.rename(old.id, name)
        client.api.start(old.id)
    except Exception as exc:  # noqa: BLE001
        return f"could not restore the old container ({_short(exc)}): look at `docker ps -a --filter name={name}`"
    return f"restored: {name} is the old container again, running"


def refill_volumes(args: RefillVolumesArgs, ctx: ActionContext) -> ActionResult:
    """The engine fills an empty named volume from the image when a container first mounts
    it; emptying means removing the volume and creating it again with the same driver,
    options and labels. Destructive: whatever the volume held is lost."""
    client = client_for(ctx.docker_host)
    try:
        old = client.containers.get(args.container)
    except Exception as exc:  # noqa: BLE001
        if _not_found(exc):
            return ActionResult(False, f"no container {args.container!r}", {}, "nothing was changed")
        raise
    names = []
    for mount in args.mounts:
        if mount.type != "volume" or not mount.name:
            return ActionResult(False, f"{mount.type} mount {mount.source} at {mount.destination} is a host folder: "
                                "the runner does not empty it; stop mounting it over the build output",
                                {}, "nothing was changed")
        users = [c.name for c in client.containers.list(all=True, filters={"volume": mount.name}) if c.id != old.id]
        if users:
            return ActionResult(False, f"volume {mount.name} is also used by {', '.join(users)}", {},
                                "nothing was changed")
        names.append(mount.name)
    volumes = {name: client.api.inspect_volume(name) for name in names}
    spec = container_spec(client, old, args.image)
    from runner.fix import journal as journals

    # Between the removal and the create the container exists nowhere but in this journal.
    settings = {name: {key: volume.get(key) for key in ("Driver", "Options", "Labels")}
                for name, volume in volumes.items()}
    journal = journals.begin(ctx.docker_host, spec.name, old.id, spec.name, spec.name, spec.running,
                             step="remove-container", kind="refill",
                             remake={"spec": dataclasses.asdict(spec), "volumes": settings})
    client.api.remove_container(old.id, v=False, force=True)
    ctx.output(f"removed container {spec.name} ({old.id[:12]})")
    emptied, error = [], None
    journal = journals.advance(journal, "empty-volumes")
    try:
        for name, volume in volumes.items():
            client.api.remove_volume(name)
            client.api.create_volume(name, driver=volume.get("Driver"), driver_opts=volume.get("Options") or None,
                                     labels=volume.get("Labels") or None)
            emptied.append(name)
            ctx.output(f"emptied volume {name}")
    except Exception as exc:  # noqa: BLE001 - the container must come back either way
        error = exc
    journal = journals.advance(journal, "create-again")
    try:
        new_id = create_from_spec(client, spec, spec.name)
        if spec.running:
            client.api.start(new_id)
    except Exception as exc:  # noqa: BLE001
        return ActionResult(False, f"could not create {spec.name} again: {_short(exc)}", {"emptied": emptied},
                            f"container {spec.name} is removed; volume(s) emptied: {', '.join(emptied) or 'none'}; "
                            "`runner fix --recover` makes it again from its saved configuration")
    journals.clear(journal)
    if error is not None:
        return ActionResult(False, f"could not empty the volumes: {_short(error)}", {"emptied": emptied},
                            f"{spec.name} is recreated; emptied: {', '.join(emptied) or 'none'}")
    ctx.output(f"created {spec.name} ({new_id[:12]}){' and started it' if spec.running else ''}")
    return ActionResult(True, f"emptied {', '.join(emptied)} and recreated {spec.name}; the engine filled the "
                        "volume(s) from the image", {"emptied": emptied, "new_id": new_id})


def _short(exc: BaseException) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    return (str(text).strip().splitlines() or [type(exc).__name__])[0][:300]

