"""The `runner` command's entry point. A call the resident runner can take (runner/resident)
goes there before the runner is imported; any other runs here, and a `diagnose` that ran here
starts a resident for the calls after it."""

from __future__ import annotations

import sys


def run() -> None:
    from runner.resident.client import resident_for, served, spawn

    path = resident_for(sys.argv[1:])
    if path is not None:
        code = served(path)
        if code is not None:
            sys.exit(code)
    from runner.cli import run as run_here

    run_here(after=(lambda: spawn(path)) if path is not None else None)
