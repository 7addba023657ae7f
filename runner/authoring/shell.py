"""Commands in a write-up's code blocks: which lines are plain commands that `run:` can execute
as an argument list (plain_command), a code block as steps (command_groups), and the effect a
command is guessed to have (effect_of: read, write or destructive)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from runner.authoring.markdown import clip

SHELL_LANGS = {"", "bash", "sh", "shell", "console", "zsh", "terminal", "shell-session", "shellsession", "text"}
_SHELL_BUILTINS = {"cd", "export", "source", ".", "alias", "set", "unset", "exit", "eval", "exec", "pushd",
                   "popd", "ulimit", "umask", "shopt", "read", "trap", "if", "then", "fi", "for", "do", "done",
                   "while", "case", "esac", "function"}
_COMMAND_WORD = re.compile(r"^(?:[a-z][a-z0-9_.+-]*|\.{0,2}/[\w./+-]+)$")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


def plain_command(line: str) -> tuple[list[str], dict[str, str]] | None:
    """A line a shell would run as one command with literal arguments -> (argv, env); else None.

    `run:` executes an argument list without a shell, so anything a shell would expand or
    connect (pipes, `$(...)`, globs, redirections, `&&`) keeps the line a manual step.
    """
    line = line.strip()
    if line.startswith("$ "):
        line = line[2:].strip()
    quote = None
    start_of_word = True
    for ch in line:
        if quote == "'":
            quote = None if ch == "'" else quote
        elif quote == '"':
            if ch in '$`\\':
                return None
            quote = None if ch == '"' else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "|&;<>()$`*?[]{}!\\" or (start_of_word and ch in "~#"):
            return None
        start_of_word = ch.isspace() if quote is None else False
    if quote:
        return None
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    env: dict[str, str] = {}
    while words and (assignment := _ASSIGNMENT.match(words[0])):
        env[assignment.group(1)] = assignment.group(2)
        words.pop(0)
    if not words or not _COMMAND_WORD.match(words[0]) or words[0] in _SHELL_BUILTINS or not all(words):
        return None
    return words, env


def command_groups(code: str, lang: str) -> Iterator[tuple[str, str, list[str] | None, dict[str, str]]]:
    """A code block as steps: (title, code, argv or None, env).

    Shell code is grouped by blank lines and a group's leading comments title it; a group of
    plain commands gives one step per command (argv), anything else one step with its code,
    as written. Code in another language (a Dockerfile, YAML) is one step with its code.
    """
    if lang not in SHELL_LANGS:
        first = next((line for line in code.split("\n") if line.strip()), "")
        title = _uncomment(first) if _is_comment(first) else clip(first.strip(), 80)
        yield title or lang, code.rstrip("\n"), None, {}
        return
    text = re.sub(r"\\\n\s*", " ", code)  # continuation lines are one command
    groups: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            groups[-1].append(line.rstrip())
        elif groups[-1]:
            groups.append([])
    for lines in (g for g in groups if g):
        commands = list(lines)
        comments = []
        while commands and _is_comment(commands[0]):
            comments.append(_uncomment(commands.pop(0)))
        title = " ".join(c for c in comments if c)
        if not commands:  # only comments: an instruction in words
            yield title or "\n".join(lines), "\n".join(lines), None, {}
            continue
        parsed = [plain_command(line) for line in commands]
        if all(p is not None for p in parsed):
            for n, (line, (argv, env)) in enumerate(zip(commands, parsed)):  # type: ignore[misc]
                yield (title if n == 0 and title else line.strip()), line, argv, env
        else:
            yield title or clip(commands[0].strip(), 80), "\n".join(lines), None, {}


def _is_comment(line: str) -> bool:
    return bool(re.match(r"^\s*(#|//)", line))


def _uncomment(line: str) -> str:
    return re.sub(r"^\s*(#+|//)\s?", "", line).strip()


def code_lang(code: str, lang: str) -> str:
    first = next((line.split()[0] for line in code.split("\n") if line.strip() and not _is_comment(line)), "")
    if first in {"FROM", "RUN", "COPY", "ADD", "ARG", "ENV", "WORKDIR", "CMD", "ENTRYPOINT", "EXPOSE", "LABEL",
                 "USER", "VOLUME", "HEALTHCHECK", "SHELL", "STOPSIGNAL", "ONBUILD"}:
        return "dockerfile"
    return lang or "bash"


_DESTRUCTIVE = [("docker", "rm"), ("docker", "rmi"), ("docker", "prune"),
                ("rm",), ("git", "reset", "--hard"), ("git", "clean"), ("kubectl", "delete")]
_READ = {
    "docker": {"ps", "images", "inspect", "logs", "version", "info", "df", "du", "history", "ls", "top", "stats",
               "port", "diff", "events", "config", "search"},
    "git": {"status", "log", "diff", "show", "branch", "remote", "rev-parse", "describe", "blame"},
}
_READ_COMMANDS = {"ls", "cat", "grep", "head", "tail", "less", "df", "du", "ps", "echo", "which", "env",
                  "printenv", "stat", "wc", "diff", "find", "curl", "free", "uname", "id", "whoami", "date"}


def effect_of(argv: list[str]) -> str:
    """read | write | destructive, from the command's words (a guess the warnings point at)."""
    words = argv[1:] if argv[0] == "sudo" and len(argv) > 1 else argv
    tool, rest = words[0].rsplit("/", 1)[-1], set(words[1:])
    for pattern in _DESTRUCTIVE:
        if tool == pattern[0] and all(p in rest for p in pattern[1:]):
            return "destructive"
    if tool == "docker" and ("down" in rest and ({"-v", "--volumes"} & rest)):
        return "destructive"
    if tool in _READ and set([w for w in words[1:] if not w.startswith("-")][:2]) & _READ[tool]:
        return "read"  # `docker ps`, `docker image ls`, `docker system df`, `git log`
    if tool in _READ_COMMANDS and not ({"-X", "--request", "-d", "--data", "-delete", "-exec"} & rest):
        return "read"
    return "write"
