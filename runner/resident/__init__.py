"""The resident runner: a process that keeps the runner imported, so that `runner diagnose` does
not import it again on every call.

Importing the docker SDK, pydantic, the models and the checks takes ~0.17 s of CPU, about half of
what a diagnosis of a 3,000-file project costs the runner, and on a 2-CPU server it is CPU taken
from the cached build the diagnosis waits for. After a diagnosis has run the usual way, the
runner starts a resident process in the background (a new session, no terminal), which imports
everything once. The next `runner diagnose` of the same user with the same code and Python
connects to it and hands over its argument list, environment, working folder, umask and its
standard input, output and error (the descriptors themselves): the resident forks a child that
takes them on and runs the command exactly as the runner would have, while the caller forwards
Ctrl-C, SIGTERM and SIGHUP to it and exits with its exit status. A caller killed outright ends its
child too. The child is a fresh fork for each call: nothing of one diagnosis carries over into
another.

A resident serves only `diagnose`: it only reads and prompts for nothing; and not when the
engine is reached through ssh, which may want to ask at the terminal (a resident's child has
none). It is keyed by the
runner's code on disk, the Python and its installed packages, and the environment Python reads
at start-up (PYTHON*, LANG, LC_*): any change is a new resident; the old one exits when its code
changed or after IDLE_SECONDS without a call. Its socket lives in a folder only the user may
enter ($RUNNER_RESIDENT_DIR, else $XDG_RUNTIME_DIR/runner, else <tmp>/runner-resident-<uid>),
and it serves only its own
user. RUNNER_RESIDENT=0 turns it off: every call then runs in its own process, as the first does.
"""

from __future__ import annotations

ENV_SWITCH = "RUNNER_RESIDENT"
ENV_FOLDER = "RUNNER_RESIDENT_DIR"  # where the sockets live, instead of the runtime folder
IDLE_SECONDS = 600
COMMANDS = frozenset({"diagnose"})
# The root group's options that take a value (runner/cli.py): the command name comes after it.
_VALUED = {"--playbooks"}


def wanted(argv: list[str]) -> bool:
    """Whether a resident may run `runner ARGV` at all, by its words alone: every command
    starts here, and only these go on to import the socket and the rest (runner/launch.py)."""
    command, rest = command_of(argv)
    return command in COMMANDS and "--profile" not in rest


def command_of(argv: list[str]) -> tuple[str | None, list[str]]:
    """(the subcommand of `runner ARGV`, the arguments after it)."""
    skip = False
    for index, word in enumerate(argv):
        if skip:
            skip = False
        elif word in _VALUED:
            skip = True
        elif not word.startswith("-"):
            return word, argv[index + 1:]
        elif word == "--":
            break
    return None, []
