"""The registry of fix actions: name -> arguments model and implementation.

A fix step either runs an argument list, names a registered action, or is manual. Actions
are what an argument list cannot do safely: recreating a container with the same
configuration, touching files inside a build context. Like the check kinds, this module is
light (the loader and `runner --help` read it): implementations live one family per module
(``containers.py``, ``files.py``) and are imported when a step runs.

Action arguments, like every part of a fix step, may name evidence from the diagnosis as well
as params, in the placeholder language (runner/playbook/placeholders.py):
``paths: "{{evidence.source.stale_files.path}}"`` is the list of ``path`` values of the
``stale_files`` items in the ``source`` check's evidence. The playbook
says which evidence a step acts on, so the fix can be read, validated and shown without
running anything; the action itself never reads the Diagnosis.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from runner.playbook.placeholders import Missing, Unknown, fill, paths, walk
from runner.registry import Kind, registry

# `{{evidence.CHECK.path.to.value}}`: the placeholder language's name for the diagnosis' evidence.
EVIDENCE = "evidence"


class Args(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def describe(self) -> str:
        """One line for the plan: what the action will do with these arguments."""
        return ", ".join(f"{k}={v}" for k, v in self.model_dump(exclude_none=True).items())


class RecreateContainerArgs(Args):
    container: str = Field(description="the container to recreate (name or ID)")
    image: str | None = Field(default=None, description="the image to run [default: the reference it was "
                                                         "created from, e.g. app:staging]")

    def describe(self) -> str:
        return (f"recreate container {self.container} from {self.image or 'its image reference'}, keeping its "
                "configuration (through Compose when Compose created it)")


class TouchFilesArgs(Args):
    context: str = Field(description="the build context directory")
    paths: tuple[str, ...] = Field(min_length=1, description="context-relative paths to touch")

    def describe(self) -> str:
        return f"set the modification time of {', '.join(self.paths)} (in {self.context}) to now"


DOCKERFILE_FOR_IGNORE = ("the Dockerfile, relative to the context: a `<Dockerfile>.dockerignore` beside it is the "
                         "ignore file the build uses")


def ignore_file(context: str, dockerfile: str) -> Path:
    """The ignore file a BuildKit build of `context` with `dockerfile` reads: `<Dockerfile>.dockerignore`
    beside the Dockerfile when there is one, else `<context>/.dockerignore` (which may not exist yet)."""
    from runner.buildctx.dockerignore import find_dockerignore

    root = Path(context)
    return find_dockerignore(root, root / dockerfile) or root / ".dockerignore"


class UnexcludePathsArgs(Args):
    context: str = Field(description="the build context directory")
    paths: tuple[str, ...] = Field(min_length=1, description="context-relative paths to re-include")
    dockerfile: str = Field(default="Dockerfile", description=DOCKERFILE_FOR_IGNORE)

    def describe(self) -> str:
        return f"append exceptions to {ignore_file(self.context, self.dockerfile)}: " + \
            ", ".join(f"!{p}" for p in self.paths)


class Exclusion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str
    pattern: str | None = None


class ExplainExclusionsArgs(Args):
    context: str = Field(description="the build context directory")
    excluded: tuple[Exclusion, ...] = Field(min_length=1, description="changed files and the pattern excluding "
                                            "each (the source check's `excluded_changes` evidence)")
    dockerfile: str = Field(default="Dockerfile", description=DOCKERFILE_FOR_IGNORE)

    def describe(self) -> str:
        return f"show where {ignore_file(self.context, self.dockerfile).name} excludes " + ", ".join(
            f"{e.path} (by {e.pattern!r})" if e.pattern else e.path for e in self.excluded)


class ShadowingMount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str | None = None
    name: str | None = None
    source: str | None = None
    destination: str
    differing: tuple[str, ...] = ()
    differing_count: int = 0


class RefillVolumesArgs(Args):
    container: str = Field(description="the container whose volumes hide the image's files")
    image: str | None = Field(default=None, description="the image to run [default: its image reference]")
    mounts: tuple[ShadowingMount, ...] = Field(min_length=1, description="the mounts to empty "
                                               "(the mounts check's `shadowing` evidence)")

    def describe(self) -> str:
        parts = []
        for mount in self.mounts:
            what = f"volume {mount.name}" if mount.type == "volume" else f"{mount.type} mount {mount.source}"
            hidden = ", ".join(mount.differing[:3]) + (" ..." if mount.differing_count > 3 else "")
            parts.append(f"{what} at {mount.destination} hides {mount.differing_count} file(s) of the image ({hidden})")
        return ("; ".join(parts) + f". Remove container {self.container}, empty the volume(s), and recreate the "
                "container with the same configuration so the engine fills them from the image")

    def loses(self) -> str:
        names = ", ".join(m.name or m.source or m.destination for m in self.mounts)
        return f"every file in volume(s) {names}"


ActionKind = Kind

ACTIONS: dict[str, ActionKind] = registry(
    ActionKind("recreate-container", RecreateContainerArgs, "runner.fix.actions.containers:recreate_container",
               "recreate a container from the current image with the same configuration",
               summary_ko="같은 설정으로 현재 이미지에서 컨테이너를 다시 만든다"),
    ActionKind("refill-volumes", RefillVolumesArgs, "runner.fix.actions.containers:refill_volumes",
               "empty the named volumes that hide an image's files; recreate the container",
               summary_ko="이미지의 파일을 가리는 이름 있는 볼륨을 비우고 컨테이너를 다시 만든다"),
    ActionKind("touch-files", TouchFilesArgs, "runner.fix.actions.files:touch_files",
               "touch files of a build context so BuildKit's context sync sends them again",
               summary_ko="빌드 컨텍스트의 파일을 touch해 BuildKit의 컨텍스트 동기화가 다시 보내게 한다"),
    ActionKind("explain-exclusions", ExplainExclusionsArgs, "runner.fix.actions.files:explain_exclusions",
               "show which .dockerignore line excludes each changed file (reads only)",
               summary_ko="바뀐 파일마다 어떤 .dockerignore 줄이 제외하는지 보여 준다 (읽기만 함)"),
    ActionKind("unexclude-paths", UnexcludePathsArgs, "runner.fix.actions.files:unexclude_paths",
               "append `!path` exceptions to a build context's .dockerignore",
               summary_ko="빌드 컨텍스트의 .dockerignore에 `!경로` 예외를 덧붙인다"),
)


@dataclass
class ActionContext:
    """What an action may use: the engine, where we run, a line sink, and its deadline."""

    docker_host: str
    cwd: Path
    output: Callable[[str], None] = lambda line: None
    deadline: float = field(default_factory=lambda: time.monotonic() + 300)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True)
class ActionResult:
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    state: str | None = None  # after a failure: what is left, in words


class EvidenceMissing(Missing):
    pass


def evidence_refs(value: Any) -> list[tuple[str, str]]:
    """(check id, path) of every `{{evidence.CHECK.path}}` inside a value."""
    refs = []
    for path in paths(value):
        head, _, rest = path.partition(".")
        check, _, keys = rest.partition(".")
        if head == EVIDENCE and check and keys:
            refs.append((check, keys))
    return refs


def lookup_evidence(evidence: dict[str, dict[str, Any]], check: str, path: str) -> Any:
    if check not in evidence:
        raise EvidenceMissing(f"the diagnosis has no evidence from check {check!r}")
    try:
        return walk(evidence[check], path.split("."), check)
    except Missing:
        raise EvidenceMissing(f"the {check} check's evidence has no {path!r}") from None


def substitute_evidence(value: Any, evidence: dict[str, dict[str, Any]]) -> Any:
    """Replace evidence references inside a value; raises EvidenceMissing."""

    def evidence_value(path: str) -> Any:
        head, _, rest = path.partition(".")
        check, _, keys = rest.partition(".")
        if head != EVIDENCE or not keys:
            raise Unknown(path)
        return lookup_evidence(evidence, check, keys)

    return fill(value, evidence_value, partial=True)
