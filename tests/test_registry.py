"""Every registry entry resolves to what it names (runner/registry.py): the check kinds, the
fix actions and the CLI's commands. A misspelt "module:function" fails here, not as exit 70
in a user's run. (The lab's step kinds are functions in a dict: tests/lab/test_steps.py.)"""

from __future__ import annotations

import inspect

import click
import pytest
from pydantic import BaseModel

from runner.checks.kinds import CHECK_KINDS
from runner.cli import COMMANDS
from runner.fix.actions import ACTIONS
from runner.registry import Kind, registry, resolve

KINDS = [(f"check kind {name}", kind) for name, kind in CHECK_KINDS.items()] + \
        [(f"action {name}", kind) for name, kind in ACTIONS.items()]


@pytest.mark.parametrize("what, kind", KINDS, ids=[what for what, _ in KINDS])
def test_every_kind_resolves_to_a_function_of_its_arguments(what, kind):
    function = kind.implementation()
    parameters = list(inspect.signature(function).parameters.values())
    assert [p.name for p in parameters] == ["args", "ctx"], what
    # The annotation names the kind's own arguments model: a registry line pointing at the
    # wrong function of the right module fails here.
    assert parameters[0].annotation in (kind.args, kind.args.__name__), what
    assert kind.summary.strip(), what
    if getattr(kind, "ahead", None):  # started before the checks it waits for, with the same arguments
        started_ahead = [p.name for p in inspect.signature(resolve(kind.ahead)).parameters.values()]
        assert started_ahead == ["args", "ctx"], what


@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_action_is_summarised_for_korean_readers_too(name):
    """The site's Korean pages name what a fix's runner action does in Korean."""
    summary = ACTIONS[name].summary_ko
    assert summary.strip() and any("\uac00" <= ch <= "\ud7a3" for ch in summary), name


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_resolves_to_a_click_command(name):
    assert isinstance(resolve(COMMANDS[name][0]), click.Command)


def test_resolve_names_the_missing_part():
    with pytest.raises(ModuleNotFoundError, match="runner.no_such_module"):
        resolve("runner.no_such_module:f")
    with pytest.raises(AttributeError, match="no_such_function"):
        resolve("runner.registry:no_such_function")


def test_a_registry_is_keyed_by_name():
    class NoArgs(BaseModel):
        pass

    one = Kind("one", NoArgs, "runner.registry:resolve", "resolves")
    assert registry(one) == {"one": one} and one.implementation() is resolve
