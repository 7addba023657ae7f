"""The consent policy (runner/fix/consent.py), as a table: which plans need questions, how many,
and what the answers decide."""

from __future__ import annotations

import pytest

from runner.fix.consent import Consent, decide_consent
from runner.fix.plan import Plan, PlannedStep


def plan_of(*effects: str) -> Plan:
    steps = tuple(PlannedStep(i, f"s{i}", effect, "run", 1.0, argv=("true",), loses="x" if effect == "destructive"
                              else None) for i, effect in enumerate(effects, 1))
    return Plan("p", "c", "c", "f", "f", steps)


@pytest.mark.parametrize("effects, options, answers, expected", [
    (("write",), {"dry_run": True, "yes": True}, [], ("dry-run", False)),
    (("read",), {}, [], ("not-needed", True)),
    (("write", "destructive"), {"yes": True}, [], ("yes-flag", True)),
    (("write",), {"interactive": False}, [], ("no-terminal", False)),
    (("write", "write"), {"interactive": True}, [True], ("asked", True)),
    (("write", "destructive"), {"interactive": True}, [True, False], ("declined", False)),
    (("destructive", "destructive"), {"interactive": True}, [True, True], ("asked", True)),
    (("write",), {"interactive": True}, [False], ("declined", False)),
])
def test_consent_policy(effects, options, answers, expected):
    asked: list[str] = []
    replies = iter(answers)

    def confirm(question: str) -> bool:
        asked.append(question)
        return next(replies)

    consent: Consent = decide_consent(plan_of(*effects), confirm=confirm, **options)
    assert (consent.how, consent.granted) == expected
    assert len(asked) == len(answers), "one question for all writes, one per destructive step"
