"""The build context as BuildKit sees it: which files a build sends, and where its Dockerfile's
COPY/ADD put them.

Pure code: reads files, never talks to an engine. Ports, each module citing what it follows:

* `gopath`: Go's path rules (`path.Clean`, `filepath.Match`) and BuildKit's wildcard test;
* `dockerignore`: reading and matching a `.dockerignore`, in the two generations of the matcher
  a build client applies (docker 20.10's moby pkg/fileutils, and moby/patternmatcher);
* `walk`: which context files reach the builder (tonistiigi/fsutil's walker);
* `dockerfile`: BuildKit's Dockerfile parser (stages, COPY/ADD with their flags and heredocs);
* `copies`: where COPY/ADD puts context files, followed through the stages a build runs.

The exceptions, here: what a build would also fail on (a context, `.dockerignore` or
Dockerfile it cannot read).

Verified on Docker 20.10: `*.ts` matches at the context root only, `**/*.ts` everywhere;
excluding a whole copied folder fails the build with `"/server" not found`.
"""

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
