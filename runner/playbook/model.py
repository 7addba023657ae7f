"""The playbook format, defined once.

Every other part of the project (loader, CLI, site, diagnose, fix, lab) reads these frozen
models; the JSON Schema in ``runner/schema/playbook.schema.json`` is generated from them.
"""

from __future__ import annotations

import datetime as dt
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
    field_validator,
    model_validator,
)

from runner.checks.kinds import CHECK_KINDS
from runner.playbook.linear_regex import compile_linear
from runner.playbook.placeholders import SHELL_CODE_HINT, parameters_in_shell_code

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


class Frozen(BaseModel):
    # Schemas are built on the first validation, not at import: a playbook from the cache
    # (runner/playbook/cache.py) is never validated, and building them all took ~35 ms.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


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
    compile_linear(pattern)
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


ClaimVerdict = Literal["confirmed", "refuted"]


class ClaimStatus(str, Enum):
    unverified = "unverified"
    confirmed = "confirmed"
    refuted = "refuted"
    depends = "depends"  # confirmed on some engines, refuted on others: each in `verified`


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


class Comparison(Frozen):
    """Tests on one value, the same for a cause's conditions and a lab's assertions; every test
    given must hold (runner/playbook/comparisons.py decides them). Paths and `{{...}}` are the
    placeholder language: a check's evidence in conditions, saved observations in a lab."""

    equals: Any = None
    not_equals: Any = None
    one_of: tuple[Any, ...] | None = None
    matches: Regex | None = Field(default=None, description="a regular expression found in the value's text")
    not_matches: Regex | None = None
    contains: str | None = Field(default=None, description="an item of a list, a key of a mapping, or a part "
                                                           "of the text")
    not_contains: str | None = None
    exists: bool | None = Field(default=None, description="whether the path names a value at all")
    truthy: bool | None = None
    gt: float | str | None = Field(default=None, description="a number, or a path to one")
    lt: float | str | None = Field(default=None, description="a number, or a path to one")
    times: float = Field(default=1.0, gt=0, description="scales a path given to gt or lt")
    same_as: str | None = Field(default=None, description="a path to another value")
    differs_from: str | None = Field(default=None, description="a path to another value")

    @field_validator("gt", "lt", mode="before")
    @classmethod
    def _numbers_stay_numbers(cls, value: Any) -> Any:
        # A path starts with a letter: "5" (a quoted number) is the number 5.
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value


COMPARISON_TESTS = ("equals", "not_equals", "one_of", "matches", "not_matches", "contains", "not_contains",
                    "exists", "truthy", "gt", "lt", "same_as", "differs_from")


def _tests_given(model: Comparison) -> set[str]:
    return model.model_fields_set & set(COMPARISON_TESTS)


TESTS_IN_WORDS = ", ".join(COMPARISON_TESTS[:-1]) + f" or {COMPARISON_TESTS[-1]}"


class FieldCondition(Comparison):
    """A comparison on a value of a check's evidence, addressed by a path; `same_as` and the
    other paths name another check's value: 'check-id.path'."""

    check: Id
    field: NonEmpty

    @model_validator(mode="after")
    def _one_test_at_least(self) -> FieldCondition:
        if not _tests_given(self):
            raise ValueError(f"say what to test: {TESTS_IN_WORDS}")
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
        if parameters_in_shell_code(self.run):
            raise ValueError(f"a {{{{parameter}}}} inside a shell's -c string runs as shell code: {SHELL_CODE_HINT}")
        return self


def instead_field() -> Any:
    """The `instead` of a recommendation (fix, alternative, prevention, lesson)."""
    return Field(default=None, description="what to do instead, where the lab refuted a claim this item rests on "
                                           "(the item's own words stay the report's)")


class Fix(Frozen):
    id: Id
    title: Text
    description: Text | None = None
    steps: tuple[FixStep, ...] = Field(min_length=1)
    verify: tuple[Id, ...] = Field(default=(), description="checks that must pass afterwards")
    benefits: tuple[Text, ...] = ()
    cost: Text | None = None
    claims: tuple[Id, ...] = ()
    instead: Text | None = instead_field()


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
    instead: Text | None = instead_field()


class Lesson(Frozen):
    title: Text
    points: tuple[Text, ...] = ()
    claims: tuple[Id, ...] = ()
    instead: Text | None = instead_field()


class Reference(Frozen):
    title: Text
    url: str | None = None
    path: str | None = None
    note: Text | None = None


class Verification(Frozen):
    """One engine's verdict on a claim: what it was, where, when, and what showed it."""

    on: dt.date
    engine: NonEmpty = Field(description="e.g. 'Docker Engine 20.10.24'")
    client: str | None = Field(default=None, description="the docker CLI, e.g. 'docker 26.1.5 (buildx 0.13.1)'")
    store: str | None = Field(default=None, description="the engine's image store: 'overlay2' or 'containerd'")
    verdict: ClaimVerdict | None = Field(default=None, description="on this engine [default: the claim's status]")
    by: Literal["lab", "manual"] = "lab"
    evidence: Text | None = None

    def verdict_given(self, status: ClaimStatus) -> str | None:
        """This engine's verdict; an entry written before verdicts were per engine has the claim's."""
        if self.verdict is not None:
            return self.verdict
        return status.value if status in (ClaimStatus.confirmed, ClaimStatus.refuted) else None


class Claim(Frozen):
    id: Id
    statement: Text
    status: ClaimStatus = Field(default=ClaimStatus.unverified, description=(
        "confirmed or refuted on every engine in `verified`, depends when the engines disagree, "
        "unverified when none has decided it"))
    source: Literal["report", "team", "lab"] = "report"
    verified: tuple[Verification, ...] = ()
    note: Text | None = None

    @model_validator(mode="after")
    def _status_follows_the_engines(self) -> Claim:
        verdicts = {entry.verdict for entry in self.verified if entry.verdict is not None}
        if self.status is ClaimStatus.depends and len(verdicts) < 2:
            raise ValueError("status depends needs verified entries that disagree (a verdict confirmed on one "
                             "engine and refuted on another)")
        if self.status in (ClaimStatus.confirmed, ClaimStatus.refuted) and verdicts - {self.status.value}:
            raise ValueError(f"status {self.status.value}, but verified has a verdict "
                             f"{sorted(verdicts - {self.status.value})[0]}: the status is depends")
        return self

    def verdict_on(self, engine: str, client: str | None, store: str | None) -> str | None:
        """The verdict recorded for this engine, client and image store; else the status when it
        holds on every engine recorded; None when nothing is recorded for such an engine."""
        for entry in self.verified:
            if entry.by == "lab" and (entry.engine, entry.client, entry.store or "overlay2") == \
                    (engine, client, store or "overlay2"):
                return entry.verdict_given(self.status)
        return self.status.value if self.status in (ClaimStatus.confirmed, ClaimStatus.refuted) else None


# --- the lab: a reproduction replayed on a real engine -----------------------------------

# A lab's placeholders name a unique name, a built-in, or a value an earlier step saved with `as:`.
LAB_BUILTINS = ("base", "run", "context", "tmp")


class LabBuild(Frozen):
    """`docker build --progress=plain` through a client that can do BuildKit builds."""

    tag: str | None = None
    context: str = Field(default=".", description="relative to the experiment's project folder")
    dockerfile: str | None = None
    build_args: dict[str, str] = Field(default_factory=dict)
    no_cache: bool = False
    target: str | None = None


class LabWrite(Frozen):
    path: NonEmpty
    content: str
    keep_mtime: bool = Field(default=False, description="restore the file's previous mtime after writing")


class LabMtime(Frozen):
    path: NonEmpty
    like: str | None = Field(default=None, description="take the mtime of this file")
    ago: float | None = Field(default=None, description="seconds before now")

    @model_validator(mode="after")
    def _one_source(self) -> LabMtime:
        if (self.like is None) == (self.ago is None):
            raise ValueError("give exactly one of like, ago")
        return self


class LabReadFile(Frozen):
    """A file's content inside an image, read without running it (create + get_archive)."""

    image: NonEmpty
    path: NonEmpty


class LabDiagnose(Frozen):
    """`runner diagnose` of this playbook (or another) with these params."""

    playbook: Id | None = None
    params: dict[ParamName, str] = Field(default_factory=dict)


class LabFix(Frozen):
    """`runner fix` of this playbook with these params, consent given (the lab owns everything)."""

    playbook: Id | None = None
    params: dict[ParamName, str] = Field(default_factory=dict)
    fix: Id | None = Field(default=None, description="this fix or alternative [default: the diagnosed cause's]")


class LabPrune(Frozen):
    """`docker builder prune -f`, scoped to the build-cache records this lab created."""

    filters: tuple[NonEmpty, ...] = Field(default=(), description="extra filters, e.g. type=regular")
    all: bool = False


LAB_ACTIONS = ("run", "build", "write", "append", "touch", "set_mtime", "remove", "sleep", "image_id",
               "read_file", "inspect_container", "diagnose", "fix", "prune_build_cache")


class LabStep(Frozen):
    """One step of an experiment: exactly one action; `as` saves what it observed."""

    title: Text | None = None
    run: tuple[NonEmpty, ...] | None = Field(default=None, min_length=1,
                                             description="an argument list; `docker` is the BuildKit client")
    build: LabBuild | None = None
    write: LabWrite | None = None
    append: LabWrite | None = None
    touch: NonEmpty | None = None
    set_mtime: LabMtime | None = None
    remove: NonEmpty | None = None
    sleep: float | None = Field(default=None, gt=0, le=10)
    image_id: NonEmpty | None = Field(default=None, description="saves {id}; '' when there is no such image")
    read_file: LabReadFile | None = None
    inspect_container: NonEmpty | None = Field(default=None, description="saves {image_id, running, status}")
    diagnose: LabDiagnose | None = None
    fix: LabFix | None = None
    prune_build_cache: LabPrune | None = None
    as_: ParamName | None = Field(default=None, alias="as", description="save the observation under this name")
    exit: int | Literal["any"] = Field(default=0, description="the exit code a run/build must have")
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = Field(default=None, description="relative to the project folder")
    timeout: float = Field(default=120.0, gt=0, le=1800)

    @model_validator(mode="after")
    def _one_action(self) -> LabStep:
        given = [name for name in LAB_ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one action of {', '.join(LAB_ACTIONS)} (got {', '.join(given) or 'none'})")
        return self

    @property
    def action(self) -> str:
        return next(name for name in LAB_ACTIONS if getattr(self, name) is not None)


class LabAssertion(Comparison):
    """A test on what the steps observed. Either `value` (a saved `name.field`) with the
    comparisons of conditions, or `of` (a saved build) with `step` + `cached`, or `all_cached`."""

    title: Text | None = None
    shows: Literal["claims", "wrong_attempt", "fix", "cause"] | None = Field(
        default=None, description="what this assertion is evidence for [default: everything the experiment is tied to]")
    value: str | None = Field(default=None, description="a saved observation: 'name.field'")
    of: ParamName | None = Field(default=None, description="a saved build")
    step: str | None = Field(default=None, description="text of the build step, e.g. 'COPY server ./server'")
    cached: bool | None = None
    all_cached: bool | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> LabAssertion:
        tests = _tests_given(self)
        if self.of is not None:
            if self.value is not None or tests:
                raise ValueError("a build assertion (of) takes step + cached, or all_cached, and no value test")
            if (self.step is None or self.cached is None) and self.all_cached is None:
                raise ValueError("say what to test of the build: step + cached, or all_cached")
            return self
        if self.value is None:
            raise ValueError("say what to test: value (a saved 'name.field') or of (a saved build)")
        if self.step is not None or self.cached is not None or self.all_cached is not None:
            raise ValueError("step, cached and all_cached go with of (a saved build), not with value")
        if not tests:
            raise ValueError(f"say how to test the value: {TESTS_IN_WORDS}")
        return self


class EngineRequirement(Frozen):
    """The engines an experiment applies to; elsewhere it is skipped, and decides nothing there."""

    client: str | None = Field(default=None, pattern=r"^(<|<=|>=|>|==)\s*\d+(\.\d+)?$",
                               description="the docker CLI's version, e.g. '<23' (BuildKit built in) or '>=23'")
    builder: Literal["builtin", "buildx"] | None = Field(default=None, description="BuildKit built into the "
                                                                                     "client (before 23) or buildx")
    compose: Literal["v1", "v2"] | None = Field(default=None, description="docker-compose (v1) or docker compose (v2)")
    store: Literal["overlay2", "containerd"] | None = Field(default=None, description="the engine's image store")


class Experiment(Frozen):
    """Sets up a state, runs steps, asserts on observables. Its outcome decides its claims:
    when every assertion holds each claim gets `expect`, otherwise the opposite."""

    id: Id
    title: Text
    description: Text | None = None
    claims: tuple[Id, ...] = ()
    expect: ClaimVerdict = Field(default="confirmed", description="the verdict on `claims` when the assertions hold")
    wrong_attempt: Id | None = Field(default=None, description="a wrong attempt this shows failing")
    fix: Id | None = Field(default=None, description="a fix or alternative this shows working")
    cause: Id | None = Field(default=None, description="a cause this reproduces and diagnoses")
    requires: EngineRequirement | None = Field(default=None, description="run only on such engines")
    files: dict[NonEmpty, str] = Field(default_factory=dict, description="added to (or replacing) the lab's files")
    setup: tuple[LabStep, ...] = ()
    steps: tuple[LabStep, ...] = Field(min_length=1)
    assert_: tuple[LabAssertion, ...] = Field(alias="assert", min_length=1)


class Lab(Frozen):
    """A minimal project and the experiments that replay the playbook on a real engine."""

    description: Text | None = None
    names: tuple[ParamName, ...] = Field(
        default=(), description="placeholders that get a unique name per experiment (image, container, ...)")
    files: dict[NonEmpty, str] = Field(default_factory=dict, description="the project's files, path: content")
    dir: str | None = Field(default=None, description="a folder of project files, relative to the playbook file")
    setup: tuple[LabStep, ...] = Field(default=(), description="run first in every experiment")
    experiments: tuple[Experiment, ...] = Field(min_length=1)


class Playbook(Frozen):
    id: Id
    title: Text
    reported_title: Text | None = Field(
        default=None, description="the incident report's own title, kept as the report's when the title names "
                                  "the symptom instead (a report's title often names its wrong diagnosis)")
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
    lab: Lab | None = None
    notes: tuple[Text, ...] = Field(default=(), description="content an import could not place")

    def check(self, check_id: str) -> Check:
        return next(c for c in self.checks if c.id == check_id)

    def fix(self, fix_id: str) -> Fix:
        return next(f for f in (*self.fixes, *self.alternatives) if f.id == fix_id)

    def claim(self, claim_id: str) -> Claim:
        return next(c for c in self.claims if c.id == claim_id)

