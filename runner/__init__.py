"""Troubleshooting knowledge base with runnable playbooks."""

import os

from runner.lazy import defer

__version__ = "0.1.0"

defer("paramiko")  # docker-py imports it for a transport the runner does not use (runner/lazy.py)
# pydantic looks for plugins (entry points of every installed package) when it builds its first
# validator, and imports importlib.metadata for it at that moment: ~20 ms of a diagnosis. The
# runner uses no pydantic plugin; PYDANTIC_DISABLE_PLUGINS is pydantic's documented switch (set
# it empty to have them), and the import waits until something asks importlib.metadata for more.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
defer("importlib.metadata", forwarded=("entry_points",))
