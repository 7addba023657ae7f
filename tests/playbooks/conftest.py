"""Fixtures of the end-to-end tests of one playbook each: the shipped catalogue."""

from __future__ import annotations

import pytest

from runner.playbook.catalogue import load_catalogue


@pytest.fixture(scope="module")
def catalogue():
    # dockerlab is imported here, not at the top: pytest loads this conftest before
    # tests/conftest.py's pytest_configure sets the engine of `--engine` when a test file of
    # this folder is named on the command line, and dockerlab picks its engine at import.
    from dockerlab import PLAYBOOKS

    return load_catalogue(PLAYBOOKS)
