"""`runner fix` without an engine: a playbook in tmp whose checks are commands and whose fixes
write files, so that plan output, consent, timeouts, failures, rounds, Ctrl-C and the run
report are tested for real, and quickly. Secret masking and the evidence references are
pure logic."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner import exitcodes
from runner.fix.actions import EvidenceMissing, evidence_refs, lookup_evidence, substitute_evidence
from runner.cli import cli
from runner.fix.consent import Consent, decide_consent
from runner.fix.masking import mask_env, mask_secrets
from runner.fix.plan import Plan, PlannedStep

ROOT = Path(__file__).resolve().parents[2]

# Causes in chain order: a, b, c, d, each "missing marker file"; `broken` exists = an
# earlier cause (so a fix that creates it makes things worse).
PLAYBOOK = """\
id: markers
title: Markers
summary: files that should exist
params:
  dir: {type: directory, description: the folder, required: true}
symptoms: [{text: a marker is missing}]
checks:
  - {id: broken, kind: command, args: {run: [test, '!', -e, "{{dir}}/broken"]}}
  - {id: a, kind: command, args: {run: [test, -e, "{{dir}}/a"]}}
  - {id: b, kind: command, args: {run: [test, -e, "{{dir}}/b"]}}
  - {id: c, kind: command, args: {run: [test, -e, "{{dir}}/c"]}}
  - {id: d, kind: command, args: {run: [test, -e, "{{dir}}/d"]}}
causes:
  - {id: is-broken, title: broken, when: {check: broken, status: fail}, explanation: e, fix: make-a}
  - {id: no-a, title: no a, when: {check: a, status: fail}, explanation: a is missing, evidence: [a], fix: make-a}
  - {id: no-b, title: no b, when: {check: b, status: fail}, explanation: e, fix: make-b}
  - {id: no-c, title: no c, when: {check: c, status: fail}, explanation: e, fix: make-c}
  - {id: no-d, title: no d, when: {check: d, status: fail}, explanation: e, fix: make-d}
fixes:
  - id: make-a
    title: Make a
    steps:
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
    verify: [a]
  - id: make-b
    title: Make b
    steps: [{title: Write b, run: [touch, "{{dir}}/b"], effect: write}]
  - id: make-c
    title: Make c
    steps: [{title: Write c, run: [touch, "{{dir}}/c"], effect: write}]
  - id: make-d
    title: Make d
    steps: [{title: Write d, run: [touch, "{{dir}}/d"], effect: write}]
alternatives:
  - id: slow
    title: Too slow
    steps:
      - {title: Sleep, run: [sleep, "5"], effect: write, timeout: 0.3}
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
  - id: failing
    title: Fails half way
    steps:
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
      - {title: Fail, run: [sh, -c, "echo cannot; exit 3"], effect: write}
      - {title: Write b, run: [touch, "{{dir}}/b"], effect: write}
  - id: wipe
    title: Wipe and write
    steps:
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
      - title: Delete the scratch folder
        run: [rm, -rf, "{{dir}}/scratch"]
        effect: destructive
        loses: everything in {{dir}}/scratch
  - id: breaks
    title: Makes it worse
    steps: [{title: Break, run: [touch, "{{dir}}/broken"], effect: write}]
  - id: noop
    title: Does nothing
    steps: [{title: Nothing, run: ["true"], effect: write}]
  - id: by-hand
    title: By hand
    steps: [{title: Do it yourself, manual: "touch {{dir}}/a", effect: read}]
  - id: leaky
    title: Prints secrets
    steps:
      - title: Leak
        run: [sh, -c, 'echo "Authorization: Bearer abcdefghijklmnop12"; echo "$GITHUB_TOKEN"; touch a']
        env: {GITHUB_TOKEN: ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}
        effect: write
  - id: two-steps
    title: Two slow steps
    steps:
      - {title: Start, run: [sh, -c, "touch started; sleep 1.5"], effect: write}
      - {title: Write a, run: [touch, "{{dir}}/a"], effect: write}
"""


@pytest.fixture
def work(tmp_path, monkeypatch):
    books = tmp_path / "playbooks"
    books.mkdir()
    (books / "markers.yaml").write_text(PLAYBOOK)
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(folder)
    return folder


def invoke(work: Path, *args: str, input: str | None = None, terminal: bool = False, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr("runner.commands.fix.stdin_is_terminal", lambda: terminal)
    return CliRunner().invoke(cli, ["--playbooks", str(work.parent / "playbooks"), "fix", "markers",
                                    "--param", f"dir={work}", *args], input=input)


def reports(work: Path) -> list[dict]:
    folder = work.parent / "state/runner/runs"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def touch_all(work: Path, *names: str) -> None:
    for name in names:
        (work / name).touch()


# --- plan, consent prompts --------------------------------------------------------------------


def test_plan_output_and_yes_at_the_prompt_applies(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, input="y\n", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK, result.output
    out = result.output
    assert "cause: no-a" in out and "a: " in out
    assert "plan: make-a  Make a" in out
    assert "1. [write] Write a" in out and f"$ touch {work}/a" in out
    assert "Apply step 1 (write)? [y/N]" in out
    assert "✓ 1. Write a: touch exited 0" in out
    assert "verdict: resolved" in out and "before: no-a  after: ok" in out
    assert (work / "a").exists()
    report = reports(work)[0]
    assert report["verdict"] == "resolved" and report["rounds"][0]["consent"]["how"] == "asked"
    assert report["rounds"][0]["consent"]["answers"] == [
        {"question": "Apply step 1 (write)?", "answer": True}]
    assert report["rounds"][0]["verify"] == {"a": "pass"}


def test_no_at_the_prompt_runs_nothing(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, input="n\n", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.NOT_APPLIED, result.output
    assert "declined: nothing was run" in result.output
    assert not (work / "a").exists()


def test_no_answer_at_the_prompt_is_an_interruption_with_a_report(work, monkeypatch):
    """Ctrl-C or the end of input at the consent question (click turns both into Abort)."""
    touch_all(work, "b", "c", "d")
    result = invoke(work, input="", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.INTERRUPTED, result.output
    assert "nothing was run" in result.output
    assert not (work / "a").exists()
    (report,) = reports(work)
    assert report["outcome"] == "interrupted"
    assert report["state"] == "no answer at the consent question: nothing was run"


def test_destructive_step_is_asked_separately_naming_the_loss(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    (work / "scratch").mkdir()
    result = invoke(work, "--fix", "wipe", input="y\nn\n", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.NOT_APPLIED, result.output
    assert f"loses: everything in {work}/scratch" in result.output
    assert f"Step 2 is destructive: it loses everything in {work}/scratch. Run it? [y/N]" in result.output
    assert not (work / "a").exists() and (work / "scratch").is_dir(), "a declined step stops the whole fix"
    result = invoke(work, "--fix", "wipe", input="y\ny\n", terminal=True, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK, result.output
    assert (work / "a").exists() and not (work / "scratch").exists()


def test_without_a_terminal_nothing_writes_and_it_says_why(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.NOT_APPLIED
    assert "no terminal to ask for consent, and no --yes: nothing that writes was run" in result.output
    assert not (work / "a").exists()
    assert reports(work)[0]["outcome"] == "not-applied"


def test_dry_run_shows_the_plan_and_runs_nothing(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--dry-run", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM
    assert "1. [write] Write a" in result.output and "dry run: the plan was shown, nothing ran" in result.output
    assert not (work / "a").exists()


def test_nothing_wrong_exits_0_without_a_plan(work, monkeypatch):
    touch_all(work, "a", "b", "c", "d")
    result = invoke(work, "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK
    assert "nothing wrong found" in result.output and "plan:" not in result.output


def test_manual_fix_is_shown_and_changes_nothing(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--fix", "by-hand", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM
    assert "[read] Do it yourself  (for you to do)" in result.output and f"touch {work}/a" in result.output
    assert "the by-hand fix is yours to do" in result.output
    assert not (work / "a").exists()


# --- running: timeouts, failures, rounds, verdicts ------------------------------------------


def test_a_step_that_times_out_is_reported_and_stops_the_fix(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    started = time.monotonic()
    result = invoke(work, "--fix", "slow", "--yes", monkeypatch=monkeypatch)
    assert time.monotonic() - started < 4.5, "the 5 s sleep must be stopped at its 0.3 s timeout"
    assert result.exit_code == exitcodes.STEP_FAILED, result.output
    assert "⏱ 1. Sleep: timed out after 0.3 s and was stopped" in result.output
    assert "not run: step 2" in result.output
    steps = reports(work)[0]["rounds"][0]["steps"]
    assert [s["status"] for s in steps] == ["timeout", "not-run"]
    assert not (work / "a").exists()


def test_a_failing_step_stops_and_says_what_state_is_left(work, monkeypatch):
    touch_all(work, "c", "d")
    result = invoke(work, "--fix", "failing", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.STEP_FAILED
    assert "│ cannot" in result.output
    report = reports(work)[0]
    assert report["outcome"] == "step-failed" and report["verdict"] is None
    assert report["state"].startswith("done: step 1 (Write a). step 2 (Fail) failed: sh exited 3")
    assert report["state"].endswith("not run: step 3")
    assert (work / "a").exists() and not (work / "b").exists()


def test_new_later_causes_are_fixed_in_rounds_up_to_three(work, monkeypatch):
    result = invoke(work, "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM, result.output
    report = reports(work)[0]
    assert [r["plan"]["fix"] for r in report["rounds"]] == ["make-a", "make-b", "make-c"]
    assert report["verdict"] == "partial" and report["state"] == "still wrong: no-d"
    assert "plan (round 2): make-b" in result.output and "cause now: no-b" in result.output
    assert not (work / "d").exists()
    result = invoke(work, "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK and "verdict: resolved" in result.output


def test_same_cause_after_the_fix_is_unchanged(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--fix", "noop", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM
    assert reports(work)[0]["verdict"] == "unchanged"
    assert len(reports(work)[0]["rounds"]) == 1, "the same cause is not fixed twice"


def test_an_earlier_cause_after_the_fix_is_worse(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--fix", "breaks", "--yes", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.PROBLEM
    report = reports(work)[0]
    assert report["verdict"] == "worse"
    assert (report["before"]["cause"]["id"], report["after"]["cause"]["id"]) == ("no-a", "is-broken")


def test_json_report_on_stdout_and_on_disk_with_secrets_masked(work, monkeypatch):
    touch_all(work, "b", "c", "d")
    result = invoke(work, "--fix", "leaky", "--yes", "--json", monkeypatch=monkeypatch)
    assert result.exit_code == exitcodes.OK, result.output
    report = json.loads(result.stdout)
    assert report["exit_code"] == 0 and report["verdict"] == "resolved"
    assert report["params"] == {"dir": str(work)} and report["options"]["fix"] == "leaky"
    step = report["rounds"][0]["steps"][0]
    assert "Bearer ****" in step["output"] and "ghp_****" in step["output"]
    assert report["rounds"][0]["plan"]["steps"][0]["env"] == {"GITHUB_TOKEN": "****"}
    path = Path(report["report_path"])
    assert path.parent == work.parent / "state/runner/runs"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert "ghp_a" not in path.read_text() and "abcdefghijklmnop12" not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file is left"
    assert "ghp_a" not in result.stderr and "abcdefghijklmnop12" not in result.stderr


def test_unknown_fix_is_exit_2_with_did_you_mean(work):
    done = subprocess.run([sys.executable, "-m", "runner", "--playbooks", str(work.parent / "playbooks"), "fix",
                           "markers", "--param", f"dir={work}", "--fix", "make-aa"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == exitcodes.CANNOT
    assert "no fix 'make-aa' in markers (did you mean 'make-a'?)" in done.stderr


def test_ctrl_c_stops_between_steps(work):
    env = {**os.environ, "XDG_STATE_HOME": str(work.parent / "state"), "COLUMNS": "200"}
    process = subprocess.Popen([sys.executable, "-m", "runner", "--playbooks", str(work.parent / "playbooks"), "fix",
                                "markers", "--param", f"dir={work}", "--fix", "two-steps", "--yes"], cwd=work,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (work / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == exitcodes.INTERRUPTED, out + err
    assert "stopping after the current step" in out
    assert "✓ 1. Start" in out, "the running step finishes"
    assert not (work / "a").exists(), "the next step does not start"
    report = reports(work)[0]
    assert report["outcome"] == "interrupted"
    assert [s["status"] for s in report["rounds"][0]["steps"]] == ["ok", "not-run"]


def test_fix_help_teaches_with_examples():
    result = CliRunner().invoke(cli, ["fix", "--help"])
    assert result.exit_code == 0
    for text in ("--dry-run", "--yes", "--fix FIX_ID", "--param", "Examples:", "prune-all-and-rebuild",
                 "4 not applied", "$XDG_STATE_HOME/runner/runs/"):
        assert text in result.output, text


# --- consent policy, as a table ---------------------------------------------------------------


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


# --- secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, masked", [
    ("token ghp_0123456789abcdefghijABCDEFGHIJ0123 here", "token ghp_**** here"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_****"),
    ("remote: glpat-abcdefghij0123456789", "remote: glpat-****"),
    ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=AKIA****"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ****"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "Authorization: Bearer ****"),
    ("mysql --password=hunter2 -u root", "mysql --password=**** -u root"),
    ('{"password": "s3cret!"}', '{"password": "****"}'),
    ("https://deploy:s3cretpass@git.example.com/app.git", "https://deploy:****@git.example.com/app.git"),
    ("xoxb-1234567890-abcdefghij", "xoxb-****"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
     "-----BEGIN RSA PRIVATE KEY----- **** -----END RSA PRIVATE KEY-----"),
])
def test_secrets_are_masked(text, masked):
    assert mask_secrets(text) == masked


@pytest.mark.parametrize("text", [
    "#12 writing image sha256:bf06f5a6ca0f21d59e9393310634e0aa1d3ad49b168c266182cb3d3a1e41912a done",
    "#8 [backend-builder 3/4] COPY server ./server", "Step 3/7 : RUN npm ci", "git@github.com:team/app.git",
    "https://github.com/moby/buildkit/issues/4817", "the token bucket is empty", "AKIA is a prefix",
])
def test_ordinary_output_is_left_alone(text):
    assert mask_secrets(text) == text


def test_env_values_are_masked_by_name_and_by_shape():
    assert mask_env({"GITHUB_TOKEN": "abc", "DB_PASSWORD": "x", "NPM_AUTH": "y", "DOCKER_BUILDKIT": "1",
                     "NOTE": "Bearer abcdefghijkl"}) == {
        "GITHUB_TOKEN": "****", "DB_PASSWORD": "****", "NPM_AUTH": "****", "DOCKER_BUILDKIT": "1",
        "NOTE": "Bearer ****"}


# --- evidence references ----------------------------------------------------------------------


EVIDENCE = {"source": {"stale_files": [{"path": "a.ts", "same_size": True}, {"path": "b.ts"}],
                       "excluded_changes": []},
            "mounts": {"shadowing": [{"name": "v1", "differing": ["/x", "/y"]}, {"name": "v2", "differing": ["/z"]}]}}


def test_evidence_references_map_over_lists_and_flatten():
    assert lookup_evidence(EVIDENCE, "source", "stale_files.path") == ["a.ts", "b.ts"]
    assert lookup_evidence(EVIDENCE, "mounts", "shadowing.differing") == ["/x", "/y", "/z"]
    assert substitute_evidence({"paths": "{{evidence.source.stale_files.path}}", "ctx": "/c"}, EVIDENCE) == \
        {"paths": ["a.ts", "b.ts"], "ctx": "/c"}
    assert substitute_evidence("hides {{ evidence.mounts.shadowing.name }}", EVIDENCE) == "hides v1, v2"
    assert evidence_refs({"a": ["{{evidence.source.x}}"], "b": "{{param}}"}) == [("source", "x")]
    with pytest.raises(EvidenceMissing, match="no evidence from check 'git'"):
        lookup_evidence(EVIDENCE, "git", "behind")
    with pytest.raises(EvidenceMissing, match="has no 'stale_files.size'"):
        lookup_evidence(EVIDENCE, "source", "stale_files.size")


def test_validate_flags_unknown_actions_arguments_and_evidence(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "id: bad\ntitle: t\nsummary: s\nsymptoms: [{text: s}]\n"
        "checks: [{id: source, kind: engine}]\n"
        "fixes:\n  - id: f\n    title: t\n    steps:\n"
        "      - {title: a, action: {name: recreate-contianer, args: {container: x}}, effect: write}\n"
        "      - {title: b, action: {name: touch-files, args: {context: c, path: p}}, effect: write}\n"
        "      - {title: c, action: {name: touch-files, args: {context: c, paths: '{{evidence.sorce.x}}'}}, "
        "effect: write}\n")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == exitcodes.INVALID_PLAYBOOK
    out = result.output
    assert "fixes[0].steps[0].action.name: unknown action 'recreate-contianer' (did you mean 'recreate-container'?)" \
        in out
    assert "fixes[0].steps[1].action.args.path: unknown argument 'path' (did you mean 'paths'?)" in out
    assert "fixes[0].steps[1].action.args.paths: required argument is missing" in out
    assert "evidence of check 'sorce' is used but there is no such check (did you mean 'source'?)" in out


# --- the .dockerignore actions: the ignore file the build reads ------------------------------


def dockerignore_project(root: Path, specific: bool) -> None:
    (root / "docker").mkdir(parents=True)
    (root / "docker/app.Dockerfile").write_text("FROM scratch\nCOPY server /server\n")
    (root / ".dockerignore").write_text("*.md\n")
    if specific:
        (root / "docker/app.Dockerfile.dockerignore").write_text("# mine\n**/*.local.ts\n")


@pytest.mark.parametrize("specific", [True, False])
def test_unexclude_paths_edits_the_ignore_file_the_build_reads(tmp_path, specific):
    from runner.fix.actions import ActionContext, Exclusion, ExplainExclusionsArgs, UnexcludePathsArgs
    from runner.fix.actions.files import explain_exclusions, unexclude_paths

    dockerignore_project(tmp_path, specific)
    read = tmp_path / ("docker/app.Dockerfile.dockerignore" if specific else ".dockerignore")
    other = tmp_path / ".dockerignore" if specific else None
    ctx = ActionContext(docker_host="unix:///nowhere", cwd=tmp_path)
    explained = explain_exclusions(ExplainExclusionsArgs(
        context=str(tmp_path), dockerfile="docker/app.Dockerfile",
        excluded=[Exclusion(path="server/a.local.ts", pattern="**/*.local.ts")]), ctx)
    assert explained.details["exclusions"][0]["line"] == (2 if specific else None)
    args = UnexcludePathsArgs(context=str(tmp_path), dockerfile="docker/app.Dockerfile", paths=["server/a.local.ts"])
    assert str(read) in args.describe()
    result = unexclude_paths(args, ctx)
    assert result.ok and result.details["file"] == str(read)
    assert read.read_text().endswith("\n!server/a.local.ts\n")
    if other is not None:
        assert other.read_text() == "*.md\n", "the file the build does not read stays as it was"
    assert sorted(p.name for p in tmp_path.rglob("*.runner-*")) == []
