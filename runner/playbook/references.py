"""Checks that span a whole playbook: unique ids, references that resolve, declared params,
registered check kinds with valid arguments."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator
from itertools import islice
from typing import Any

from pydantic import ValidationError

from runner.checks.kinds import CHECK_KINDS
from runner.playbook.model import (
    LAB_BUILTINS,
    AllCondition,
    AnyCondition,
    ClaimStatus,
    FieldCondition,
    NotCondition,
    Playbook,
    StatusCondition,
)
from runner.playbook.placeholders import located_paths

Finding = tuple[tuple, str, str, bool]  # (location, message, hint, points at the key)

MAX_SUGGESTIONS = 50  # each did-you-mean costs O(known): bound the work on a file full of mistakes
MAX_LISTED = 10


def _did_you_mean(name: str, known: Collection[str], suggest: bool = True) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6) if suggest else []
    if close:
        return f"did you mean {close[0]!r}?"
    if not known:
        return "none is defined"
    more = f", ... ({len(known) - MAX_LISTED} more)" if len(known) > MAX_LISTED else ""
    return "known: " + ", ".join(islice(known, MAX_LISTED)) + more


def _param_uses(value: Any, loc: tuple) -> Iterator[tuple[tuple, str]]:
    """(location, name) of each `{{param}}` inside a value of the raw data (a dotted path is
    never a param: it names evidence in a fix)."""
    return ((where, path) for where, path in located_paths(value, loc) if "." not in path)


def condition_checks(condition: Any, loc: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(condition, (StatusCondition, FieldCondition)):
        yield (*loc, "check"), condition.check
        if isinstance(condition, FieldCondition):
            for name in ("same_as", "differs_from"):
                other = getattr(condition, name)
                if other is not None:
                    yield (*loc, name), other.split(".", 1)[0]
    elif isinstance(condition, (AllCondition, AnyCondition)):
        items = condition.all if isinstance(condition, AllCondition) else condition.any
        key = "all" if isinstance(condition, AllCondition) else "any"
        for i, item in enumerate(items):
            yield from condition_checks(item, (*loc, key, i))
    elif isinstance(condition, NotCondition):
        yield from condition_checks(condition.not_, (*loc, "not"))


def cross_reference_problems(playbook: Playbook, data: dict) -> list[Finding]:
    found: list[Finding] = []

    def unique(section: str, items: tuple) -> dict[str, int]:
        """The section's ids (in order, each with its first index); duplicates are findings."""
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.id is None:
                continue
            if item.id in seen:
                found.append(((section, i, "id"), f"duplicate id {item.id!r}",
                              f"also {section}[{seen[item.id]}]", False))
            seen.setdefault(item.id, i)
        return seen

    checks = unique("checks", playbook.checks)
    causes = unique("causes", playbook.causes)
    fixes = unique("fixes", playbook.fixes)
    alternatives = unique("alternatives", playbook.alternatives)
    claims = unique("claims", playbook.claims)
    wrong_attempts = unique("wrong_attempts", playbook.wrong_attempts)
    unique("symptoms", playbook.symptoms)
    for fix_id in set(fixes) & set(alternatives):
        found.append((("alternatives", alternatives[fix_id], "id"),
                      f"id {fix_id!r} is used by a fix and an alternative", "", False))
    all_fixes = {**fixes, **alternatives}
    suggestions = 0

    def did_you_mean(name: str, known: Collection[str]) -> str:
        nonlocal suggestions
        suggestions += 1
        return _did_you_mean(name, known, suggestions <= MAX_SUGGESTIONS)

    def refer(loc: tuple, name: str, known: dict[str, int], what: str) -> None:
        if name not in known:
            found.append((loc, f"{what} {name!r} does not exist", did_you_mean(name, known), False))

    for i, check in enumerate(playbook.checks):
        kind = CHECK_KINDS.get(check.kind)
        if kind is None:
            found.append((("checks", i, "kind"), f"unknown check kind {check.kind!r}",
                          _did_you_mean(check.kind, sorted(CHECK_KINDS)), False))
        else:
            found.extend(_args_problems(kind.args, check.args, ("checks", i, "args")))
        for j, required in enumerate(check.requires):
            refer(("checks", i, "requires", j), required, checks, "check")

    for i, cause in enumerate(playbook.causes):
        for loc, name in condition_checks(cause.when, ("causes", i, "when")):
            refer(loc, name, checks, "check")
        for j, name in enumerate(cause.evidence):
            refer(("causes", i, "evidence", j), name, checks, "check")
        if cause.fix is not None:
            refer(("causes", i, "fix"), cause.fix, all_fixes, "fix")

    for section in ("fixes", "alternatives"):
        for i, fix in enumerate(getattr(playbook, section)):
            for j, name in enumerate(fix.verify):
                refer((section, i, "verify", j), name, checks, "check")
            for j, step in enumerate(fix.steps):
                found.extend(fix_step_problems(step, (section, i, "steps", j), checks))

    for section in ("causes", "wrong_attempts", "fixes", "alternatives", "prevention", "lessons"):
        for i, item in enumerate(getattr(playbook, section)):
            for j, name in enumerate(item.claims):
                refer((section, i, "claims", j), name, claims, "claim")
    found.extend(_refuted_without_instead(playbook))
    if playbook.reported_cause is not None:
        for j, name in enumerate(playbook.reported_cause.claims):
            refer(("reported_cause", "claims", j), name, claims, "claim")

    if playbook.lab is not None:
        found.extend(lab_problems(playbook, claims, all_fixes, wrong_attempts, causes,
                                  did_you_mean))

    declared = sorted(playbook.params)
    for section in ("checks", "fixes", "alternatives"):
        reported: set[str] = set()  # each undeclared name once per section, where first used
        for loc, used in _param_uses(data.get(section) or [], (section,)):
            if used not in playbook.params and used not in reported:
                reported.add(used)
                suggestions += 1
                close = difflib.get_close_matches(used, declared, n=1, cutoff=0.6) \
                    if suggestions <= MAX_SUGGESTIONS else []
                hint = f"did you mean {close[0]!r}? or declare it under params" if close else \
                    "declare it under params"
                found.append((loc, f"param {used!r} is used but not declared", hint, False))
    return found


def _args_problems(args_model: type, args: dict, loc: tuple) -> list[Finding]:
    try:
        args_model.model_validate(args)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = (*loc, *error["loc"])
            if error["type"] == "extra_forbidden":
                known = sorted(args_model.model_fields)
                problems.append((where, f"unknown argument {error['loc'][-1]!r}",
                                 _did_you_mean(str(error["loc"][-1]), known), True))
            elif error["type"] == "missing":
                problems.append((where, "required argument is missing", "", False))
            else:
                problems.append((where, error["msg"][:1].lower() + error["msg"][1:], "", False))
        return problems
    return []


def _lab_refs(value: Any, loc: tuple) -> Iterator[tuple[tuple, str]]:
    """(location, head name) of each `{{name.field}}` inside a lab value."""
    return ((where, path.split(".", 1)[0]) for where, path in located_paths(value, loc))


def _refuted_without_instead(playbook: Playbook) -> Iterator[Finding]:
    """A recommendation (a fix, an alternative, a prevention, a lesson) resting on a claim the
    lab refuted says what to do instead: a page must never recommend what its own lab refuted
    without saying so where it stands."""
    refuted = {claim.id for claim in playbook.claims if claim.status is ClaimStatus.refuted}
    for section in ("fixes", "alternatives", "prevention", "lessons"):
        for i, item in enumerate(getattr(playbook, section)):
            against = [name for name in item.claims if name in refuted]
            if against and item.instead is None:
                yield ((section, i, "claims"), f"rests on refuted claim {against[0]!r} and says nothing instead",
                       "add instead: {ko: ..., en: ...}, what to do in its place (keep the report's words)", True)


def lab_problems(playbook: Playbook, claims: dict[str, int], fixes: dict[str, int],
                 wrong_attempts: dict[str, int], causes: dict[str, int], did_you_mean: Any) -> list[Finding]:
    """A lab's experiments refer to existing claims, wrong attempts and fixes; every
    placeholder is a built-in, a declared unique name, or saved by an earlier step."""
    lab = playbook.lab
    assert lab is not None
    found: list[Finding] = []
    names = set(lab.names)
    for j, name in enumerate(lab.names):
        if name in LAB_BUILTINS:
            found.append((("lab", "names", j), f"{name!r} is a built-in placeholder",
                          "built-ins: " + ", ".join(LAB_BUILTINS), False))
    static = names | set(LAB_BUILTINS)

    def check_refs(value: Any, loc: tuple, known: set[str]) -> None:
        for where, head in _lab_refs(value, loc):
            if head not in known:
                found.append((where, f"placeholder {{{{{head}}}}} is not defined",
                               did_you_mean(head, sorted(known)) + " (names:, built-ins, or an earlier step's as:)",
                               False))

    check_refs(lab.files, ("lab", "files"), static)
    saved_by_lab: dict[str, str] = {}
    for j, step in enumerate(lab.setup):
        check_refs(step.model_dump(by_alias=True, exclude_none=True), ("lab", "setup", j), static | set(saved_by_lab))
        if step.as_ is not None:
            saved_by_lab[step.as_] = step.action

    seen: dict[str, int] = {}
    for i, experiment in enumerate(lab.experiments):
        loc = ("lab", "experiments", i)
        if experiment.id in seen:
            found.append(((*loc, "id"), f"duplicate id {experiment.id!r}", f"also lab.experiments[{seen[experiment.id]}]",
                          False))
        seen.setdefault(experiment.id, i)
        for j, name in enumerate(experiment.claims):
            if name not in claims:
                found.append(((*loc, "claims", j), f"claim {name!r} does not exist", did_you_mean(name, claims), False))
        if experiment.wrong_attempt is not None and experiment.wrong_attempt not in wrong_attempts:
            found.append(((*loc, "wrong_attempt"), f"wrong attempt {experiment.wrong_attempt!r} does not exist",
                          did_you_mean(experiment.wrong_attempt, wrong_attempts), False))
        if experiment.fix is not None and experiment.fix not in fixes:
            found.append(((*loc, "fix"), f"fix {experiment.fix!r} does not exist",
                          did_you_mean(experiment.fix, fixes), False))
        if experiment.cause is not None and experiment.cause not in causes:
            found.append(((*loc, "cause"), f"cause {experiment.cause!r} does not exist",
                          did_you_mean(experiment.cause, causes), False))
        if not (experiment.claims or experiment.wrong_attempt or experiment.fix or experiment.cause):
            found.append(((*loc, "id"), "the experiment is tied to nothing",
                          "give claims, wrong_attempt, fix or cause: what it decides", False))
        check_refs(experiment.files, (*loc, "files"), static)
        saved = dict(saved_by_lab)
        for section in ("setup", "steps"):
            for j, step in enumerate(getattr(experiment, section)):
                check_refs(step.model_dump(by_alias=True, exclude_none=True), (*loc, section, j), static | set(saved))
                if step.as_ is not None:
                    if step.as_ in saved or step.as_ in static:
                        found.append(((*loc, section, j, "as"), f"{step.as_!r} is already defined",
                                      "each saved observation needs its own name", False))
                    saved[step.as_] = step.action
        for section in ("setup", "steps"):
            for j, step in enumerate(getattr(experiment, section)):
                if step.fix is not None and step.fix.fix is not None and step.fix.fix not in fixes:
                    found.append(((*loc, section, j, "fix", "fix"), f"fix {step.fix.fix!r} does not exist",
                                  did_you_mean(step.fix.fix, fixes), False))
        tied = {"claims": bool(experiment.claims), "wrong_attempt": experiment.wrong_attempt is not None,
                "fix": experiment.fix is not None, "cause": experiment.cause is not None}
        for j, check in enumerate(experiment.assert_):
            where = (*loc, "assert", j)
            if check.shows is not None and not tied[check.shows]:
                found.append(((*where, "shows"), f"the experiment is not tied to a {check.shows.replace('_', ' ')}",
                              f"give the experiment's {check.shows}, or drop shows", False))
            check_refs(check.model_dump(by_alias=True, exclude_none=True), where, static | set(saved))
            refs = [(key, getattr(check, key)) for key in ("value", "same_as", "differs_from", "gt", "lt")
                    if isinstance(getattr(check, key), str)]
            for key, ref in refs:
                head = ref.split(".", 1)[0]
                if head not in saved:
                    found.append(((*where, key), f"{head!r} is not saved by any step",
                                  did_you_mean(head, sorted(saved)) + " (a step's as:)", False))
            if check.of is not None:
                if check.of not in saved:
                    found.append(((*where, "of"), f"{check.of!r} is not saved by any step",
                                  did_you_mean(check.of, sorted(saved)), False))
                elif saved[check.of] != "build":
                    found.append(((*where, "of"), f"{check.of!r} is not a build", "of names a build step's as:",
                                  False))
    return found


def fix_step_problems(step: Any, loc: tuple, checks: Collection[str]) -> list[Finding]:
    """A step's action is registered and gets the arguments it takes; each
    `{{evidence.CHECK.path}}` names a check of the playbook. Argument types are checked when
    the fix is planned, once params and evidence are filled in."""
    from runner.fix.actions import ACTIONS, evidence_refs

    found: list[Finding] = []
    if step.action is not None:
        kind = ACTIONS.get(step.action.name)
        if kind is None:
            found.append(((*loc, "action", "name"), f"unknown action {step.action.name!r}",
                          _did_you_mean(step.action.name, sorted(ACTIONS)), False))
        else:
            found.extend(problem for problem in _args_problems(kind.args, step.action.args, (*loc, "action", "args"))
                         if problem[1].startswith(("unknown argument", "required argument")))
    value = step.model_dump(include={"run", "action", "manual", "env", "title", "loses"})
    for check, path in evidence_refs(value):
        if check not in checks:
            found.append((loc, f"evidence of check {check!r} is used but there is no such check",
                          _did_you_mean(check, sorted(checks)), False))
    return found
