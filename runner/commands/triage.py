"""`runner triage` and `runner search`: from what a person has in hand to the right playbook."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from runner import exitcodes
from runner.commands.options import json_option, lang_option

TEXT_LIMIT = 5  # playbooks shown as text unless --limit says otherwise; JSON gets them all

limit_option = click.option(
    "--limit", "-n", type=click.IntRange(min=1), default=None, metavar="N",
    help=f"Show at most N playbooks [default: {TEXT_LIMIT} as text, all as JSON].")


def _stdin_is_terminal() -> bool:
    return sys.stdin is None or sys.stdin.isatty()


MAX_BYTES = 64 * 1024 * 1024  # a CI log is a few MB; `yes | runner triage` must end
CHUNK = 1024 * 1024


def _read_log(source: Path | None, max_bytes: int) -> str:
    """The log, at most `max_bytes` of it: reading stops there, or at Ctrl-C on a stream that
    never ends (`docker compose up | runner triage`), and what came so far is triaged."""
    from runner.errors import RunnerError

    if source is None or str(source) == "-":
        if source is None and _stdin_is_terminal():
            raise click.UsageError("give a FILE, or pipe the log in: docker build --progress=plain . 2>&1 | "
                                   "runner triage")
        stream, name = sys.stdin.buffer, "standard input"
    else:
        try:
            stream, name = open(source, "rb"), str(source)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise RunnerError(f"cannot read {source}: {exc.strerror or exc}") from None
    chunks: list[bytes] = []
    size, why = 0, None
    try:
        while size < max_bytes:
            chunk = stream.read1(min(CHUNK, max_bytes - size))  # what is there: a Ctrl-C loses nothing
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        else:
            if stream.read(1):
                why = f"stopped reading {name} after {max_bytes:,} bytes (--max-bytes): triaged what came"
    except KeyboardInterrupt:
        why = f"interrupted: triaged the {size:,} bytes of {name} read so far"
    except OSError as exc:
        raise RunnerError(f"cannot read {name}: {exc.strerror or exc}") from None
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if why:
        click.echo(why, err=True)
    # Logs carry stray bytes (progress bars, binary output): never refuse one for that.
    return b"".join(chunks).decode("utf-8", errors="replace")


@click.command("triage")
@click.argument("source", required=False, metavar="[FILE | -]",
                type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@limit_option
@click.option("--max-bytes", type=click.IntRange(min=1), default=MAX_BYTES, show_default=True,
              help="Read at most this much of the log (then say so and triage what came).")
@json_option
@lang_option
@click.pass_obj
def triage_command(obj: dict, source: Path | None, limit: int | None, max_bytes: int, as_json: bool,
                   lang: str) -> None:
    """Rank playbooks by the symptoms a log shows.

    Reads a log or a pasted error from FILE, or from standard input (`-`, or no FILE when
    something is piped in): a `docker build --progress=plain` log, `docker compose up`
    output, a CI log. Each playbook's symptoms carry signatures, regular expressions matched
    line by line. A playbook ranks higher the more distinct symptoms the log shows; more lines
    of the same symptom add little. For each match you see the lines and the symptom each
    stands for; then `runner show ID` or `runner diagnose ID`. Reading stops after
    --max-bytes, or at Ctrl-C on a stream that never ends; what came so far is triaged.

    \b
    Examples:
      docker build --progress=plain -t app . 2>&1 | runner triage
      docker compose up 2>&1 | tail -n 200 | runner triage -
      runner triage build.log --lang ko
      runner triage ci.log --json | jq -r '.matches[0].id'

    \b
    JSON: {"matches": [{"id", "score",
             "symptoms": [{"id", "index", "text": {"ko", "en"}, "lines"}],
             "lines": [{"line", "text", "symptom", "signature"}]}]}, best first.
    Exit 0 when a playbook matches, 1 when none does.
    """
    from runner.playbook.catalogue import (  # pydantic: not for --help
        load_catalogue,
        playbook_dir,
    )
    from runner.triage.index import TriageIndex

    text = _read_log(source, max_bytes)
    playbooks = load_catalogue(playbook_dir(obj["playbooks_dir"]))
    matches = TriageIndex(playbooks).scan(text)
    shown = matches[: limit or (len(matches) if as_json else TEXT_LIMIT)]
    if as_json:
        click.echo(json.dumps({"matches": [m.to_json() for m in shown]}, ensure_ascii=False, indent=2))
    elif shown:
        _print_triage(shown, lang, len(matches))
    if not matches:
        signatures = sum(len(s.signatures) for p in playbooks for s in p.symptoms)
        click.echo(f"no playbook matches: none of the {signatures} signatures of {len(playbooks)} playbook(s) "
                   "appears in the text (try `runner search WORDS`)", err=True)
        sys.exit(exitcodes.PROBLEM)


def _print_triage(matches: list, lang: str, total: int) -> None:
    from runner.playbook.model import localize
    from runner.present.terminal import plain

    for rank, match in enumerate(matches, start=1):
        title = plain(localize(match.playbook.title, lang))
        click.echo(f"{rank}. {click.style(match.id, bold=True)}  {title}  (score {match.score})")
        for symptom in match.symptoms:
            lines = "line" if symptom.lines == 1 else "lines"
            click.echo(f"   {click.style(symptom.key, fg='yellow')}: {plain(localize(symptom.text, lang))} "
                       f"({symptom.lines} {lines})")
            for line in (m for m in match.lines if m.symptom == symptom.key):
                # the log's own line: its colour codes and cursor moves stay out of the terminal
                click.echo(f"     {click.style(str(line.number).rjust(6), dim=True)}  {plain(line.text)}")
    if total > len(matches):
        click.echo(f"... and {total - len(matches)} more (--limit N)")
    click.echo(f"next: runner show {matches[0].id}   runner diagnose {matches[0].id} --param ...", err=True)


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@limit_option
@json_option
@lang_option
@click.pass_obj
def search_command(obj: dict, query: tuple[str, ...], limit: int | None, as_json: bool, lang: str) -> None:
    """Find playbooks by words, in Korean or English.

    Every word must occur in the playbook: in its title, summary, symptoms, causes, the
    reported root cause, wrong attempts, fixes, prevention, lessons or tags, in either
    language. Latin words match at the start of a word and ignore case (`cache` finds
    CACHED); Korean words match inside compounds and without their particle (`캐시` finds
    빌드캐시, `캐시를` finds 캐시). A title counts more than a lesson; --lang picks the language
    of titles and snippets.

    \b
    Examples:
      runner search BuildKit cache
      runner search 빌드 캐시
      runner search "port is already allocated"
      runner search --json builder prune

    \b
    JSON: {"matches": [{"id", "score",
             "symptoms": [{"id", "index", "text": {"ko", "en"}}],
             "lines": [{"field", "text", "lang", "symptom"}]}]}, best first.
    Exit 0 when a playbook matches, 1 when none does.
    """
    from runner.playbook.catalogue import load_catalogue, playbook_dir
    from runner.triage.search import search

    words = " ".join(query)
    playbooks = load_catalogue(playbook_dir(obj["playbooks_dir"]))
    matches = search(playbooks, words, lang)  # type: ignore[arg-type]
    shown = matches[: limit or (len(matches) if as_json else TEXT_LIMIT)]
    if as_json:
        click.echo(json.dumps({"matches": [m.to_json() for m in shown]}, ensure_ascii=False, indent=2))
    elif shown:
        from runner.playbook.model import localize
        from runner.present.terminal import plain

        for rank, match in enumerate(shown, start=1):
            title = plain(localize(match.playbook.title, lang))
            click.echo(f"{rank}. {click.style(match.id, bold=True)}  {title}  (score {match.score})")
            for snippet in match.lines:
                click.echo(f"   {click.style(snippet.field, dim=True)}: {plain(snippet.text)}")
        if len(matches) > len(shown):
            click.echo(f"... and {len(matches) - len(shown)} more (--limit N)")
    if not matches:
        click.echo(f"no playbook matches {words!r} (every word must occur in the playbook)", err=True)
        sys.exit(exitcodes.PROBLEM)
