"""`runner lab`: experiments on the real engine decide claims; the lab leaves the engine as it
found it (images, containers, volumes, networks, build-cache records), also after a failing
step or Ctrl-C; the format's references are validated; verdicts are written back with
targeted text edits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from runner.errors import PlaybookError
from runner.lab.buildlog import build_log, parse_build
from runner.lab.placeholders import fill, lookup
from runner.lab.record import record_verdicts
from runner.lab.run import run_lab
from runner.lab.steps import engine_wide_prunes
from runner.playbook.loader import load_file

ROOT = Path(__file__).resolve().parent.parent
DOCKER = "/usr/bin/docker"

# A small project: a COPY, a cache-mount step that says whether its cache was warm, a volume
# and a container. Claim statuses are filled in per test.
MINI = """\
id: mini
title: Mini lab
summary: A lab for testing the lab.
symptoms:
  - text: none
claims:
  - id: touch-keeps-cache
    statement: touch alone keeps COPY cached
    status: {touch}
  - id: prune-keeps-mount
    statement: a plain prune keeps the cache mount
    status: {prune}
lab:
  names: [image, container, volume, cache]
  files:
    Dockerfile: |
      FROM {{{{base}}}}
      WORKDIR /app
      COPY src ./src
      RUN --mount=type=cache,id={{{{cache}}}},target=/cache sh -c 'if [ -f /cache/m ]; then echo "mount: warm"; else echo "mount: cold"; touch /cache/m; fi; cp src/a.txt /app/b.txt'
      CMD ["sleep", "3600"]
    src/a.txt: "hello\\n"
  experiments:
    - id: touch-only
      title: touch keeps the cache
      claims: [touch-keeps-cache]
      setup:
        - build: {{tag: "{{{{image}}}}"}}
          as: first
        - run: [docker, volume, create, "{{{{volume}}}}"]
        - run: [docker, run, -d, --name, "{{{{container}}}}", -v, "{{{{volume}}}}:/data", "{{{{image}}}}"]
      steps:
        - touch: src/a.txt
        - build: {{tag: "{{{{image}}}}"}}
          as: second
        - read_file: {{image: "{{{{image}}}}", path: /app/b.txt}}
          as: file
        - inspect_container: "{{{{container}}}}"
          as: running
      assert:
        - {{of: second, step: COPY src ./src, cached: true}}
        - {{value: second.image_id, same_as: first.image_id}}
        - {{value: file.content, equals: "hello\\n"}}
        - {{value: running.image_id, same_as: first.image_id}}
    - id: prune-mount
      title: a plain prune of the lab's records drops the cache mount
      claims: [prune-keeps-mount]
      expect: refuted
      setup:
        - build: {{tag: "{{{{image}}}}"}}
      steps:
        - append: {{path: src/a.txt, content: "more\\n"}}
        - prune_build_cache: {{}}
          as: pruned
        - build: {{tag: "{{{{image}}}}"}}
          as: after
      assert:
        - {{value: pruned.types.exec_cachemount, equals: 1}}
        - {{value: after.log, matches: "(?m)^mount: cold$"}}
"""

FAILING_STEP = """\
id: broken
title: A lab whose step fails
summary: Cleanup after a failure.
symptoms:
  - text: none
claims:
  - id: anything
    statement: anything
lab:
  names: [image, container, volume]
  files:
    Dockerfile: |
      FROM {{base}}
      CMD ["sleep", "3600"]
  experiments:
    - id: fails-midway
      title: a step fails after creating things
      claims: [anything]
      steps:
        - build: {tag: "{{image}}"}
        - run: [docker, volume, create, "{{volume}}"]
          as: volume_made
        - run: [docker, run, -d, --name, "{{container}}", -v, "{{volume}}:/data", "{{image}}"]
        - run: [sh, -c, "exit 3"]
        - sleep: 1
      assert:
        - {value: volume_made.exit, equals: 0}
"""

SLOW = """\
id: slow
title: A lab to interrupt
summary: Cleanup after Ctrl-C.
symptoms:
  - text: none
claims:
  - id: anything
    statement: anything
lab:
  names: [image, container, volume, TOKEN]
  files:
    Dockerfile: |
      FROM {{base}}
      CMD ["sleep", "3600"]
  experiments:
    - id: waits
      title: creates things, then waits
      claims: [anything]
      steps:
        - build: {tag: "{{image}}"}
        - run: [docker, volume, create, "{{volume}}"]
          as: volume_made
        - run: [docker, run, -d, --name, "{{container}}", -v, "{{volume}}:/data", "{{image}}"]
        - sleep: 10
        - sleep: 10
      assert:
        - {value: volume_made.exit, equals: 0}
"""


def write_playbook(folder: Path, text: str, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def runner(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def engine_state() -> dict[str, set]:
    """Everything the isolation promise covers, by identity."""
    import docker

    api = docker.from_env().api
    return {
        "images": {(i["Id"], tuple(sorted(i.get("RepoTags") or []))) for i in api.images(all=True)},
        "containers": {c["Id"] for c in api.containers(all=True)},
        "volumes": {v["Name"] for v in api.volumes().get("Volumes") or []},
        "networks": {n["Id"] for n in api.networks()},
        "build_cache": {r["ID"] for r in _df(api).get("BuildCache") or []},
    }


def _df(api) -> dict:  # noqa: ANN001
    from docker.errors import APIError

    for _ in range(100):
        try:
            return api.df()
        except APIError as exc:  # another client's disk-usage computation is running
            if "already running" not in str(exc):
                raise
            time.sleep(0.1)
    return api.df()


def lab_objects(run_id: str) -> list[str]:
    """Anything on the engine that a lab run named or labelled."""
    import docker

    api = docker.from_env().api
    label = {"label": f"runner.lab={run_id}"}
    prefix = f"runner-lab-{run_id}-"
    found = [f"image {i['Id']}" for i in api.images(all=True, filters=label)]
    found += [f"image {t}" for i in api.images(all=True) for t in i.get("RepoTags") or [] if t.startswith(prefix)]
    found += [f"container {c['Id']}" for c in api.containers(all=True, filters=label)]
    found += [f"container {n}" for c in api.containers(all=True) for n in c["Names"] if n.lstrip("/").startswith(prefix)]
    found += [f"volume {v['Name']}" for v in api.volumes().get("Volumes") or [] if v["Name"].startswith(prefix)]
    return found


# --- on the engine ------------------------------------------------------------------------

@pytest.mark.engine
def test_lab_leaves_the_engine_as_it_found_it(engine, tmp_path):
    path = write_playbook(tmp_path / "playbooks", MINI.format(touch="confirmed", prune="refuted"), "mini")
    playbook = load_file(path)
    before = engine_state()
    report = run_lab(playbook, path)
    after = engine_state()

    assert report.status == "pass", [report.problems] + [(e.id, e.outcome, e.error, [a.describe for a in e.assertions])
                                     for e in report.experiments]
    assert report.cleanup is not None and report.cleanup.left == ()
    assert lab_objects(report.run_id) == []
    deleted = {kind: {key for k, key in report.cleanup.deleted if k == kind}
               for kind in ("image", "container", "volume", "network", "build-cache")}
    # The lab created and removed things of every kind it promises to clean ...
    assert deleted["image"] and deleted["container"] and deleted["volume"] and deleted["build-cache"]
    # ... and removed nothing that was there before it started.
    assert not deleted["build-cache"] & before["build_cache"]
    assert not deleted["build-cache"] - set(report.owned_build_cache)
    assert not deleted["image"] & {i for i, _ in before["images"]}
    assert not deleted["container"] & before["containers"]
    assert not deleted["volume"] & before["volumes"]
    # Nothing it owned is left.
    assert not set(report.owned_build_cache) & after["build_cache"]
    # Compared whole: the engine is as it was. Another client working on the same engine
    # meanwhile (a developer's machine) shows up as changes to images, containers, volumes or
    # networks that carry no mark of the lab; then only the lab's own objects can be compared.
    others = {kind: after[kind] ^ before[kind] for kind in ("images", "containers", "volumes", "networks")}
    if any(others.values()):
        import warnings

        warnings.warn(f"another client changed the engine during the test: {others}", stacklevel=1)
        return
    for kind in before:
        assert after[kind] == before[kind], (
            f"{kind}: new {sorted(after[kind] - before[kind])[:5]}, gone {sorted(before[kind] - after[kind])[:5]}")


@pytest.mark.engine
def test_a_claim_the_lab_refutes_makes_runner_lab_exit_6_with_json(engine, tmp_path):
    folder = tmp_path / "playbooks"
    write_playbook(folder, MINI.format(touch="confirmed", prune="confirmed"), "mini")
    done = runner("--playbooks", str(folder), "lab", "mini", "--json")
    assert done.returncode == 6, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "differs" and report["recorded"] == {}
    (lab,) = report["labs"]
    assert lab["playbook"] == "mini" and lab["status"] == "differs"
    assert lab["engine"].startswith("Docker Engine ") and lab["client"].startswith("docker ")
    claims = {c["id"]: c for c in lab["claims"]}
    assert set(claims) == {"touch-keeps-cache", "prune-keeps-mount"}
    assert claims["touch-keeps-cache"] | {} == {**claims["touch-keeps-cache"], "verdict": "confirmed",
                                                "recorded": "confirmed", "agrees": True}
    assert (claims["prune-keeps-mount"]["verdict"], claims["prune-keeps-mount"]["agrees"]) == ("refuted", False)
    for claim in claims.values():
        assert set(claim) >= {"id", "statement", "verdict", "recorded", "agrees", "experiments", "engine", "client"}
        assert claim["engine"] == lab["engine"] and claim["client"] == lab["client"]
    experiments = {e["id"]: e for e in lab["experiments"]}
    assert experiments["prune-mount"]["verdict"] == "refuted"
    for experiment in experiments.values():
        assert experiment["outcome"] == "held" and experiment["seconds"] > 0
        assert all(set(s) >= {"phase", "action", "describe", "seconds", "ok"} for s in experiment["steps"])
        assert all(a["passed"] for a in experiment["assertions"])
    assert lab["cleanup"]["left"] == [] and lab["problems"] == []
    assert "mini" in done.stderr  # the progress lines go to stderr, the JSON alone to stdout


@pytest.mark.engine
def test_record_writes_the_verdicts_then_the_lab_passes(engine, tmp_path):
    folder = tmp_path / "playbooks"
    path = write_playbook(folder, "# a comment that must stay\n" + MINI.format(touch="unverified",
                                                                               prune="unverified"), "mini")
    done = runner("--playbooks", str(folder), "lab", "mini", "--record")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "recorded 2 claim(s)" in done.stdout
    text = path.read_text()
    assert text.startswith("# a comment that must stay\n")
    playbook = load_file(path)
    assert {c.id: c.status.value for c in playbook.claims} == {"touch-keeps-cache": "confirmed",
                                                               "prune-keeps-mount": "refuted"}
    verified = playbook.claim("prune-keeps-mount").verified
    assert len(verified) == 1 and verified[0].by == "lab" and verified[0].engine.startswith("Docker Engine")
    again = runner("--playbooks", str(folder), "lab", "mini")
    assert again.returncode == 0, again.stdout
    assert "every verdict agrees" in again.stdout


@pytest.mark.engine
def test_a_failing_step_still_cleans_up(engine, tmp_path):
    folder = tmp_path / "playbooks"
    write_playbook(folder, FAILING_STEP, "broken")
    done = runner("--playbooks", str(folder), "lab", "broken", "--json")
    assert done.returncode == 2, done.stdout + done.stderr
    (lab,) = json.loads(done.stdout)["labs"]
    (experiment,) = lab["experiments"]
    assert experiment["outcome"] == "error" and "exited 3 (expected 0)" in experiment["error"]
    assert lab["claims"][0]["verdict"] == "error"
    kinds = {kind for kind, _ in lab["cleanup"]["deleted"]}
    assert {"image", "container", "volume"} <= kinds
    assert lab_objects(lab["run"]) == []


@pytest.mark.engine
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_lab_cleans_up(engine, tmp_path, signum):
    import docker

    # A name of this test's own (other labs may run on the same engine): the container's.
    process, run_id = start_slow_lab(tmp_path / "playbooks", "t" + uuid.uuid4().hex[:10], docker.from_env().api)
    try:
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, out + err
    assert "interrupted" in err and "Traceback" not in err
    assert lab_objects(run_id) == []


def start_slow_lab(folder: Path, token: str, api) -> tuple[subprocess.Popen, str]:  # noqa: ANN001
    """`runner lab slow` in a process of its own, once its container exists; (process, run id)."""
    write_playbook(folder, SLOW.replace("TOKEN", token).replace('"{{container}}", -v', f'"{{{{{token}}}}}", -v'),
                   "slow")
    before = {c["Id"] for c in api.containers(all=True)}
    # Ctrl-C as a terminal sends it, also when this test runs in a background job of a shell
    # (which starts its children with SIGINT ignored, and Python then leaves it ignored).
    process = subprocess.Popen([sys.executable, "-m", "runner", "--playbooks", str(folder), "lab", "slow"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    started = []
    while not started and time.monotonic() < deadline and process.poll() is None:
        started = [c for c in api.containers(all=True, filters={"name": f"-01-{token}"}) if c["Id"] not in before]
        time.sleep(0.2)
    if not started:
        process.kill()
        raise AssertionError("the lab never started its container: " + process.communicate()[1])
    return process, started[0]["Names"][0].lstrip("/").split("-")[2]


@pytest.mark.engine
def test_clean_up_removes_what_a_killed_lab_left_and_nothing_else(engine, tmp_path):
    import docker

    from dockerlab import LABEL, SESSION, build_cache_ids
    from runner.lab.janitor import ledger_dir

    api = docker.from_env().api
    # A lab run of another machine (no ledger here), younger than --older-than: not ended.
    elsewhere = "e" + uuid.uuid4().hex[:7]
    stranger = api.create_volume(name=f"runner-test-{elsewhere}", labels={"runner.lab": elsewhere, LABEL: SESSION})
    process, run_id = start_slow_lab(tmp_path / "playbooks", "t" + uuid.uuid4().hex[:10], api)
    try:
        ledger = ledger_dir() / f"{run_id}.json"
        owned = set(json.loads(ledger.read_text())["owned"])
        assert owned  # the base image's records, at least
        process.kill()  # SIGKILL: the lab cannot clean up
        process.wait(timeout=30)
        assert lab_objects(run_id)
        done = runner("lab", "--clean-up", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        runs = {run["run"]: run for run in report["runs"]}
        assert runs[run_id]["why"] == "its process is gone"
        removed = runs[run_id]["removed"]
        assert removed["containers"] == 1 and removed["volumes"] == 1 and removed["images"] >= 2, removed
        assert removed["build_cache"] >= 1 and report["left"] == []
        assert lab_objects(run_id) == []
        assert not owned & build_cache_ids()
        assert not ledger.exists()
        assert elsewhere not in runs
        assert api.inspect_volume(stranger["Name"])["Labels"]["runner.lab"] == elsewhere
        again = runner("lab", "--clean-up")
        assert again.returncode == 0 and run_id not in again.stdout
    finally:
        if process.poll() is None:
            process.kill()
        api.remove_volume(stranger["Name"], force=True)


@pytest.mark.engine
def test_lab_of_a_playbook_without_one_is_a_clear_error(engine, tmp_path):
    folder = tmp_path / "playbooks"
    write_playbook(folder, "id: nolab\ntitle: t\nsummary: s\nsymptoms: [{text: x}]\n", "nolab")
    done = runner("--playbooks", str(folder), "lab", "nolab")
    assert done.returncode == 2 and "nolab has no lab section" in done.stderr
    done = runner("--playbooks", str(folder), "lab", "--all")
    assert done.returncode == 2 and "no playbook" in done.stderr and "has a lab" in done.stderr


# --- the format and its references (no engine) ---------------------------------------------

BASE = """\
id: refs
title: t
summary: s
symptoms: [{text: x}]
claims:
  - {id: real-claim, statement: x}
wrong_attempts:
  - {id: real-attempt, title: t, why: [x], verdict: fails}
"""


def problems_of(tmp_path: Path, lab: str) -> list[str]:
    path = tmp_path / "refs.yaml"
    path.write_text(BASE + textwrap.dedent(lab))
    with pytest.raises(PlaybookError) as caught:
        load_file(path)
    return [str(p) for p in caught.value.problems]


def test_lab_references_must_exist(tmp_path):
    problems = problems_of(tmp_path, """\
        lab:
          experiments:
            - id: e
              title: t
              claims: [no-such-claim]
              wrong_attempt: real-attemp
              fix: no-fix
              cause: no-cause
              steps: [{sleep: 1}]
              assert: [{value: x.y, equals: 1}]
        """)
    text = "\n".join(problems)
    assert "lab.experiments[0].claims[0]: claim 'no-such-claim' does not exist" in text
    assert "wrong attempt 'real-attemp' does not exist (did you mean 'real-attempt'?)" in text
    assert "lab.experiments[0].fix: fix 'no-fix' does not exist" in text
    assert "lab.experiments[0].cause: cause 'no-cause' does not exist" in text
    assert "lab.experiments[0].assert[0].value: 'x' is not saved by any step" in text
    assert all(p.startswith(f"{tmp_path / 'refs.yaml'}:") for p in problems)  # file:line:col


def test_lab_placeholders_and_saved_names_are_checked(tmp_path):
    problems = problems_of(tmp_path, """\
        lab:
          names: [image, base]
          files: {Dockerfile: "FROM {{bse}}\\n"}
          experiments:
            - id: e
              title: t
              claims: [real-claim]
              steps:
                - run: [docker, run, "{{imag}}"]
                  as: r
                - sleep: 1
                  as: r
                - build: {tag: "{{later.id}}"}
                - image_id: x
                  as: later
              assert:
                - {of: r, all_cached: true}
                - {of: later, step: COPY, cached: true}
                - {value: later.id, equals: x, shows: fix}
        """)
    text = "\n".join(problems)
    assert "lab.names[1]: 'base' is a built-in placeholder" in text
    assert "lab.files.Dockerfile: placeholder {{bse}} is not defined (did you mean 'base'?" in text
    assert "steps[0].run[2]: placeholder {{imag}} is not defined (did you mean 'image'?" in text
    assert "steps[1].as: 'r' is already defined" in text
    assert "steps[2].build.tag: placeholder {{later}} is not defined" in text
    assert "assert[1].of: 'later' is not a build" in text
    assert "assert[2].shows: the experiment is not tied to a fix" in text


def test_lab_step_and_assertion_shapes(tmp_path):
    problems = problems_of(tmp_path, """\
        lab:
          experiments:
            - id: e
              title: t
              claims: [real-claim]
              steps:
                - {sleep: 1, touch: a}
                - {}
                - {sleep: 60}
              assert:
                - {value: a.b}
                - {of: a, value: a.b, equals: 1}
        """)
    text = "\n".join(problems)
    assert "steps[0]: give exactly one action of run, build" in text and "(got touch, sleep)" in text
    assert "steps[1]: give exactly one action" in text and "(got none)" in text
    assert "steps[2].sleep: input should be less than or equal to 10" in text.lower()
    assert "assert[0]: say how to test the value" in text
    assert "assert[1]: a build assertion (of) takes step + cached" in text


def test_the_shipped_lab_validates_and_names_every_claim_it_decides():
    playbook = load_file(ROOT / "playbooks/buildkit-stale.yaml")
    assert playbook.lab is not None
    decided = {c for e in playbook.lab.experiments for c in e.claims}
    assert decided >= {"touch-does-not-bust-cache", "cache-keyed-on-content", "rmi-keeps-build-cache",
                       "prune-keeps-cache-mounts", "no-cache-much-slower-than-prune",
                       "cachebust-arg-reruns-following-steps", "dummy-comment-busts-cache"}
    causes = {e.cause for e in playbook.lab.experiments if e.cause}
    assert causes == {c.id for c in playbook.causes} - {"different-daemon"}  # one engine only: never a second
    for claim in playbook.claims:
        if claim.id in decided:
            assert claim.status.value != "unverified" and claim.verified, claim.id


def test_fixes_that_prune_the_whole_engine_are_never_run_by_the_lab():
    playbook = load_file(ROOT / "playbooks/buildkit-stale.yaml")
    assert engine_wide_prunes(playbook, None) == []
    assert engine_wide_prunes(playbook, "prune-all-and-rebuild") == [
        "prune-all-and-rebuild: docker builder prune -f"]


# --- library pieces ----------------------------------------------------------------------

PLAIN_LOG = """\
#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s

#4 [backend-builder 1/5] FROM docker.io/library/base:lab
#4 DONE 0.0s

#7 [backend-builder 3/5] COPY server ./server
#7 CACHED

#8 [backend-builder 4/5] RUN --mount=type=cache,target=/c sh -c 'echo "npm-cache: cold"'
#8 0.390 npm-cache: warm
#8 DONE 0.4s

#9 [stage-1 2/2] COPY public ./public
#9 ERROR: failed to compute cache key: "/public" not found
"""


def test_parse_build_reads_steps_cached_and_output():
    steps = parse_build(PLAIN_LOG)
    assert [(s["instruction"], s["cached"], s["from"]) for s in steps] == [
        ("FROM docker.io/library/base:lab", False, True),
        ("COPY server ./server", True, False),
        ("RUN --mount=type=cache,target=/c sh -c 'echo \"npm-cache: cold\"'", False, False),
        ("COPY public ./public", False, False),
    ]
    assert steps[2]["seconds"] == 0.4 and steps[3]["error"] is True
    # The step name quotes the command: only what the step printed counts as its output.
    assert build_log(PLAIN_LOG) == "npm-cache: warm"


def test_placeholders_fill_values_and_keep_go_templates():
    scope = {"image": "runner-lab-1-image", "b1": {"image_id": "sha256:abc", "steps": [{"n": 1}]}}
    assert fill(["docker", "inspect", "-f", "{{.Image}}", "{{image}}"], scope) == \
        ["docker", "inspect", "-f", "{{.Image}}", "runner-lab-1-image"]
    assert fill("{{b1.steps}}", scope) == [{"n": 1}]  # a whole reference keeps its type
    assert fill("id={{b1.image_id}}", scope) == "id=sha256:abc"
    assert lookup(scope, "b1.steps.0.n") == 1


def test_record_verdicts_edits_only_the_claims(tmp_path):
    from runner.lab.results import ClaimResult, Cleanup, LabReport, Versions

    source = (ROOT / "playbooks/buildkit-stale.yaml").read_text()
    path = tmp_path / "buildkit-stale.yaml"
    path.write_text(source)
    versions = Versions("Docker Engine 99.0", "docker 99.0 (buildx)", "/usr/bin/docker", "unix:///x.sock")
    claim = ClaimResult("df-shows-build-cache", "x", "refuted", "confirmed", (), versions.engine, versions.client)
    report = LabReport("buildkit-stale", "r1", "differs", versions, "now", 1.0, (), (claim,), (),
                       Cleanup({}, (), ()))
    import datetime as dt

    assert record_verdicts(path, report, dt.date(2030, 1, 2)) == ["df-shows-build-cache"]
    edited = path.read_text()
    playbook = load_file(path)
    recorded = playbook.claim("df-shows-build-cache")
    assert recorded.status.value == "confirmed"
    assert recorded.verified[-1].engine == "Docker Engine 99.0" and recorded.verified[-1].on == dt.date(2030, 1, 2)
    assert len(recorded.verified) == len(load_file(ROOT / "playbooks/buildkit-stale.yaml")
                                         .claim("df-shows-build-cache").verified) + 1
    # Only that claim's lines changed: every other line, comments included, is the same.
    removed = set(source.splitlines()) - set(edited.splitlines())
    assert all("status:" in line for line in removed), removed
    # Recording the same verification again changes nothing.
    assert record_verdicts(path, report, dt.date(2030, 1, 2)) == []
    assert path.read_text() == edited


def test_runner_help_lists_lab_and_stays_light():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "runner", "--help"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0 and "lab" in done.stdout
    assert "docker" not in {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines()}
    done = subprocess.run([sys.executable, "-m", "runner", "lab", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "Exit codes" in done.stdout and "--record" in done.stdout


def test_running_labs_claim_their_records_for_other_cleaners(tmp_path, monkeypatch):
    import runner.lab.janitor as lab

    monkeypatch.setattr(lab.tempfile, "gettempdir", lambda: str(tmp_path))
    folder = lab.ledger_dir()
    folder.mkdir()
    (folder / "live.json").write_text(json.dumps({"pid": os.getpid(), "owned": ["aaa", "bbb"]}))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / "gone.json").write_text(json.dumps({"pid": dead.pid, "owned": ["ccc"]}))
    (folder / "broken.json").write_text("{")
    assert lab.claimed_build_cache() == {"aaa", "bbb"}


def test_one_lab_at_a_time_on_an_engine(tmp_path, monkeypatch):
    import tempfile

    import runner.lab.lock as lab

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""\
            import time, tempfile, runner.lab.lock as lab
            tempfile.gettempdir = lambda: {str(tmp_path)!r}
            with lab.engine_lock("unix:///x.sock", "first", lambda _: None):
                print("held", flush=True)
                time.sleep(1.5)
            """)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout.readline().strip() == "held"
    told: list[str] = []
    started = time.monotonic()
    with lab.engine_lock("unix:///x.sock", "second", told.append):
        waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert told == ["run first, pid %d" % holder.pid] and waited > 0.5
    with lab.engine_lock("unix:///other.sock", "third", told.append):  # another engine: no wait
        pass
    assert len(told) == 1
