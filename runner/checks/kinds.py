"""The registry of check kinds: name -> arguments model and implementation.

This module is light on purpose: the loader, the schema and `runner --help` read it, and
none of them may pay for importing the docker SDK. Implementations live one family per
module (``runner/checks/docker.py``, ``git.py``, ...) and are imported when a check runs.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from runner.playbook.placeholders import SHELL_CODE_HINT, parameters_in_shell_code
from runner.registry import Kind, registry


class Args(BaseModel):
    # Each kind's schema is built when its arguments are first validated: a diagnosis uses few.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class NoArgs(Args):
    pass


class ImageArgs(Args):
    image: str = Field(description="image reference or ID")


class ContainerArgs(Args):
    container: str = Field(description="container name or ID")


class FileInArtifactArgs(Args):
    """Read a file from an image or a container without running it."""

    image: str | None = None
    container: str | None = None
    path: str = Field(description="absolute path inside the image or container")
    pattern: str | None = Field(default=None, description="regular expression to look for")


class GitArgs(Args):
    path: str = Field(description="a directory inside the checkout")
    fetch: bool = Field(default=False, description="fetch the upstream first (network; off by default)")


class ContextArgs(Args):
    context: str = Field(description="the build context directory")
    dockerfile: str = Field(default="Dockerfile", description="path relative to the context")


class DockerignoreArgs(ContextArgs):
    paths: tuple[str, ...] = Field(default=(), description="context-relative paths to test")


class ContextExclusionsArgs(ContextArgs):
    target: str | None = Field(default=None, description="the stage built with --target [default: the last]")
    paths: tuple[str, ...] | str = Field(default=(), description="context-relative paths the image must hold "
                                                                 "(comma- or newline-separated values are split)")
    flavor: str | None = Field(default=None, description="the .dockerignore matcher: docker-20.10 or "
                                                         "patternmatcher [default: that of the build client]")


class DiskUsageArgs(Args):
    min_free: str = Field(default="10%", description="free space below this is low: a size (5GB) or a share "
                                                     "of the filesystem (10%)")
    min_free_inodes: str = Field(default="5%", description="free inodes below this are low: a count or a share")
    cache_budget: str = Field(default="10%", description="the build cache size accepted: a size (20GB) or a "
                                                         "share of the filesystem (10%, BuildKit's default)")
    unused_for: str | None = Field(default=None, description="also measure what `docker builder prune --filter "
                                                             "until=` this duration would free (168h)")
    description: str | None = Field(default=None, description="measure only the build-cache records whose "
                                                               "description matches this regular expression")
    path: str | None = Field(default=None, description="the filesystem to measure [default: the engine's "
                                                       "DockerRootDir, when the engine is on this machine]")
    daemon_config: str | None = Field(default="/etc/docker/daemon.json",
                                      description="the daemon configuration file to read builder.gc from")


class HttpArgs(Args):
    url: str
    method: str = "HEAD"
    expect_status: int | None = None
    header: str | None = Field(default=None, description="a header to report, e.g. Location")
    matches: str | None = Field(default=None, description="regular expression the header must match")
    timeout: float = 5.0


class CommandArgs(Args):
    run: tuple[str, ...] = Field(min_length=1, description="argument list; never a shell string")
    expect_exit: int = 0
    expect_output: str | None = Field(default=None, description="regular expression over stdout+stderr")
    cwd: str | None = None

    @model_validator(mode="after")
    def _no_parameter_in_shell_code(self) -> CommandArgs:
        if parameters_in_shell_code(self.run):
            raise ValueError(f"a {{{{parameter}}}} inside a shell's -c string runs as shell code: {SHELL_CODE_HINT}")
        return self


class ImageVsContextArgs(ContextArgs):
    image: str = Field(description="the tag the person deployed")
    target: str | None = Field(default=None, description="the stage built with --target, if any")
    build: bool = Field(default=True, description="build the context (cached, untagged) to compare image IDs")
    container: str | None = Field(default=None, description="the container that serves the deploy: a change to an "
                                                            "excluded file counts when made after it was created "
                                                            "[default: after the tag was last built]")


class DockerClientArgs(Args):
    docker: str = Field(default="docker", description="the docker CLI the build runs: a name looked up on the "
                                                      "PATH, or a path")
    buildkit: str | None = Field(default=None, description="DOCKER_BUILDKIT as the build sees it ('' = unset) "
                                                           "[default: this environment's]")
    path: str | None = Field(default=None, description="the PATH the build's shell searches [default: this "
                                                       "environment's]")
    docker_config: str | None = Field(default=None, description="DOCKER_CONFIG, the first place the CLI looks "
                                                                "for plugins [default: this environment's]")
    dockerfile: str | None = Field(default=None, description="a Dockerfile to look for BuildKit-only syntax in")


class HostPortArgs(Args):
    port: str | None = Field(default=None, description="the host port, 1-65535 (a param: text) [default: every "
                                                       "port `container` publishes]")
    host_ip: str = Field(default="", description="the host address it is published on ('' or 0.0.0.0: every "
                                                 "IPv4 address)")
    protocol: str = Field(default="tcp", description="tcp or udp")
    container: str | None = Field(default=None, description="the container that cannot start: never counted "
                                                            "as a holder; its bindings are checked")


class MountsArgs(Args):
    container: str = Field(description="container name or ID")
    image: str = Field(description="the image whose files the mounts may hide")


class ContainerImageArgs(Args):
    container: str = Field(description="container name or ID")
    image: str | None = Field(default=None, description="the tag that was rebuilt [default: the container's "
                                                        "own image reference]")


class VolumeShadowingArgs(Args):
    container: str = Field(description="container name or ID")
    image: str | None = Field(default=None, description="the image whose files the mounts may hide [default: the "
                                                        "container's own image reference]")


CheckKind = Kind

CHECK_KINDS: dict[str, CheckKind] = registry(
    CheckKind("engine", NoArgs, "runner.checks.docker:engine",
              "the engine answers: ID, name, version; the client can do BuildKit builds"),
    CheckKind("image", ImageArgs, "runner.checks.docker:image",
              "inspect an image: ID, created, tags, labels"),
    CheckKind("container", ContainerArgs, "runner.checks.docker:container",
              "inspect a container: image ID, mounts, start time, compose labels"),
    CheckKind("mounts", MountsArgs, "runner.checks.docker:mounts",
              "volumes and bind mounts that hide files the image holds"),
    CheckKind("build-cache", NoArgs, "runner.checks.docker:build_cache",
              "build-cache usage by record type"),
    CheckKind("file-in-image", FileInArtifactArgs, "runner.checks.docker:file_in_image",
              "read a file from an image or container without running it"),
    CheckKind("docker-client", DockerClientArgs, "runner.checks.client:docker_client",
              "the docker CLI a build runs: version, buildx plugin, DOCKER_BUILDKIT, what `docker build` does"),
    CheckKind("host-port", HostPortArgs, "runner.checks.ports:host_port",
              "who holds a host port: a running container, or a host process (from /proc)"),
    CheckKind("git", GitArgs, "runner.checks.git:git_state",
              "HEAD, upstream, ahead/behind, uncommitted changes, submodules"),
    CheckKind("dockerignore", DockerignoreArgs, "runner.checks.context:dockerignore",
              ".dockerignore matching with Docker's own semantics"),
    CheckKind("dockerfile", ContextArgs, "runner.checks.context:dockerfile",
              "COPY/ADD sources of each Dockerfile stage"),
    CheckKind("context-exclusions", ContextExclusionsArgs, "runner.checks.exclusions:context_exclusions",
              "COPY/ADD sources and needed files .dockerignore keeps out, told apart from missing ones"),
    CheckKind("disk-usage", DiskUsageArgs, "runner.checks.disk:disk_usage",
              "free space on the engine's disk, the build cache against a budget, BuildKit GC settings"),
    CheckKind("image-vs-context", ImageVsContextArgs, "runner.checks.compare:image_vs_context",
              "does the image hold what the context would build now?",
              ahead="runner.checks.compare:start_ahead"),
    CheckKind("http", HttpArgs, "runner.checks.http:http_probe",
              "HTTP status and headers of a URL"),
    CheckKind("command", CommandArgs, "runner.checks.command:command",
              "run an argument list with a timeout; expect an exit code or output"),
    CheckKind("container-image", ContainerImageArgs, "runner.checks.container_image:container_image",
              "the image a container runs versus the tag that was rebuilt and its own reference"),
    CheckKind("volume-shadowing", VolumeShadowingArgs, "runner.checks.volumes:volume_shadowing",
              "mounts hiding the image's files, by kind: anonymous volume, named volume, bind mount"),
)
