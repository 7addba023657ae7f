"""Fixtures of the end-to-end tests of one playbook each: the shipped catalogue."""

from __future__ import annotations

import pytest

from runner.playbook.catalogue import load_catalogue


@pytest.fixture(scope="module")
def catalogue():
    # dockerlab is imported here, not at the top: this conftest loads before tests/conftest.py's
    # pytest_configure points the environment at --engine, and dockerlab reads its engine once.
    from dockerlab import PLAYBOOKS

    return load_catalogue(PLAYBOOKS)
