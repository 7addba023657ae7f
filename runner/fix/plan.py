"""The plan of a fix: the steps of the fix the cause names (or the one asked for), with params
and evidence filled in, ready to be shown, consented to and run. `PlanError` when it cannot be
planned."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from runner.diagnose.diagnosis import Diagnosis
from runner.errors import RunnerError
from runner.fix.actions import ACTIONS, EvidenceMissing, substitute_evidence
from runner.fix.masking import mask_env, mask_secrets
from runner.playbook.model import Effect, FixStep, Playbook, localize
from runner.playbook.params import substitute, unresolved
from runner.playbook.placeholders import as_arguments, as_text
from runner.present.show import command_line


class PlanError(RunnerError):
    """The fix cannot be planned: unknown fix, missing param, evidence the diagnosis lacks."""


@dataclass(frozen=True)
class PlannedStep:
    number: int
    title: str
    effect: str  # read | write | destructive
    how: str  # run | action | manual
    timeout: float
    argv: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    action: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    manual: str | None = None
    loses: str | None = None
    description: str = ""  # the command line, what the action will do, or the manual text

    @property
    def runs(self) -> bool:
        return self.how != "manual"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"number": self.number, "title": self.title, "effect": self.effect, "how": self.how,
                                "timeout": self.timeout, "description": self.description}
        if self.how == "run":
            data.update(argv=list(self.argv), env=mask_env(self.env))
        elif self.how == "action":
            data.update(action=self.action, args=self.args)
        else:
            data["manual"] = self.manual
        if self.loses:
            data["loses"] = self.loses
        return data


@dataclass(frozen=True)
class Plan:
    playbook: str
    cause: str | None
    cause_title: str
    fix: str
    fix_title: str
    steps: tuple[PlannedStep, ...]
    verify: tuple[str, ...] = ()
    chosen: bool = False  # named with --fix rather than by the cause
    alternative: bool = False
    cost: str | None = None

    @property
    def running_steps(self) -> tuple[PlannedStep, ...]:
        return tuple(step for step in self.steps if step.runs)

    @property
    def writes(self) -> tuple[PlannedStep, ...]:
        return tuple(s for s in self.running_steps if s.effect == Effect.write.value)

    @property
    def destructive(self) -> tuple[PlannedStep, ...]:
        return tuple(s for s in self.running_steps if s.effect == Effect.destructive.value)

    def to_json(self) -> dict[str, Any]:
        return {"cause": self.cause, "cause_title": self.cause_title, "fix": self.fix, "fix_title": self.fix_title,
                "chosen": self.chosen, "alternative": self.alternative, "cost": self.cost,
                "verify": list(self.verify), "steps": [s.to_json() for s in self.steps]}


def all_evidence(diagnosis: Diagnosis) -> dict[str, dict[str, Any]]:
    return {outcome.id: outcome.evidence for outcome in diagnosis.checks}


def plan_fix(playbook: Playbook, diagnosis: Diagnosis, *, fix_id: str | None = None, lang: str = "en") -> Plan:
    """The steps of the fix, with params and evidence filled in; raises PlanError."""
    chosen = fix_id is not None
    fix_id = fix_id or diagnosis.fix
    known = [f.id for f in (*playbook.fixes, *playbook.alternatives)]
    if fix_id is None:
        raise PlanError(f"the cause {diagnosis.cause and diagnosis.cause['id']!r} names no fix in {playbook.id}")
    if fix_id not in known:
        import difflib

        close = difflib.get_close_matches(fix_id, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
        raise PlanError(f"no fix {fix_id!r} in {playbook.id} ({hint})")
    fix = playbook.fix(fix_id)
    evidence = all_evidence(diagnosis)
    steps = tuple(_plan_step(i, step, diagnosis.params, evidence, lang) for i, step in enumerate(fix.steps, 1))
    cause = diagnosis.cause or {}
    return Plan(playbook.id, cause.get("id"), cause.get("title", ""), fix.id, localize(fix.title, lang), steps,
                fix.verify, chosen, fix in playbook.alternatives, localize(fix.cost, lang) or None)


def _filled(value: Any, params: dict[str, str], evidence: dict[str, dict[str, Any]], where: str) -> Any:
    value = substitute(value, params)
    missing = unresolved(value)
    if missing:
        raise PlanError(f"{where} needs param {', '.join(missing)} (give --param {missing[0]}=...)")
    try:
        return substitute_evidence(value, evidence)
    except EvidenceMissing as exc:
        raise PlanError(f"{where}: {exc}") from None


def _plan_step(number: int, step: FixStep, params: dict[str, str], evidence: dict[str, dict[str, Any]],
               lang: str) -> PlannedStep:
    where = f"step {number}"
    title = _filled(localize(step.title, lang), params, evidence, where)
    loses = _filled(localize(step.loses, lang), params, evidence, where) if step.loses else None
    common = {"number": number, "title": title, "effect": step.effect.value, "timeout": step.timeout, "loses": loses}
    if step.run is not None:
        argv = as_arguments(_filled(list(step.run), params, evidence, where))
        env = {k: as_text(v) for k, v in _filled(dict(step.env), params, evidence, where).items()}
        shown = " ".join(f"{k}={v}" for k, v in mask_env(env).items())
        return PlannedStep(how="run", argv=tuple(argv), env=env,
                           description=mask_secrets((shown + " " if shown else "") + command_line(argv)), **common)
    if step.action is not None:
        kind = ACTIONS.get(step.action.name)
        if kind is None:
            raise PlanError(f"{where}: unknown action {step.action.name!r} (known: {', '.join(sorted(ACTIONS))})")
        raw = _filled(dict(step.action.args), params, evidence, where)
        try:
            args = kind.args.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise PlanError(f"{where}: action {kind.name}: bad argument {'.'.join(map(str, first['loc']))}: "
                            f"{first['msg']}") from None
        dynamic_loss = getattr(args, "loses", None)
        if step.effect is Effect.destructive and callable(dynamic_loss):
            common["loses"] = f"{loses}: {dynamic_loss()}" if loses else dynamic_loss()
        return PlannedStep(how="action", action=kind.name, args=args.model_dump(mode="json", exclude_none=True),
                           description=args.describe(), **common)
    manual = _filled(localize(step.manual, lang), params, evidence, where)
    return PlannedStep(how="manual", manual=manual, description=manual, **common)
