"""Which image a container runs, against the tag that was rebuilt: the check behind the
causes of `stale-container`.

A container keeps the image ID it was created with: `docker restart`, `docker start` and
`docker compose restart` never change it, and a rebuild only moves the tag. So the
evidence is three image IDs: the one the container runs, the one the rebuilt tag names
now, and the one the container's own reference (`Config.Image`, what `docker run` or
Compose was given) names now. When the reference follows the tag, recreating the
container picks up the rebuilt image; when it names another image (another tag, an image
ID, the default image name Compose gives a built service: `<project>_<service>` (v1) or
`<project>-<service>` (v2)), recreating it changes nothing.

Also reported: whether the container was (re)started after the tag's image was built (a
restart instead of a recreate), the tags its image still has (none: the old image lost its
tag to the rebuild, which is why `docker ps` shows an ID), which builder made the tag
(BuildKit or the legacy builder: the two never produce the same image ID for the same
inputs, which matters to a comparison by rebuilding), and the Compose labels. Reads only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from runner.checks.docker import COMPOSE_LABELS, find_or_error
from runner.checks.kinds import ContainerImageArgs
from runner.checks.result import CheckContext, CheckResult

BUILDKIT_COMMENT = re.compile(r"^buildkit\.")  # history comment of BuildKit's steps: buildkit.dockerfile.v0
NEVER = "0001-01-01T00:00:00Z"  # the engine's StartedAt of a container never started


def parse_time(text: str | None) -> dt.datetime | None:
    """The engine's RFC 3339 timestamps (nanoseconds, Z) as aware datetimes; None for none."""
    if not text or text.startswith("0001-01-01"):
        return None
    text = re.sub(r"(\.\d{6})\d*", r"\1", text.replace("Z", "+00:00"))
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _image(client: Any, ref: str) -> Any | None:
    from docker.errors import ImageNotFound, NullResource

    try:
        return client.images.get(ref)
    except (ImageNotFound, NullResource):
        return None


def builder_of(client: Any, image_id: str) -> str | None:
    """'buildkit' or 'legacy' for the step that made the image's newest layer; None when the
    history does not say (an imported or committed image)."""
    try:
        history = client.api.history(image_id)
    except Exception:  # noqa: BLE001 - history is a hint, never a reason to fail the check
        return None
    if not history:
        return None
    newest = history[0]  # the engine lists newest first
    if BUILDKIT_COMMENT.match(newest.get("Comment") or ""):
        return "buildkit"
    if "#(nop)" in (newest.get("CreatedBy") or "") or (newest.get("CreatedBy") or "").startswith("/bin/sh -c "):
        return "legacy"
    return None


def container_image(args: ContainerImageArgs, ctx: CheckContext) -> CheckResult:
    found = find_or_error(ctx, "containers", args.container)
    if isinstance(found, CheckResult):
        return found
    client, container = found
    attrs = container.attrs
    config = attrs.get("Config") or {}
    state = attrs.get("State") or {}
    labels = config.get("Labels") or {}
    running_id = attrs.get("Image") or ""
    reference = config.get("Image") or running_id
    tag = args.image or reference
    tagged = _image(client, tag)
    if tagged is None:
        return CheckResult("error", f"no image {tag!r} on this engine", {"container": container.name, "tag": tag})
    followed = _image(client, reference)
    running = _image(client, running_id)
    tag_created = parse_time(tagged.attrs.get("Created"))
    # When the tag was last built: a cached rebuild of sources built before keeps the first
    # build's `Created`, and the engine moves `LastTagTime` on every build that tags.
    tag_built = max((moment for moment in (tag_created, parse_time((tagged.attrs.get("Metadata") or {})
                                                                   .get("LastTagTime"))) if moment), default=None)
    started = parse_time(state.get("StartedAt"))
    created = parse_time(attrs.get("Created"))
    compose = {key: labels[label] for key, label in COMPOSE_LABELS.items() if label in labels}

    runs_tag_image = running_id == tagged.id
    ref_id = followed.id if followed is not None else ""
    running_created = parse_time(running.attrs.get("Created")) if running is not None else None
    evidence: dict[str, Any] = {
        "container": container.name, "container_id": container.id, "state": state.get("Status"),
        "created": attrs.get("Created"), "started_at": state.get("StartedAt") if started else None,
        "restart_count": attrs.get("RestartCount", 0),
        "image_id": running_id, "image_ref": reference,
        "running_image_tags": list(running.tags) if running is not None else [],
        "running_image_created": running.attrs.get("Created") if running is not None else None,
        "tag": tag, "tag_id": tagged.id, "tag_created": tagged.attrs.get("Created"),
        "tag_builder": builder_of(client, tagged.id),
        "ref_id": ref_id,
        "runs_tag_image": runs_tag_image,
        "ref_follows_tag": ref_id == tagged.id,
        "behind_tag": not runs_tag_image and ref_id == tagged.id,
        "other_reference": not runs_tag_image and ref_id != tagged.id,
        # Started after the tag's image was made, yet running another image: a restart or
        # start after the rebuild, not a new container.
        "started_after_build": bool(not runs_tag_image and started and tag_built and started > tag_built),
        "created_before_build": bool(created and tag_built and created < tag_built),
        "tag_built": tag_built.isoformat() if tag_built else None,
        # The tag was moved back (a pull or a tag of an older image, a cached rebuild of reverted
        # sources): recreating would run the tag's older image.
        "running_newer_than_tag": bool(not runs_tag_image and running_created and tag_created
                                       and running_created > tag_created),
        "compose": compose or None,
    }
    short = running_id.removeprefix("sha256:")[:12]
    tag_short = tagged.id.removeprefix("sha256:")[:12]
    evidence["never_started"] = not started and state.get("Status") == "created"
    if evidence["never_started"]:
        # It holds an image but serves nothing: no cause of a stale image applies, and "runs
        # the tag's image" would be an all-clear for a service that is down.
        return CheckResult("fail", f"{container.name} was created but never started: it serves nothing "
                           f"(image {short}{' = ' + tag if runs_tag_image else ''}); start it: docker start "
                           f"{container.name}", evidence)
    if runs_tag_image:
        return CheckResult("pass", f"{container.name} runs {tag} ({tag_short}), the image the tag names now", evidence)
    if evidence["behind_tag"]:
        how = ("; it was (re)started after the rebuild, not recreated" if evidence["started_after_build"]
               else "; it was created before the rebuild")
        untagged = "" if evidence["running_image_tags"] else " (now untagged: `docker ps` shows its ID)"
        if evidence["running_newer_than_tag"]:
            return CheckResult("fail", f"{container.name} runs image {short}{untagged}, not what {tag} names now "
                               f"({tag_short}), which is older: recreating it runs the older image", evidence)
        return CheckResult("fail", f"{container.name} runs image {short}{untagged}, older than {tag} ({tag_short})"
                           f"{how}", evidence)
    named = f"{reference} ({ref_id.removeprefix('sha256:')[:12]})" if ref_id else f"{reference} (no such image now)"
    return CheckResult("fail", f"{container.name} was created from {named}, not from {tag} ({tag_short}): "
                       "recreating it from its own reference would not pick up the rebuilt tag", evidence)
