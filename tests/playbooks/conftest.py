"""Fixtures of the end-to-end tests of one playbook each: the shipped catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.playbook.catalogue import load_catalogue

# Not `from dockerlab import PLAYBOOKS`: pytest imports this conftest (an initial one, beside
# the test files named on the command line) before tests/conftest.py's pytest_configure has
# pointed the environment at --engine, and dockerlab fixes its ENGINE, client and Compose when
# first imported: the tests would drive the 26.1 engines with 20.10's client and Compose v1.
PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


@pytest.fixture(scope="module")
def catalogue():
    # dockerlab is imported here, not at the top: this conftest loads before tests/conftest.py's
    # pytest_configure points the environment at --engine, and dockerlab reads its engine once.
    from dockerlab import PLAYBOOKS

    return load_catalogue(PLAYBOOKS)
