"""Registries of kinds (check kinds, fix actions): a name, its arguments model, and the
function that implements it, named as "module:function" and imported on first use.

The loader, the schema and `runner --help` read the registries; naming the implementation
instead of importing it keeps them from paying for what a kind runs (the docker SDK).
tests/test_registry.py resolves every entry, so a misspelt name fails a test, not a run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI reads this module on every command: pydantic is ~80 ms
    from pydantic import BaseModel


@dataclass(frozen=True)
class Kind:
    name: str
    args: type[BaseModel]
    impl: str  # "module:function"
    summary: str
    # "module:function" started with the same arguments before anything else runs, its result
    # handed to the implementation (a check's slow engine work, begun early); None: nothing.
    ahead: str | None = None
    summary_ko: str = ""  # the summary for Korean readers (the site's Korean pages)

    def implementation(self) -> Callable[..., Any]:
        return resolve(self.impl)


def resolve(target: str) -> Any:
    """The attribute a "module:attribute" string names, its module imported."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def registry(*kinds: Kind) -> dict[str, Kind]:
    return {kind.name: kind for kind in kinds}
