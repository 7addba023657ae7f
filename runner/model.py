"""The playbook format, defined once.

Every other part of the project (loader, CLI, site, diagnose, fix, lab) reads these frozen
models; the JSON Schema in ``runner/schema/playbook.schema.json`` is generated from them.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from runner.checks.kinds import CHECK_KINDS

LANGS = ("ko", "en")
Lang = Literal["ko", "en"]

# Kebab-case, starting with a letter: these ids become URLs, CLI arguments and file names.
ID_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
PARAM_PATTERN = r"^[a-z][a-z0-9_]*$"
TAG_PATTERN = r"^[a-z0-9][a-z0-9+._-]*$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64)]
ParamName = Annotated[str, StringConstraints(pattern=PARAM_PATTERN, max_length=40)]
TagName = Annotated[str, StringConstraints(pattern=TAG_PATTERN, max_length=40)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]

# `{{name}}` in an argument list names a declared param. Go templates such as
# `{{.Image}}` or `{{json .Config}}` do not match, so docker --format strings stay literal.
PARAM_REF = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class LocalizedText(Frozen):
    """Text in Korean and/or English; at least one of the two."""

    ko: NonEmpty | None = None
    en: NonEmpty | None = None

    @model_validator(mode="after")
    def _one_language_at_least(self) -> LocalizedText:
        if self.ko is None and self.en is None:
            raise ValueError("give the text in at least one language: ko or en")
        return self


def _text_form(value: Any) -> str:
    return "mapping" if isinstance(value, (dict, LocalizedText)) else "string"


# A plain string is the same text for every reader (commands, names, short English).
# The discriminator keeps a wrong value to one error instead of one per union member.
Text = Annotated[
    Union[Annotated[NonEmpty, Tag("string")], Annotated[LocalizedText, Tag("mapping")]],
    Discriminator(_text_form),
]


def localize(text: Text | None, lang: Lang = "ko") -> str:
    """The text in `lang`, falling back to the other language; '' for None."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    primary = text.ko if lang == "ko" else text.en
    return primary or text.ko or text.en or ""


def _valid_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return pattern


Regex = Annotated[str, AfterValidator(_valid_regex)]


class Severity(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Effect(str, Enum):
    read = "read"
    write = "write"
    destructive = "destructive"


class Verdict(str, Enum):
    fails = "fails"
    forbidden = "forbidden"
    partial = "partial"


class ClaimStatus(str, Enum):
    unverified = "unverified"
    confirmed = "confirmed"
    refuted = "refuted"


class ParamType(str, Enum):
    string = "string"
    int = "int"
    bool = "bool"
    path = "path"
    directory = "directory"
    image = "image"
    container = "container"
    url = "url"


class CodeBlock(Frozen):
    """A block of code or output, shown as written (never executed as a shell string)."""

    code: NonEmpty
    lang: str = "text"
    caption: Text | None = None


class ToolVersion(Frozen):
    tool: NonEmpty
    versions: NonEmpty = Field(description="a version or range as people write it, e.g. '20.10', '>=23'")
    note: Text | None = None


class Param(Frozen):
    type: ParamType = ParamType.string
    description: Text
    default: str | int | bool | None = None
    required: bool = False
    example: str | None = None


class Symptom(Frozen):
    id: Id | None = None
    text: Text
    signatures: tuple[Regex, ...] = Field(
        default=(), description="regular expressions matching log lines that show this symptom"
    )
    example: CodeBlock | None = None


class SituationStep(Frozen):
    text: Text
    code: tuple[CodeBlock, ...] = ()


class Check(Frozen):
    """A read-only diagnostic step of a registered kind."""

    id: Id
    kind: str = Field(json_schema_extra={"enum": sorted(CHECK_KINDS)})
    title: Text | None = None
    description: Text | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    timeout: float = Field(default=30.0, gt=0, le=3600)
    requires: tuple[Id, ...] = Field(default=(), description="checks that must pass for this one to run")


CheckStatus = Literal["pass", "fail", "warn", "error", "skip"]


class StatusCondition(Frozen):
    check: Id
    status: CheckStatus | tuple[CheckStatus, ...]


class FieldCondition(Frozen):
    """A comparison on a value of a check's evidence, addressed by a dotted path."""

    check: Id
    field: NonEmpty
    equals: Any = None
    not_equals: Any = None
    one_of: tuple[Any, ...] | None = None
    matches: Regex | None = None
    exists: bool | None = None
    truthy: bool | None = None
    gt: float | None = None
    lt: float | None = None
    same_as: str | None = Field(default=None, description="another check's value: 'check-id.path'")
    differs_from: str | None = Field(default=None, description="another check's value: 'check-id.path'")

    @model_validator(mode="after")
    def _one_test_at_least(self) -> FieldCondition:
        if not (self.model_fields_set - {"check", "field"}):
            raise ValueError("say what to test: equals, not_equals, one_of, matches, exists, truthy, "
                             "gt, lt, same_as or differs_from")
        return self


class AllCondition(Frozen):
    all: tuple[Condition, ...] = Field(min_length=1)


class AnyCondition(Frozen):
    any: tuple[Condition, ...] = Field(min_length=1)


class NotCondition(Frozen):
    not_: Condition = Field(alias="not")


def _condition_form(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return type(value).__name__
    if not isinstance(value, dict):
        return None
    for key, form in (("all", "AllCondition"), ("any", "AnyCondition"), ("not", "NotCondition"),
                      ("status", "StatusCondition"), ("field", "FieldCondition")):
        if key in value:
            return form
    return "StatusCondition"  # its error then says what a condition needs


Condition = Annotated[
    Union[
        Annotated[StatusCondition, Tag("StatusCondition")],
        Annotated[FieldCondition, Tag("FieldCondition")],
        Annotated[AllCondition, Tag("AllCondition")],
        Annotated[AnyCondition, Tag("AnyCondition")],
        Annotated[NotCondition, Tag("NotCondition")],
    ],
    Discriminator(_condition_form),
]


class Cause(Frozen):
    """A cause, decided by a condition over check results; earlier causes take precedence."""

    id: Id
    title: Text
    when: Condition
    explanation: Text
    recognise: Text | None = Field(default=None, description="how a person recognises it by hand")
    evidence: tuple[Id, ...] = Field(default=(), description="checks whose evidence decides it")
    fix: Id | None = None
    claims: tuple[Id, ...] = ()


class ReportedCause(Frozen):
    """The root cause as the incident report stated it: a claim to verify, not a fact."""

    points: tuple[Text, ...] = Field(min_length=1)
    claims: tuple[Id, ...] = ()


class Action(Frozen):
    name: NonEmpty
    args: dict[str, Any] = Field(default_factory=dict)


class FixStep(Frozen):
    """One step of a fix: a command (argument list), a registered action, or a manual step."""

    title: Text
    run: tuple[NonEmpty, ...] | None = Field(default=None, min_length=1)
    action: Action | None = None
    manual: Text | None = None
    effect: Effect
    timeout: float = Field(default=300.0, gt=0, le=86400)
    loses: Text | None = Field(default=None, description="what a destructive step loses")
    env: dict[str, str] = Field(default_factory=dict)
    code: CodeBlock | None = Field(default=None, description="a snippet to show, e.g. a Dockerfile edit")

    @model_validator(mode="after")
    def _one_way_to_act(self) -> FixStep:
        given = [name for name in ("run", "action", "manual") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of run, action, manual (got {', '.join(given) or 'none'})")
        if self.effect is Effect.destructive and self.loses is None:
            raise ValueError("a destructive step must say what it loses (loses: ...)")
        return self


class Fix(Frozen):
    id: Id
    title: Text
    description: Text | None = None
    steps: tuple[FixStep, ...] = Field(min_length=1)
    verify: tuple[Id, ...] = Field(default=(), description="checks that must pass afterwards")
    benefits: tuple[Text, ...] = ()
    cost: Text | None = None
    claims: tuple[Id, ...] = ()


class WrongAttempt(Frozen):
    id: Id
    title: Text
    code: tuple[CodeBlock, ...] = ()
    result: Text | None = Field(default=None, description="what happened")
    why: tuple[Text, ...] = Field(min_length=1, description="why it fails, as the report explains it")
    verdict: Verdict
    claims: tuple[Id, ...] = ()


class Prevention(Frozen):
    title: Text
    description: Text | None = None
    code: tuple[CodeBlock, ...] = ()
    claims: tuple[Id, ...] = ()


class Lesson(Frozen):
    title: Text
    points: tuple[Text, ...] = ()
    claims: tuple[Id, ...] = ()


class Reference(Frozen):
    title: Text
    url: str | None = None
    path: str | None = None
    note: Text | None = None


class Verification(Frozen):
    on: dt.date
    engine: NonEmpty = Field(description="e.g. 'Docker Engine 20.10.24'")
    client: str | None = None
    by: Literal["lab", "manual"] = "lab"
    evidence: Text | None = None


class Claim(Frozen):
    id: Id
    statement: Text
    status: ClaimStatus = ClaimStatus.unverified
    source: Literal["report", "team", "lab"] = "report"
    verified: tuple[Verification, ...] = ()
    note: Text | None = None


class Playbook(Frozen):
    id: Id
    title: Text
    summary: Text
    occurred: dt.date | None = None
    project: Text | None = None
    tags: tuple[TagName, ...] = ()
    severity: Severity = Severity.medium
    applies_to: tuple[ToolVersion, ...] = ()
    params: dict[ParamName, Param] = Field(default_factory=dict)
    symptoms: tuple[Symptom, ...] = Field(min_length=1)
    situation: tuple[SituationStep, ...] = ()
    reported_cause: ReportedCause | None = None
    checks: tuple[Check, ...] = ()
    causes: tuple[Cause, ...] = ()
    wrong_attempts: tuple[WrongAttempt, ...] = ()
    fixes: tuple[Fix, ...] = ()
    alternatives: tuple[Fix, ...] = ()
    prevention: tuple[Prevention, ...] = ()
    lessons: tuple[Lesson, ...] = ()
    references: tuple[Reference, ...] = ()
    claims: tuple[Claim, ...] = ()
    notes: tuple[Text, ...] = Field(default=(), description="content an import could not place")

    def check(self, check_id: str) -> Check:
        return next(c for c in self.checks if c.id == check_id)

    def fix(self, fix_id: str) -> Fix:
        return next(f for f in (*self.fixes, *self.alternatives) if f.id == fix_id)

    def claim(self, claim_id: str) -> Claim:
        return next(c for c in self.claims if c.id == claim_id)


for _model in (AllCondition, AnyCondition, NotCondition, Cause):
    _model.model_rebuild()
