"""Troubleshooting knowledge base with runnable playbooks."""

__version__ = "0.1.0"
