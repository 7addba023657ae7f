"""The command line: a thin boundary. Parse, call one library function, map errors to exit codes.

Subcommands are imported only when invoked so that `runner --help` stays fast; the table
below carries their one-line help.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import click

from runner import __version__, exitcodes

# name -> ("module:attribute", one-line help shown by `runner --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("runner.commands.catalogue:list_command", "List the playbooks, with tags and severity."),
    "show": ("runner.commands.catalogue:show_command", "Show a whole playbook in the terminal."),
    "validate": ("runner.commands.catalogue:validate_command", "Validate playbook files; report file:line:col."),
    "schema": ("runner.commands.catalogue:schema_command", "Print or write the playbook JSON Schema."),
    "diagnose": ("runner.commands.diagnose:diagnose_command",
                 "Run a playbook's read-only checks and name the cause."),
    "fix": ("runner.commands.fix:fix_command", "Apply the fix for the diagnosed cause, with consent."),
    "lab": ("runner.commands.lab:lab_command", "Replay a playbook's reproduction on a real engine."),
    "site": ("runner.commands.site:site_group", "Export the knowledge base as Markdown pages."),
    "triage": ("runner.commands.triage:triage_command", "Rank playbooks by the symptoms in a log."),
    "search": ("runner.commands.triage:search_command", "Find playbooks by words, in Korean or English."),
    "import": ("runner.commands.authoring:import_command", "Convert a Markdown write-up into a playbook."),
    "new": ("runner.commands.authoring:new_command", "Write a commented skeleton playbook."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from runner.registry import resolve

        return resolve(COMMANDS[name][0]) if name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


EPILOG = """\b
Examples:
  runner list
  runner show buildkit-stale --lang en
  runner diagnose buildkit-stale --param image=app:staging --param context=. --param container=app
  runner validate playbooks

\b
Exit codes: 0 ok, 1 problem found (or not resolved), 2 could not run
(or usage error), 3 invalid playbook, 4 fix not applied (no consent),
5 fix step failed, 6 lab verdict differs, 70 internal error, 130 interrupted.
"""


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--playbooks", "playbooks_dir", envvar="RUNNER_PLAYBOOKS", metavar="DIR",
              type=click.Path(file_okay=False), help="Folder of playbooks [env RUNNER_PLAYBOOKS; "
              "default ./playbooks, else the one shipped with the runner].")
@click.version_option(__version__, prog_name="runner")
@click.pass_context
def cli(ctx: click.Context, playbooks_dir: str | None) -> None:
    """Troubleshooting knowledge base with runnable playbooks.

    Each playbook is one YAML file: symptoms, causes and how to recognise them, wrong
    attempts, fixes, prevention and lessons. The runner reads them, checks a live system
    for the cause, and applies the fix with your consent.
    """
    ctx.obj = {"playbooks_dir": playbooks_dir}


def main() -> None:
    from runner.errors import PlaybookError, RunnerError

    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(exitcodes.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(exitcodes.INTERRUPTED)
    except PlaybookError as exc:
        click.echo(str(exc), err=True)
        sys.exit(exitcodes.INVALID_PLAYBOOK)
    except RunnerError as exc:
        click.echo(f"runner: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", exitcodes.CANNOT))
    except BrokenPipeError:
        # `runner list | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(exitcodes.OK)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into a report
        lost = _engine_connection_lost(exc)
        if lost:
            click.echo(f"runner: the Docker Engine stopped answering mid-command ({lost}); "
                       "nothing more was done", err=True)
            sys.exit(exitcodes.CANNOT)
        import traceback

        traceback.print_exc()
        click.echo("runner: internal error (a bug): please report it with the traceback above", err=True)
        sys.exit(exitcodes.INTERNAL)
    sys.exit(code if isinstance(code, int) else exitcodes.OK)


def run(after: Callable[[], None] | None = None) -> None:
    """The command: main(), then out without Python's module teardown when nothing else runs.
    Unloading pydantic, the docker SDK and rich costs ~0.12 s of every command, and no module of
    ours needs it: the output is flushed and the exit handlers (temporary folders' finalizers
    among them) run first. With another thread still running, the normal exit waits for it as
    always. after: called once the output is out (runner/launch.py starts a resident there)."""
    import atexit
    import threading

    try:
        main()
        code = exitcodes.OK
    except SystemExit as exc:
        code = exc.code
    if not isinstance(code, int):
        if code is not None:
            click.echo(str(code), err=True)
        code = exitcodes.OK if code is None else 1
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()  # noqa: SLF001 - what Python's own exit runs before the teardown skipped here
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that left (`runner list | head`), a closed stream
            pass
    if after is not None:
        after()
    os._exit(code)


def _engine_connection_lost(exc: BaseException) -> str:
    """The connection error's words when `exc` is the engine's socket or connection going away
    (a daemon restarted or stopped while a command ran), else ''. Checked by class name: the
    transport libraries are imported only by commands that talk to an engine."""
    names = {cls.__module__.split(".")[0] + "." + cls.__name__ for cls in type(exc).__mro__}
    if not names & {"requests.ConnectionError", "urllib3.ProtocolError"}:
        return ""
    return str(exc.args[0] if exc.args else exc)[:200]
