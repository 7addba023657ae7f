"""Mounts that hide an image's files, sorted by what can be done about each: the check
behind the causes of `volume-shadows-image`.

The `mounts` check finds every mount whose destination holds files of the image that the
container does not serve as the image has them. This check sorts those by kind, because
each kind goes stale differently and has its own fix:

- an anonymous volume (`-v /app/node_modules`, a `VOLUME` of the image): Compose carries it
  over into every recreated container of the service, so it keeps what the first image put
  there;
- a named volume: the engine copies the image's files into it only while it is empty, when
  a container first mounts it; after that it keeps its files whatever the image holds;
- a bind mount: a host folder; the container sees the host's files, never the image's.

For volumes it adds what `docker volume inspect` says (created, labels, Compose project)
and which other containers use them. Reads only.
"""

from __future__ import annotations

import re
from typing import Any

from runner.checks.container_image import parse_time
from runner.checks.docker import find_or_error, mounts
from runner.checks.kinds import MountsArgs, VolumeShadowingArgs
from runner.checks.result import CheckContext, CheckResult

ANONYMOUS_LABEL = "com.docker.volume.anonymous"  # set by engines 23 and later
ANONYMOUS_NAME = re.compile(r"^[0-9a-f]{64}$")  # what the engine names a volume nobody named
COMPOSE_VOLUME = "com.docker.compose.volume"
COMPOSE_PROJECT = "com.docker.compose.project"


def _volume(client: Any, name: str) -> dict[str, Any] | None:
    try:
        return client.api.inspect_volume(name)
    except Exception:  # noqa: BLE001 - removed meanwhile: described from the mount alone
        return None


def volume_shadowing(args: VolumeShadowingArgs, ctx: CheckContext) -> CheckResult:
    found = find_or_error(ctx, "containers", args.container)
    if isinstance(found, CheckResult):
        return found
    client, container = found
    config = container.attrs.get("Config") or {}
    image = args.image or config.get("Image") or container.attrs.get("Image")
    try:
        client.images.get(image)
    except Exception:  # noqa: BLE001 - the reference is gone (rmi): compare with what it runs
        if args.image:
            return CheckResult("error", f"no image {image!r} on this engine", {"container": container.name})
        image = container.attrs.get("Image")
    found = mounts(MountsArgs(container=args.container, image=image), ctx)
    if found.status == "error":
        return found
    tagged = client.images.get(image)
    image_created = parse_time(tagged.attrs.get("Created"))
    anonymous: list[dict[str, Any]] = []
    named: list[dict[str, Any]] = []
    binds: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for mount in found.evidence.get("shadowing", []):
        item = dict(mount)
        if mount.get("type") == "bind":
            binds.append(item)
            continue
        if mount.get("type") != "volume" or not mount.get("name"):
            others.append(item)
            continue
        volume = _volume(client, mount["name"]) or {}
        labels = volume.get("Labels") or {}
        created = parse_time(volume.get("CreatedAt"))
        users = [c.name for c in client.containers.list(all=True, filters={"volume": mount["name"]})
                 if c.id != container.id]
        item.update({
            "driver": volume.get("Driver"), "created": volume.get("CreatedAt"), "labels": labels,
            "compose_project": labels.get(COMPOSE_PROJECT), "compose_volume": labels.get(COMPOSE_VOLUME),
            # made before the image it is compared with: filled from an older one, if ever
            "created_before_image": bool(created and image_created and created < image_created),
            "other_users": users,
        })
        is_anonymous = ANONYMOUS_LABEL in labels or (ANONYMOUS_NAME.match(mount["name"]) is not None
                                                     and COMPOSE_VOLUME not in labels)
        item["anonymous"] = is_anonymous
        (anonymous if is_anonymous else named).append(item)
    evidence = {
        "container": container.name, "image": image, "image_id": tagged.id,
        "image_created": tagged.attrs.get("Created"),
        "mounts": found.evidence.get("mounts", []), "shadowing": found.evidence.get("shadowing", []),
        "anonymous": anonymous, "named": named, "binds": binds, "others": others,
    }
    if not evidence["shadowing"]:
        return CheckResult("pass", found.summary, evidence)
    parts = []
    for label, items in (("anonymous volume", anonymous), ("named volume", named), ("bind mount", binds),
                         ("other mount", others)):
        for item in items:
            what = item.get("source") if label == "bind mount" else (item.get("name") or "")[:12] \
                if label == "anonymous volume" else item.get("name") or item.get("destination")
            parts.append(f"{label} {what} at {item['destination']} ({item['differing_count']} file(s))")
    return CheckResult("fail", f"{container.name}: mounts hide files of {image}: " + "; ".join(parts), evidence)
