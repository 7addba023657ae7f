"""Imports deferred until first use.

docker-py imports paramiko whenever it is installed (docker/transport/sshconn.py): ~150 ms of
every command that talks to an engine, for docker-py's own ssh transport, which the runner never
uses (ssh:// engines go through the ssh client, use_ssh_client=True). `defer` puts a stand-in
module in its place: `import paramiko` costs nothing, and the first attribute anyone reads of it
imports the real one, which from then on is what `sys.modules` holds.

(importlib.util.LazyLoader does not do here: the import system reads `__spec__` of a module it
finds in sys.modules, and a LazyLoader module loads on any attribute read.)
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types


def defer(name: str, forwarded: tuple[str, ...] = ()) -> None:
    """`name` imported on first use. forwarded: functions that `from name import f` may take
    without importing it: each imports the real module when it is called."""
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return
    if spec is None:
        return
    stand_in = types.ModuleType(name, f"{name}, imported on first use (runner/lazy.py)")
    stand_in.__spec__ = spec
    if spec.submodule_search_locations is not None:  # a package: `from pkg import x` reads __path__
        stand_in.__path__ = list(spec.submodule_search_locations)

    def load(attribute: str) -> object:  # PEP 562: called only for what the stand-in lacks
        real = sys.modules.get(name)
        if real is stand_in or real is None:
            del sys.modules[name]
            real = importlib.import_module(name)
        return getattr(real, attribute)

    stand_in.__getattr__ = load  # type: ignore[method-assign]
    for function in forwarded:
        stand_in.__dict__[function] = _forwarder(load, function)
    sys.modules[name] = stand_in


def _forwarder(load, function: str):  # noqa: ANN001, ANN202
    def forward(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        return load(function)(*args, **kwargs)

    forward.__name__ = function
    return forward
