"""What stops a lab: the whole run (LabError) or one experiment (StepFailed)."""

from __future__ import annotations

from runner.errors import RunnerError


class LabError(RunnerError):
    """A lab cannot run at all: no lab section, no busybox, no BuildKit client."""


class StepFailed(Exception):
    """A step did not do what it must (a command's exit code, a missing file): the
    experiment cannot decide anything."""
