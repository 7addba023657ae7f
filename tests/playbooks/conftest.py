"""Fixtures of the end-to-end tests of one playbook each: the shipped catalogue."""

from __future__ import annotations

import pytest

from dockerlab import PLAYBOOKS
from runner.playbook.catalogue import load_catalogue


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(PLAYBOOKS)
