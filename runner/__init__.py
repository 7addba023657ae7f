"""Troubleshooting knowledge base with runnable playbooks."""

from runner.lazy import defer

__version__ = "0.1.0"

defer("paramiko")  # docker-py imports it for a transport the runner does not use (runner/lazy.py)
