"""Consent: whether a plan's steps may run, and the questions asked to decide it.

The policy:
- `--dry-run`: the plan is shown and nothing runs.
- `read` and `manual` steps need no consent (manual steps are shown, never run).
- `write` steps: one yes/no question for all of them; `destructive` steps: one question
  each, naming what the step loses. Every answer must be yes, or nothing runs.
- No terminal to ask on and no `--yes`: nothing that writes runs, and the run says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.fix.plan import Plan


@dataclass(frozen=True)
class Consent:
    granted: bool
    how: str  # not-needed | yes-flag | asked | dry-run | no-terminal | declined
    reason: str
    answers: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"granted": self.granted, "how": self.how, "reason": self.reason, "answers": list(self.answers)}


Confirm = Callable[[str], bool]


def decide_consent(plan: Plan, *, yes: bool = False, dry_run: bool = False, interactive: bool = False,
                   confirm: Confirm | None = None) -> Consent:
    if dry_run:
        return Consent(False, "dry-run", "--dry-run: the plan is shown and nothing runs")
    if not plan.writes and not plan.destructive:
        return Consent(True, "not-needed", "no step writes")
    if yes:
        return Consent(True, "yes-flag", "--yes: consent given for every step")
    if not interactive or confirm is None:
        return Consent(False, "no-terminal", "no terminal to ask for consent, and no --yes: nothing that writes "
                       "was run (add --yes to apply, or --dry-run to only see the plan)")
    answers = []
    if plan.writes:
        numbers = ", ".join(str(s.number) for s in plan.writes)
        question = f"Apply step{'s' if len(plan.writes) > 1 else ''} {numbers} (write)?"
        answer = confirm(question)
        answers.append({"question": question, "answer": answer})
        if not answer:
            return Consent(False, "declined", "declined: nothing was run", tuple(answers))
    for step in plan.destructive:
        question = f"Step {step.number} is destructive: it loses {step.loses}. Run it?"
        answer = confirm(question)
        answers.append({"question": question, "answer": answer})
        if not answer:
            return Consent(False, "declined", f"step {step.number} declined: nothing was run", tuple(answers))
    return Consent(True, "asked", "consent given", tuple(answers))
