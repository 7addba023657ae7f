"""Running checks and naming the cause (runner/diagnose/diagnosis.py) with check kinds made in
the test: pure logic, no engine. Argument errors, a check that raises or overruns, checks
that wait for others, causes in the playbook's order, the verdict and its JSON. The shipped
buildkit-stale playbook on a real engine is in tests/diagnose/test_diagnosis_engine.py."""

from __future__ import annotations

import sys
import threading
import types
from typing import Any

import pytest

import runner.diagnose.diagnosis as diagnosis
from runner.checks.kinds import CHECK_KINDS, Args, CheckKind
from runner.checks.result import CheckContext, CheckResult
from runner.diagnose.diagnosis import diagnose, run_check
from runner.playbook.model import Check, Playbook


class FakeArgs(Args):
    status: str = "pass"
    value: int = 0
    note: str = ""


FAKES = types.ModuleType("fake_checks")
seen: list[tuple[FakeArgs, CheckContext]] = []


def _fake(args: FakeArgs, ctx: CheckContext) -> CheckResult:
    seen.append((args, ctx))
    if args.status == "raise":
        raise RuntimeError("boom")
    if args.status == "hang":
        threading.Event().wait(2)
    return CheckResult(args.status, f"{args.status} {args.note}".strip(), {"value": args.value, "host": args.note})


FAKES.fake = _fake


@pytest.fixture(autouse=True)
def fake_kinds(monkeypatch):
    """A `fake` check kind, and the `engine` kind answered by it."""
    monkeypatch.setitem(sys.modules, "fake_checks", FAKES)
    monkeypatch.setitem(CHECK_KINDS, "fake", CheckKind("fake", FakeArgs, "fake_checks:fake", "a test's check"))
    monkeypatch.setitem(CHECK_KINDS, "engine", CheckKind("engine", FakeArgs, "fake_checks:fake", "a test's engine"))
    seen.clear()


def check(timeout: float = 30, **args: Any) -> Check:
    return Check(id="c", kind="fake", args=args, timeout=timeout)


def playbook(checks: list[dict], causes: list[dict] = (), **extra: Any) -> Playbook:
    return Playbook.model_validate({"id": "p", "title": "t", "summary": "s", "symptoms": [{"text": "x"}],
                                    "checks": checks, "causes": list(causes), **extra})


# --- one check ----------------------------------------------------------------------------


def test_arguments_are_substituted_and_validated_before_the_check_runs():
    result = run_check(check(value="{{count}}", note="in {{where}}"), CheckContext(params={"count": "7", "where": "x"}))
    assert result.status == "pass"
    [(args, _ctx)] = seen
    assert (args.value, args.note) == (7, "in x")
    bad = run_check(check(value="many"), CheckContext())
    assert bad.status == "error" and bad.summary.startswith("bad argument value: ")
    assert len(seen) == 1, "a check with bad arguments must not run"


def test_a_param_nobody_gave_skips_the_check():
    result = run_check(check(note="{{where}}"), CheckContext())
    assert (result.status, result.summary) == ("skip", "needs param where (give --param where=...)")
    assert seen == []


def test_a_check_that_raises_is_an_error_marked_as_a_bug():
    result = run_check(check(status="raise"), CheckContext())
    assert result.status == "error" and result.evidence == {"bug": True}
    assert result.summary == "the fake check failed unexpectedly (a bug): RuntimeError: boom"


def test_a_check_that_overruns_its_timeout_is_stopped_after_the_grace(monkeypatch):
    monkeypatch.setattr(diagnosis, "GRACE", 0.05)
    result = run_check(check(status="hang", timeout=0.1), CheckContext())
    assert (result.status, result.summary) == ("error", "timed out after 0.1 s")


# --- a playbook ---------------------------------------------------------------------------


def test_a_check_runs_only_when_the_checks_it_requires_passed_or_warned():
    found = diagnose(playbook([
        {"id": "ok", "kind": "fake"},
        {"id": "careful", "kind": "fake", "args": {"status": "warn"}},
        {"id": "broken", "kind": "fake", "args": {"status": "fail"}},
        {"id": "after-ok", "kind": "fake", "requires": ["ok", "careful"]},
        {"id": "after-broken", "kind": "fake", "requires": ["ok", "broken"]},
    ]), {})
    statuses = {c.id: (c.status, c.summary) for c in found.checks}
    assert statuses["after-ok"] == ("pass", "pass")
    assert statuses["after-broken"] == ("skip", "skipped: broken did not pass")
    assert [ctx.timeout for _args, ctx in seen] == [30.0] * 4, "each check gets its own timeout as budget"


def test_the_first_cause_that_holds_in_the_playbooks_order_is_named():
    checks = [{"id": "image", "kind": "fake", "args": {"status": "fail", "value": 3}},
              {"id": "other", "kind": "fake", "args": {"value": 1}}]
    causes = [
        {"id": "never", "title": "t", "explanation": "e", "when": {"check": "image", "status": "pass"}},
        {"id": "first", "title": {"ko": "첫째", "en": "first"}, "explanation": "e1", "fix": "rebuild",
         "when": {"all": [{"check": "image", "status": "fail"}, {"check": "other", "field": "value", "gt": 0}]}},
        {"id": "second", "title": "t", "explanation": "e2", "when": {"check": "image", "status": "fail"}},
    ]
    fixes = [{"id": "rebuild", "title": "t", "steps": [{"title": "s", "manual": "m", "effect": "write"}]}]
    found = diagnose(playbook(checks, causes, fixes=fixes), {"image": "app:1"}, lang="en")
    assert (found.status, found.fix) == ("problem", "rebuild")
    assert found.cause == {"id": "first", "title": "first", "explanation": "e1",
                           "evidence": {"image": {"summary": "fail", "value": 3, "host": ""},
                                        "other": {"summary": "pass", "value": 1, "host": ""}}}
    assert diagnose(playbook(checks, causes, fixes=fixes), {}, lang="ko").cause["title"] == "첫째"


def test_a_cause_shows_only_the_evidence_it_names():
    causes = [{"id": "c", "title": "t", "explanation": "e", "evidence": ["b"],
               "when": {"check": "a", "status": "pass"}}]
    found = diagnose(playbook([{"id": "a", "kind": "fake"}, {"id": "b", "kind": "fake"}], causes), {})
    assert list(found.cause["evidence"]) == ["b"]


def test_without_a_cause_errors_make_the_verdict_an_error():
    ok = diagnose(playbook([{"id": "a", "kind": "fake"}]), {})
    assert (ok.status, ok.cause, ok.errors) == ("ok", None, ())
    failed = diagnose(playbook([{"id": "a", "kind": "fake"}, {"id": "b", "kind": "fake", "args": {"status": "error"}}]),
                      {})
    assert (failed.status, failed.errors) == ("error", ("b: error",))


def test_the_engine_is_the_one_the_engine_check_reached_else_the_one_asked_for():
    asked = diagnose(playbook([{"id": "a", "kind": "fake"}]), {}, docker_host="tcp://asked:2375")
    assert asked.engine == "tcp://asked:2375"
    reached = diagnose(playbook([{"id": "engine", "kind": "engine", "args": {"note": "unix:///reached.sock"}}]), {},
                       docker_host="tcp://asked:2375")
    assert reached.engine == "unix:///reached.sock"


def test_progress_hears_of_each_check_before_and_after_it_runs():
    heard = []
    diagnose(playbook([{"id": "a", "kind": "fake"}, {"id": "b", "kind": "fake", "requires": ["a"]}]), {},
             progress=lambda check, outcome: heard.append((check.id, outcome and outcome.status)))
    assert heard == [("a", None), ("a", "pass"), ("b", None), ("b", "pass")]


def test_the_json_of_a_diagnosis():
    found = diagnose(playbook([{"id": "a", "kind": "fake", "args": {"value": 2}}]), {"image": "app:1"},
                     docker_host="tcp://h:2375")
    data = found.to_json()
    assert list(data) == ["playbook", "status", "cause", "checks", "fix", "ms", "params", "engine", "errors",
                         "unexplained", "interrupted_fixes"]
    assert (data["playbook"], data["status"], data["params"], data["engine"], data["errors"]) == \
        ("p", "ok", {"image": "app:1"}, "tcp://h:2375", [])
    [entry] = data["checks"]
    assert list(entry) == ["id", "status", "summary", "evidence", "ms"]
    assert entry["evidence"] == {"value": 2, "host": ""} and isinstance(entry["ms"], int)


def test_a_fix_of_the_container_cut_off_half_way_is_never_ok(tmp_path, monkeypatch):
    from runner.fix import journal

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    started = journal.begin("tcp://h:2375", "app", "a" * 64, "app-runner-new-1", "app-runner-old-1", True)
    journal.advance(started, "start", pid=2 ** 22 + 1)  # no such process: the run was killed
    book = playbook([{"id": "a", "kind": "fake"}])
    found = diagnose(book, {"container": "app"}, docker_host="tcp://h:2375")
    assert found.status == "problem" and found.cause is None
    assert "starting the new container of app" in found.interrupted_fixes[0]
    assert "runner fix --recover --param container=app" in found.interrupted_fixes[0]
    assert diagnose(book, {"container": "db"}, docker_host="tcp://h:2375").status == "ok"
    assert diagnose(book, {"container": "app"}, docker_host="tcp://other:2375").status == "ok"


# --- side by side -------------------------------------------------------------------------


class MeetArgs(Args):
    name: str
    meets: str = ""  # waits until the check of that name has started: only side by side can it pass
    delay: float = 0.0


STARTED: dict[str, threading.Event] = {}
THREADS: dict[str, str] = {}


def _meet(args: MeetArgs, ctx: CheckContext) -> CheckResult:
    THREADS[args.name] = threading.current_thread().name
    STARTED.setdefault(args.name, threading.Event()).set()
    if args.meets and not STARTED.setdefault(args.meets, threading.Event()).wait(5):
        return CheckResult("fail", f"{args.meets} never ran beside {args.name}")
    threading.Event().wait(args.delay)
    return CheckResult("pass", args.name, {"ahead": ctx.ahead.result() if ctx.ahead else None})


class Ahead:
    """What a check kind starts ahead: records whether its check read it, and its discard."""

    made: list[Ahead] = []

    def __init__(self, args: MeetArgs) -> None:
        self.name, self.discarded, self.before_any_check = args.name, False, not STARTED
        Ahead.made.append(self)

    def discard(self) -> None:
        self.discarded = True


FAKES.meet = _meet
FAKES.start_ahead = lambda args, ctx: Ahead(args)


@pytest.fixture
def meet_kinds(monkeypatch):
    monkeypatch.setitem(CHECK_KINDS, "meet", CheckKind("meet", MeetArgs, "fake_checks:meet", "meets another"))
    monkeypatch.setitem(CHECK_KINDS, "early", CheckKind("early", MeetArgs, "fake_checks:meet", "starts ahead",
                                                        ahead="fake_checks:start_ahead"))
    STARTED.clear()
    THREADS.clear()
    Ahead.made.clear()


def test_checks_that_do_not_require_each_other_run_side_by_side(meet_kinds):
    found = diagnose(playbook([{"id": "a", "kind": "meet", "args": {"name": "a", "meets": "b"}},
                               {"id": "b", "kind": "meet", "args": {"name": "b", "meets": "a"}}]), {})
    assert [(c.id, c.status) for c in found.checks] == [("a", "pass"), ("b", "pass")], found.checks


def test_progress_hears_of_the_checks_in_the_playbooks_order_whatever_order_they_finish_in(meet_kinds):
    heard = []
    diagnose(playbook([{"id": "slow", "kind": "meet", "args": {"name": "slow", "meets": "quick", "delay": 0.3}},
                       {"id": "quick", "kind": "meet", "args": {"name": "quick"}},
                       {"id": "after", "kind": "meet", "args": {"name": "after"}, "requires": ["quick"]}]), {},
             progress=lambda check, outcome: heard.append((check.id, outcome and outcome.status)))
    assert heard == [("slow", None), ("slow", "pass"), ("quick", None), ("quick", "pass"),
                     ("after", None), ("after", "pass")]


def test_checks_that_require_each_other_are_skipped_not_waited_for(meet_kinds):
    found = diagnose(playbook([{"id": "a", "kind": "meet", "args": {"name": "a"}, "requires": ["b"]},
                               {"id": "b", "kind": "meet", "args": {"name": "b"}, "requires": ["a"]},
                               {"id": "c", "kind": "meet", "args": {"name": "c"}}]), {})
    statuses = {c.id: (c.status, c.summary) for c in found.checks}
    assert statuses["a"] == ("skip", "skipped: requires b, which require it in turn")
    assert statuses["c"] == ("pass", "c")


def test_work_a_kind_starts_ahead_begins_before_any_check_and_reaches_its_own_check(meet_kinds):
    found = diagnose(playbook([{"id": "first", "kind": "meet", "args": {"name": "first", "delay": 0.2}},
                               {"id": "late", "kind": "early", "args": {"name": "late"}, "requires": ["first"]}]), {})
    [ahead] = Ahead.made
    assert ahead.before_any_check and ahead.name == "late"
    assert found.checks[1].evidence["ahead"] is ahead, "the check reads what was started for it"
    assert ahead.discarded, "discarded once the run ends (a no-op for a build its check read)"


def test_work_started_ahead_for_a_check_that_never_runs_is_discarded(meet_kinds):
    found = diagnose(playbook([{"id": "first", "kind": "fake", "args": {"status": "fail"}},
                               {"id": "late", "kind": "early", "args": {"name": "late"}, "requires": ["first"]}]), {})
    assert found.checks[1].status == "skip"
    [ahead] = Ahead.made
    assert ahead.discarded


def test_nothing_is_started_ahead_for_a_check_whose_params_are_missing(meet_kinds):
    found = diagnose(playbook([{"id": "late", "kind": "early", "args": {"name": "{{who}}"}}],
                              params={"who": {"description": "d"}}), {})
    assert found.checks[0].status == "skip" and Ahead.made == []


def test_serial_runs_every_check_in_this_thread_for_a_profile(meet_kinds):
    found = diagnose(playbook([{"id": "a", "kind": "meet", "args": {"name": "a"}},
                               {"id": "b", "kind": "early", "args": {"name": "b"}, "requires": ["a"]}]), {},
                     serial=True)
    assert [c.status for c in found.checks] == ["pass", "pass"]
    assert set(THREADS.values()) == {threading.current_thread().name}
    assert found.checks[1].evidence["ahead"] is Ahead.made[0]
