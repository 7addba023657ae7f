"""What a build would also fail on: a context, `.dockerignore` or Dockerfile it cannot read."""

from __future__ import annotations


class ContextError(Exception):
    """The context, its .dockerignore or its Dockerfile cannot be read as a build would."""


class BadPattern(ContextError):
    """A pattern Go's filepath.Match or regexp rejects (the build would fail the same way)."""


class DockerfileError(ContextError):
    pass


class OutsideContext(ContextError, ValueError):
    """A path that leaves the context (`../x`): the old builder refuses it, BuildKit reads
    it from the context root. Still a ValueError for callers that check paths."""
