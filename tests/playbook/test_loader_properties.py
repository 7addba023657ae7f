"""Property tests: whatever a file holds, loading it gives a valid Playbook or a PlaybookError
whose every problem is one line `path:line:col: ...`; never another exception, never a hang.

Inputs: random text and bytes, YAML token soup, random data dumped as YAML (generic and
playbook-shaped), and random mutations of valid playbooks (the examples and the shipped
playbooks): a key deleted or renamed, a value replaced by one of another type, a list item
duplicated, the text truncated, a line deleted or duplicated.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import runner.playbook.model as model
from runner.errors import PlaybookError
from runner.playbook.loader import load_file, parse_yaml
from runner.playbook.model import Playbook

ROOT = Path(__file__).resolve().parents[2]
BASES = sorted((ROOT / "tests/examples/valid").glob("*.yaml")) + sorted((ROOT / "playbooks").glob("*.yaml"))
PROBLEM_LINE = re.compile(r"^(?P<path>.+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): \S")
SLOW = 5.0  # seconds one load may take before it counts as a hang

# Derandomized and database-less: the same examples on every run, in CI and locally.
COMMON = dict(derandomize=True, database=None, deadline=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much, HealthCheck.large_base_example])

_WORKDIR = Path(tempfile.gettempdir())  # replaced by a fresh folder for the module's tests


@pytest.fixture(scope="module", autouse=True)
def _workdir() -> Iterator[None]:
    """One folder for the module (hypothesis reruns a test many times within one fixture call)."""
    global _WORKDIR
    _WORKDIR = Path(tempfile.mkdtemp(prefix="runner-properties-"))
    yield
    shutil.rmtree(_WORKDIR, ignore_errors=True)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # only the tests' dumping; speed


def dump(document: Any, **options: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, **options)


@functools.cache
def _parsed(base: Path) -> Any:
    return parse_yaml(base.read_text(encoding="utf-8"))[0]  # keys as written: `on:` stays "on"


def load_outcome(path: Path) -> Playbook | PlaybookError:
    """Load `path`; a Playbook or a clean PlaybookError. Any other exception escapes (a bug)."""
    start = time.monotonic()
    try:
        result: Playbook | PlaybookError = load_file(path)
    except PlaybookError as exc:
        result = exc
    elapsed = time.monotonic() - start
    assert elapsed < SLOW, f"loading took {elapsed:.1f}s"
    if isinstance(result, Playbook):
        assert result.id == path.stem
        return result
    assert result.problems, "a PlaybookError without problems"
    for problem in result.problems:
        assert problem.path == path
        assert isinstance(problem.line, int) and problem.line >= 1, problem
        assert isinstance(problem.column, int) and problem.column >= 1, problem
        text = str(problem)
        assert "\n" not in text and "\r" not in text, text
        match = PROBLEM_LINE.match(text)
        assert match and match["path"] == str(path), text
        assert "Traceback" not in text
    return result


def write(name: str, content: str | bytes) -> Path:
    path = _WORKDIR / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


# --- strategies ---------------------------------------------------------------------------


def _field_names() -> list[str]:
    names: set[str] = set()
    for value in vars(model).values():
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == model.__name__:
            names.update(f.alias or n for n, f in value.model_fields.items())
    return sorted(names)


FIELD_NAMES = _field_names()
VOCABULARY = FIELD_NAMES + ["ko", "en", "buildkit-stale", "engine", "image", "{{image}}", "pass", "fail",
                            "destructive", "write", "read", "fails", "docker", "high", "2024-01-01", "<<"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.sampled_from(VOCABULARY), st.dates(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12), st.integers(-5, 5), st.booleans())
data = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=12,
)
documents = st.one_of(data, st.dictionaries(keys, data, max_size=8))

text_tokens = st.sampled_from([
    "- ", ": ", ":", "? ", "&a ", "*a ", "&b ", "*b", "<<: ", "<<: *a\n", "!!python/object/apply:os.system ",
    "!!str ", "!!int ", "!!float ", "!!binary ", "!!timestamp ", "!!set ", "!!map ", "!foo ", "%YAML 1.1\n",
    "[", "]", "{", "}", ", ", "'", '"', "\\", "#", "\n", "\r\n", "  ", "    ", "\t", "---\n", "...\n",
    "|\n", ">-\n", "id", "title", "summary", "symptoms", "text", "ko", "en", "on", "yes", "null", "~",
    "checks", "kind", "args", "fixes", "steps", "run", "effect", "when", "not", "all", "any",
    "buildkit-stale", "x", "0", "1.5", "2024-01-01", "é", "한", "\x00", "\x07", "\ufeff", "\u2028", "{{image}}",
])
token_soup = st.lists(text_tokens, max_size=40).map("".join)


def _node_paths(value: Any, at: tuple = ()) -> Iterator[tuple]:
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _node_paths(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _node_paths(item, (*at, i))


def _get(value: Any, path: tuple) -> Any:
    for part in path:
        value = value[part]
    return value


def _other_type(value: Any) -> st.SearchStrategy:
    """A random value whose type differs from `value`'s."""
    options = {
        str: st.text(max_size=10), int: st.integers(), float: st.floats(), bool: st.booleans(),
        type(None): st.none(), list: st.lists(scalars, max_size=3),
        dict: st.dictionaries(st.text(max_size=5), scalars, max_size=3), dt.date: st.dates(),
    }
    return st.one_of([s for t, s in options.items() if type(value) is not t])


@st.composite
def mutated_playbooks(draw: st.DrawFn) -> tuple[str, str]:
    """(file name, YAML text): one valid playbook, mutated once."""
    base = draw(st.sampled_from(BASES))
    text = base.read_text(encoding="utf-8")
    operation = draw(st.sampled_from(["delete", "rename", "retype", "duplicate", "truncate",
                                      "drop-line", "repeat-line"]))
    if operation == "truncate":
        return base.name, text[: draw(st.integers(0, len(text)))]
    if operation in ("drop-line", "repeat-line"):
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        lines[i:i + 1] = [] if operation == "drop-line" else [lines[i], lines[i]]
        return base.name, "".join(lines)
    document = copy.deepcopy(_parsed(base))
    paths = list(_node_paths(document))
    if operation == "delete":
        path = draw(st.sampled_from([p for p in paths if p]))
        parent = _get(document, path[:-1])
        del parent[path[-1]]
    elif operation == "rename":
        candidates = [p for p in paths if p and isinstance(p[-1], str)]
        path = draw(st.sampled_from(candidates))
        parent = _get(document, path[:-1])
        new_key = draw(st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=12),
                                 st.just(path[-1][:-1] or "x"), st.just(path[-1] + "s")))
        parent[new_key] = parent.pop(path[-1])
    elif operation == "retype":
        path = draw(st.sampled_from(paths))
        replacement = draw(_other_type(_get(document, path)))
        if path:
            _get(document, path[:-1])[path[-1]] = replacement
        else:
            document = replacement
    else:  # duplicate a list item
        lists = [p for p in paths if isinstance(_get(document, p), list) and _get(document, p)]
        path = draw(st.sampled_from(lists))
        items = _get(document, path)
        i = draw(st.integers(0, len(items) - 1))
        items.insert(i, items[i])
    return base.name, dump(document, allow_unicode=draw(st.booleans()), sort_keys=False,
                           default_flow_style=draw(st.sampled_from([False, None, True])))


# --- properties ---------------------------------------------------------------------------


@pytest.mark.timeout(60)
@settings(max_examples=300, **COMMON)
@given(st.text(max_size=300))
def test_random_text(text: str):
    load_outcome(write("random.yaml", text))


@pytest.mark.timeout(60)
@settings(max_examples=200, **COMMON)
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes):
    load_outcome(write("random.yaml", raw))


@pytest.mark.timeout(60)
@settings(max_examples=400, **COMMON)
@given(token_soup)
def test_yaml_token_soup(text: str):
    load_outcome(write("random.yaml", text))


@pytest.mark.timeout(60)
@settings(max_examples=200, **COMMON)
@given(documents, st.sampled_from([False, None, True]), st.booleans())
def test_random_data_dumped_as_yaml(document: Any, flow: bool | None, unicode: bool):
    text = dump(document, default_flow_style=flow, allow_unicode=unicode)
    load_outcome(write("random.yaml", text))


@pytest.mark.timeout(60)
@settings(max_examples=150, **COMMON)
@given(st.fixed_dictionaries(
    {"id": st.one_of(st.just("shaped"), st.text(max_size=10))},
    optional={name: data for name in sorted(Playbook.model_fields) if name != "id"},
))
def test_playbook_shaped_data(document: dict):
    load_outcome(write("shaped.yaml", dump(document, allow_unicode=True)))


@pytest.mark.timeout(90)
@settings(max_examples=200, **COMMON)
@given(mutated_playbooks())
def test_mutated_playbooks(case: tuple[str, str]):
    name, text = case
    load_outcome(write(name, text))


@pytest.mark.parametrize("base", BASES, ids=lambda p: p.name)
def test_the_mutation_bases_are_valid(base: Path):
    """The mutations start from valid playbooks (otherwise they would prove little)."""
    assert isinstance(load_outcome(write(base.name, base.read_text(encoding="utf-8"))), Playbook)


@pytest.mark.timeout(60)
@settings(max_examples=40, **COMMON)
@given(st.one_of(token_soup, mutated_playbooks().map(lambda case: case[1])))
def test_validate_command_never_crashes(text: str):
    """Through the CLI too: exit 0 or 3 and problems on stderr, never an internal error."""
    from runner.cli import cli

    folder = _WORKDIR / "cli"
    folder.mkdir(exist_ok=True)
    (folder / "case.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code in (0, 3), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
