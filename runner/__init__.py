"""Troubleshooting knowledge base with runnable playbooks."""

import os

from runner.lazy import defer

__version__ = "0.1.0"

defer("paramiko")  # docker-py imports it for a transport the runner does not use (runner/lazy.py)
# importlib.metadata (~10 ms) is imported by pydantic when it builds its first validator, to look
# for plugins (entry points of every installed package), and by urllib3 (the docker SDK's HTTP)
# for a function it calls only to turn HTTP/2 on. The runner uses no pydantic plugin:
# PYDANTIC_DISABLE_PLUGINS is pydantic's documented switch (set it empty to have them); and the
# import waits until something calls those functions or asks importlib.metadata for more.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
defer("importlib.metadata", forwarded=("entry_points", "version"))
