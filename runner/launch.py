"""The `runner` command's entry point. A call the resident runner can take (runner/resident)
goes there before the runner is imported; any other runs here, and a `diagnose` that ran here
starts a resident for the calls after it."""

from __future__ import annotations

import sys


def run() -> None:
    try:
        _run()
    except KeyboardInterrupt:  # Ctrl-C while the runner imports, before a command handles it: nothing ran
        from runner import exitcodes

        print("interrupted", file=sys.stderr)
        sys.exit(exitcodes.INTERRUPTED)


def _run() -> None:
    from runner.resident import wanted

    if wanted(sys.argv[1:]):  # by the words alone: other commands import nothing more here
        from runner.resident.client import resident_for, served, spawn

        path = resident_for(sys.argv[1:])
        if path is not None:
            code = served(path)
            if code is not None:
                sys.exit(code)
            _run_here(after=lambda: spawn(path))
            return
    _run_here()


def _run_here(after=None) -> None:  # noqa: ANN001 - a callable, run once the output is out
    from runner.cli import run as run_cli

    run_cli(after=after)
