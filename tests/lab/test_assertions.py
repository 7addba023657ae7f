"""Assertions checked against what an experiment's steps saved: (holds, what was compared), and
StepFailed when the observation does not exist."""

from __future__ import annotations

import pytest

from runner.lab import StepFailed
from runner.lab.assertions import check_assertion
from runner.playbook.model import LabAssertion

SCOPE = {
    "build": {"steps": [{"name": "[2/3] COPY src ./src", "instruction": "COPY src ./src", "cached": True},
                        {"name": "[3/3] RUN make", "instruction": "RUN make", "cached": False}],
              "all_cached": False, "executed": ["RUN make"]},
    "first": {"image_id": "sha256:a", "seconds": 2.0},
    "second": {"image_id": "sha256:a", "seconds": 9.0, "log": "mount: cold"},
}


@pytest.mark.parametrize(("given", "expected"), [
    ({"of": "build", "step": "COPY", "cached": True}, (True, "build: COPY CACHED (expected CACHED)")),
    ({"of": "build", "all_cached": True}, (False, "build: ran: RUN make (expected all CACHED)")),
    ({"value": "second.image_id", "same_as": "first.image_id"},
     (True, "second.image_id = sha256:a same as first.image_id (sha256:a)")),
    ({"value": "second.seconds", "gt": "first.seconds", "times": 3},
     (True, "second.seconds = 9.0 > first.seconds × 3 = 6")),
    ({"value": "second.log", "matches": "cold$", "not_contains": "warm"},
     (True, "second.log = mount: cold matches /cold$/, does not contain warm")),
    ({"value": "first.seconds", "equals": 3}, (False, "first.seconds = 2.0 = 3")),
])
def test_an_assertion_says_whether_it_holds_and_what_it_compared(given, expected):
    assert check_assertion(LabAssertion.model_validate(given), SCOPE) == expected


@pytest.mark.parametrize(("given", "error"), [
    ({"value": "nothing.x", "equals": 1}, "no such observation: 'nothing' is not defined (yet)"),
    ({"value": "first.size", "equals": 1}, "no such observation: first has no 'size' (has: image_id, seconds)"),
    ({"of": "build", "step": "RUN nope", "cached": True}, "build has no step 'RUN nope'"),
])
def test_a_missing_observation_fails_the_experiment(given, error):
    with pytest.raises(StepFailed) as failed:
        check_assertion(LabAssertion.model_validate(given), SCOPE)
    assert str(failed.value).startswith(error)
