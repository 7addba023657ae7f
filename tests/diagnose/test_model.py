"""`runner diagnose buildkit-stale` against a model of what a team does, on a real engine.

A state machine (hypothesis' stateful testing) drives a real git remote, a developer's clone, a
server's checkout and the session's engine through what a team does: edits inside a COPY'd
folder, outside every COPY, or in a file `.dockerignore` excludes; commits, amends, rebases,
reverts, cherry-picks; pushes, pulls, fetches, hard resets to the upstream; builds (of sources
built before too, on a warm or a cold cache), restarts and re-creations, with a named volume or
a bind mount over the build output; hotfixes on the server; two operations in the same second.

The model knows, from what it did and never from the runner's code, what the checkout holds,
what each image holds, what the container serves, and so which link of the chain from checkout
to container is broken; when several are, it names the first in the playbook's documented
order. After every step `runner diagnose` must name that cause, or say ok. From a state whose
causes all have automatic fixes, `runner fix --yes` must end with ok and the container serving
what the checkout builds.

The image a build yields is read from the engine (a cold cache rebuilds the same sources into a
new image ID); what it holds is the model's. `make test` runs a few short sequences per engine
(RUNNER_MODEL_EXAMPLES x RUNNER_MODEL_STEPS, 4 x 10 by default); a long run is

    RUNNER_MODEL_EXAMPLES=25 RUNNER_MODEL_STEPS=20 .venv/bin/pytest -s -m engine --engine 26.1 \
        tests/diagnose/test_model.py -k follows       # prints what it covered: diagnoses, fixes, causes

A failing sequence is shrunk by hypothesis and printed; keep it in REGRESSIONS below, where it
runs again on every engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dockerlab
import pytest
from dockerlab import LABEL, SESSION, docker, run
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("RUNNER_MODEL_EXAMPLES", "4"))
STEPS = int(os.environ.get("RUNNER_MODEL_STEPS", "10"))

APP = "src/app.txt"  # copied into the image
SETTINGS = "src/site.local.txt"  # inside the copied folder, excluded by .dockerignore
NOTES = "docs/notes.md"  # outside every COPY
FILES = {"app": APP, "settings": SETTINGS, "notes": NOTES}
DOCKERFILE = 'FROM {base}\nWORKDIR /app\nCOPY src/ ./src/\nCMD ["sh", "-c", "trap \'exit 0\' TERM; sleep 3600 & wait"]\n'
DOCKERIGNORE = "src/*.local.txt\n"
MOUNTED = "/app/src"

# The playbook's causes, first to last: when several hold, diagnose names the first.
ORDER = ("git-not-updated", "change-excluded-by-dockerignore", "image-not-rebuilt", "container-not-recreated",
         "mount-shadows-image")
AUTOMATIC = {"git-not-updated", "image-not-rebuilt", "container-not-recreated"}  # fixes `fix --yes` applies


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd=cwd).stdout.strip()


@dataclass
class World:
    """The real things (folders, engine objects) and the model of what they hold."""

    root: Path
    name: str = field(default_factory=lambda: f"runner-test-{SESSION}-model-{uuid.uuid4().hex[:6]}")
    counter: int = 0
    # the model
    dev: dict[str, str] = field(default_factory=dict)  # the developer's work tree
    server: dict[str, str] = field(default_factory=dict)  # the server's work tree
    images: dict[str, str] = field(default_factory=dict)  # image ID -> the app file it holds
    tag: str | None = None  # the image ID the tag names
    container_image: str | None = None  # the image ID the container runs
    settings_at_deploy: str | None = None  # the excluded file when the container was made
    settings_committed_at_deploy: str | None = None  # ... and in the commit the checkout was on then
    mount: str = "none"  # none | volume | bind, chosen when the container is made
    mounted: str | None = None  # what the volume or the bind folder holds
    pushed_amend: bool = False  # the remote's history was rewritten (a fast-forward pull fails)
    cache_records: set[str] = field(default_factory=set)  # build-cache records this world made

    @property
    def dev_dir(self) -> Path:
        return self.root / "dev"

    @property
    def server_dir(self) -> Path:
        return self.root / "server"

    @property
    def remote(self) -> Path:
        return self.root / "remote.git"

    @property
    def image(self) -> str:
        return f"{self.name}:live"

    @property
    def volume(self) -> str:
        return f"{self.name}-src"

    def content(self, what: str) -> str:
        self.counter += 1
        return f"{what} v{self.counter} {uuid.uuid4().hex[:4]}\n"

    # --- the oracle ------------------------------------------------------------------------

    def behind(self) -> bool:
        tracking = git(self.server_dir, "rev-parse", "origin/main")
        head = git(self.server_dir, "rev-parse", "HEAD")
        return tracking != head and subprocess.run(
            ["git", "merge-base", "--is-ancestor", tracking, head], cwd=self.server_dir).returncode != 0

    def broken(self) -> list[str]:
        """Every broken link of the chain, in the playbook's order."""
        found = []
        if self.behind():
            found.append("git-not-updated")
        current = self.images.get(self.tag or "") == self.server[APP]
        if current and self.container_image is not None and self.excluded_changed(self.server[SETTINGS]):
            found.append("change-excluded-by-dockerignore")
        if not current:
            found.append("image-not-rebuilt")
        if self.container_image != self.tag:
            found.append("container-not-recreated")
        if self.mount != "none" and self.mounted != self.images.get(self.container_image or ""):
            found.append("mount-shadows-image")
        return found

    def excluded_changed(self, settings: str) -> bool:
        """The excluded file differs from what it was at the deploy. An uncommitted edit that was
        there at the deploy and has been thrown away since (a hard reset back to the deploy's
        commit) left no trace: git has the commits and today's work tree, nothing in between. So
        a file back at the deploy's committed content is not a change anyone can show."""
        return settings != self.settings_at_deploy and settings != self.settings_committed_at_deploy

    def expected(self) -> str:
        broken = self.broken()
        return broken[0] if broken else "ok"

    def fixable(self) -> bool:
        """Whether `fix --yes` can take every broken link away: each has an automatic fix, in
        the order the rounds meet them (update the checkout, rebuild, recreate), and none that
        follows is manual (an excluded change, a mount over the output)."""
        broken = self.broken()
        if not broken or not set(broken) <= AUTOMATIC or self.mount != "none":
            return False
        settings = self.server[SETTINGS]
        if "git-not-updated" in broken:
            dirty = git(self.server_dir, "status", "--porcelain", "--untracked-files=no")
            if self.pushed_amend or dirty:
                return False  # `git pull --ff-only` refuses
            settings = git(self.server_dir, "show", f"origin/main:{SETTINGS}") + "\n"
        # The excluded change comes before the recreate in the playbook's order: it would stop the fix.
        return not self.excluded_changed(settings)

    # --- the real things -------------------------------------------------------------------

    def setup(self, base: str) -> None:
        self.dev_dir.mkdir(parents=True)
        files = {"Dockerfile": DOCKERFILE.format(base=base), ".dockerignore": DOCKERIGNORE,
                 APP: self.content("app"), SETTINGS: self.content("settings"), NOTES: self.content("notes"),
                 # identical content builds identical images: this world's own
                 "src/world.txt": self.name + "\n"}
        for path, text in files.items():
            write(self.dev_dir / path, text)
        git(self.dev_dir, "init", "-q", "-b", "main")
        self.commit_dev("initial")
        run(["git", "clone", "-q", "--bare", str(self.dev_dir), str(self.remote)])
        git(self.dev_dir, "remote", "add", "origin", str(self.remote))
        git(self.dev_dir, "fetch", "-q", "origin")
        git(self.dev_dir, "branch", "-q", "--set-upstream-to=origin/main")
        run(["git", "clone", "-q", str(self.remote), str(self.server_dir)])
        self.dev = {path: (self.dev_dir / path).read_text() for path in FILES.values()}
        self.server = dict(self.dev)
        self.build()
        self.recreate("none")

    def commit_dev(self, message: str, *extra: str) -> None:
        git(self.dev_dir, "add", "-A")
        git(self.dev_dir, "commit", "-q", "--allow-empty", "-m", message, *extra)

    def read_server(self) -> None:
        self.server = {path: (self.server_dir / path).read_text() for path in FILES.values()}

    def build(self) -> None:
        before = dockerlab.build_cache_ids()
        docker("build", "-q", "--label", f"{LABEL}={SESSION}", "-t", self.image, str(self.server_dir))
        self.cache_records |= dockerlab.build_cache_ids() - before
        self.tag = docker("image", "inspect", "-f", "{{.Id}}", self.image).stdout.strip()
        self.images.setdefault(self.tag, self.server[APP])

    def recreate(self, mount: str) -> None:
        docker("rm", "-f", self.name, check=False)
        args = ["run", "-d", "--name", self.name, "--label", f"{LABEL}={SESSION}"]
        if mount == "volume":
            if self.mount != "volume":  # a fresh volume is filled from the image once
                docker("volume", "rm", "-f", self.volume, check=False)
                docker("volume", "create", "--label", f"{LABEL}={SESSION}", self.volume)
                self.mounted = self.images[self.tag]
            args += ["-v", f"{self.volume}:{MOUNTED}"]
        elif mount == "bind":
            folder = self.root / "bind"
            if self.mount != "bind":  # what was copied there once, never updated since
                shutil.rmtree(folder, ignore_errors=True)
                write(folder / "app.txt", self.server[APP])
                write(folder / "world.txt", self.name + "\n")
                self.mounted = self.server[APP]
            args += ["-v", f"{folder}:{MOUNTED}"]
        else:
            self.mounted = None
        docker(*args, self.image)
        self.mount = mount
        self.container_image = self.tag
        self.deployed()

    def deployed(self) -> None:
        """The container was (re)made from the checkout as it is now."""
        self.settings_at_deploy = self.server[SETTINGS]
        self.settings_committed_at_deploy = git(self.server_dir, "show", f"HEAD:{SETTINGS}") + "\n"

    def diagnose(self) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "diagnose", "buildkit-stale",
             "--json", "--param", f"image={self.image}", "--param", f"context={self.server_dir}",
             "--param", f"container={self.name}"], capture_output=True, text=True, timeout=600, cwd=self.server_dir)
        assert done.stdout, done.stderr
        return json.loads(done.stdout)

    def fix(self) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "runner", "--playbooks", str(ROOT / "playbooks"), "fix", "buildkit-stale",
             "--yes", "--json", "--param", f"image={self.image}", "--param", f"context={self.server_dir}",
             "--param", f"container={self.name}"], capture_output=True, text=True, timeout=900, cwd=self.server_dir,
            stdin=subprocess.DEVNULL)
        assert done.stdout, done.stderr
        return json.loads(done.stdout)

    def serves(self) -> str:
        return docker("exec", self.name, "cat", f"/app/{APP}").stdout

    def clean(self) -> None:
        docker("rm", "-f", "-v", self.name, check=False)
        docker("volume", "rm", "-f", self.volume, check=False)
        for image in {self.image, *self.images}:
            docker("rmi", "-f", image, check=False)
        dockerlab.prune_records(self.cache_records | (dockerlab.build_cache_ids() & self.cache_records))


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def describe(report: dict) -> str:
    checks = {c["id"]: f"{c['status']}: {c['summary']}" for c in report.get("checks", [])}
    return json.dumps({"status": report.get("status"), "cause": (report.get("cause") or {}).get("id"),
                       "checks": checks}, indent=1, ensure_ascii=False)


# --- what a team does ----------------------------------------------------------------------

WHICH = st.sampled_from(sorted(FILES))


class Team(RuleBasedStateMachine):
    world: World

    @initialize()
    def start(self) -> None:
        self.world = World(Path(TMP.mktemp("model")))
        WORLDS.append(self.world)
        TALLY["sequences"] += 1
        self.world.setup(dockerlab.BASE_IMAGE)

    # the developer ------------------------------------------------------------------------

    @rule(which=WHICH)
    def commit(self, which: str) -> None:
        w = self.world
        w.dev[FILES[which]] = w.content(which)
        write(w.dev_dir / FILES[which], w.dev[FILES[which]])
        w.commit_dev(f"edit {which}")

    @rule(which=st.none() | WHICH)
    def amend(self, which: str | None) -> None:
        """Amend the last commit (a new date; new content when `which`)."""
        w = self.world
        if which:
            w.dev[FILES[which]] = w.content(which)
            write(w.dev_dir / FILES[which], w.dev[FILES[which]])
        w.commit_dev("amended", "--amend")

    @rule()
    def rebase(self) -> None:
        """Rewrite the last commit with the same content and a new date (`rebase --force-rebase`)."""
        w = self.world
        if git(w.dev_dir, "rev-list", "--count", "HEAD") != "1":
            git(w.dev_dir, "rebase", "-q", "--force-rebase", "HEAD~1")

    @rule()
    def revert(self) -> None:
        w = self.world
        if git(w.dev_dir, "rev-list", "--count", "HEAD") != "1":
            run(["git", "revert", "--no-edit", "HEAD"], cwd=w.dev_dir, check=False)
            w.dev = {path: (w.dev_dir / path).read_text() for path in FILES.values()}

    @rule(which=WHICH)
    def cherry_pick(self, which: str) -> None:
        """A commit made on a side branch, then picked onto main."""
        w = self.world
        git(w.dev_dir, "checkout", "-q", "-B", "side")
        write(w.dev_dir / FILES[which], w.content(which))
        w.commit_dev(f"side {which}")
        picked = git(w.dev_dir, "rev-parse", "HEAD")
        git(w.dev_dir, "checkout", "-q", "main")
        run(["git", "cherry-pick", picked], cwd=w.dev_dir, check=False)
        w.dev = {path: (w.dev_dir / path).read_text() for path in FILES.values()}

    @rule()
    def push(self) -> None:
        w = self.world
        rewritten = subprocess.run(["git", "merge-base", "--is-ancestor", "origin/main", "HEAD"],
                                   cwd=w.dev_dir).returncode != 0
        git(w.dev_dir, "push", "-q", "--force", "origin", "main")
        git(w.dev_dir, "fetch", "-q", "origin")
        w.pushed_amend = w.pushed_amend or rewritten

    # the server ---------------------------------------------------------------------------

    @rule()
    def fetch(self) -> None:
        git(self.world.server_dir, "fetch", "-q", "origin")

    @rule()
    def pull(self) -> None:
        """The deploy script's update: a fast-forward, or a hard reset when history was rewritten."""
        w = self.world
        git(w.server_dir, "fetch", "-q", "origin")
        if run(["git", "merge", "-q", "--ff-only", "origin/main"], cwd=w.server_dir, check=False).returncode:
            git(w.server_dir, "reset", "-q", "--hard", "origin/main")
        w.pushed_amend = False
        w.read_server()

    @rule(which=WHICH)
    def hotfix(self, which: str) -> None:
        """An edit on the server itself, not committed."""
        w = self.world
        w.server[FILES[which]] = w.content(which)
        write(w.server_dir / FILES[which], w.server[FILES[which]])

    @rule()
    def reset_hard(self) -> None:
        w = self.world
        git(w.server_dir, "reset", "-q", "--hard", "origin/main")
        git(w.server_dir, "clean", "-q", "-fd")
        w.pushed_amend = False
        w.read_server()

    @rule()
    def build(self) -> None:
        self.world.build()

    @rule(mount=st.sampled_from(["none", "none", "volume", "bind"]))
    def recreate(self, mount: str) -> None:
        self.world.recreate(mount)

    @rule(mount=st.sampled_from(["none", "volume"]))
    def deploy(self, mount: str) -> None:
        """Pull, build, recreate: the whole deploy script, in well under a second between steps."""
        self.pull()
        self.world.build()
        self.world.recreate(mount)

    @rule()
    def restart(self) -> None:
        docker("restart", "-t", "0", self.world.name)

    @rule(which=st.sampled_from(["app", "settings"]), build_first=st.booleans())
    def same_second(self, which: str, build_first: bool) -> None:
        """A hotfix and a build in the same second, either way round, then the container made."""
        w = self.world
        if build_first:
            w.build()
            w.recreate(w.mount)
            self.hotfix(which)
        else:
            self.hotfix(which)
            w.build()
            w.recreate(w.mount)

    @rule()
    def prune(self) -> None:
        """`docker builder prune`, as on an engine with only this project: its own records."""
        w = self.world
        w.cache_records = dockerlab.prune_records(w.cache_records)

    @precondition(lambda self: hasattr(self, "world") and self.world.fixable())
    @rule()
    def fix(self) -> None:
        w = self.world
        container_before = docker("inspect", "-f", "{{.Id}}", w.name).stdout.strip()
        report = w.fix()
        TALLY["fixes"] += 1
        assert report["after"] and report["after"]["status"] == "ok", json.dumps(report, indent=1)[:4000]
        # What the fix did, in the model: the checkout updated, the tag rebuilt, the container remade.
        w.read_server()
        w.tag = docker("image", "inspect", "-f", "{{.Id}}", w.image).stdout.strip()
        w.images.setdefault(w.tag, w.server[APP])
        w.container_image = docker("inspect", "-f", "{{.Image}}", w.name).stdout.strip()
        if docker("inspect", "-f", "{{.Id}}", w.name).stdout.strip() != container_before:
            w.deployed()
        assert w.serves() == w.server[APP], "the fixed container does not serve the checkout's file"

    @invariant()
    def diagnose_names_the_first_broken_link(self) -> None:
        if not hasattr(self, "world"):
            return
        w = self.world
        report = w.diagnose()
        found = (report.get("cause") or {}).get("id") or report["status"]
        assert found == w.expected(), f"diagnose said {found}, the model {w.broken() or ['ok']}\n{describe(report)}"
        TALLY["diagnoses"] += 1
        TALLY["causes"][found] = TALLY["causes"].get(found, 0) + 1


TMP: pytest.TempPathFactory
WORLDS: list[World] = []
TALLY = {"sequences": 0, "diagnoses": 0, "fixes": 0, "causes": {}}  # what a run covered, for its note


@pytest.fixture
def team(engine, tmp_path_factory):
    global TMP
    TMP = tmp_path_factory
    yield
    for world in WORLDS:
        world.clean()
    WORLDS.clear()


@pytest.mark.engine
def test_diagnose_follows_what_the_team_did(team):
    Team.TestCase.settings = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                                      suppress_health_check=list(HealthCheck), print_blob=True)
    Team.TestCase().runTest()
    # `-s` shows it: the figures of a long run (diagnoses checked, fixes applied, causes met)
    print(f"\nmodel on {dockerlab.ENGINE.name}: {json.dumps(TALLY, sort_keys=True)}")


# Sequences hypothesis found and shrank: each must keep passing, on every engine. A step is
# (rule, arguments); the diagnosis is checked after each.
REGRESSIONS: dict[str, list[tuple[str, dict]]] = {
    "a cached rebuild of sources built before keeps the first Created": [
        ("commit", {"which": "settings"}), ("push", {}), ("deploy", {"mount": "none"}),
        ("commit", {"which": "app"}), ("push", {}), ("deploy", {"mount": "none"}),
        ("revert", {}), ("push", {}), ("deploy", {"mount": "none"})],
    "an amended and force-pushed commit, pulled": [
        ("commit", {"which": "app"}), ("push", {}), ("deploy", {"mount": "none"}),
        ("amend", {"which": None}), ("push", {}), ("fetch", {}), ("pull", {}), ("build", {})],
    "after a cache prune, every diagnosis but the first said image-not-rebuilt": [
        ("prune", {}), ("prune", {})],
    "an excluded file edited before the build, then a cold cache": [
        ("same_second", {"which": "settings", "build_first": False}), ("build", {}), ("prune", {})],
    "a copied file edited (not committed) before the build, then a cold cache": [
        ("same_second", {"which": "app", "build_first": False}), ("build", {}), ("prune", {})],
    "a hotfix to the excluded file in the same second as the build": [
        ("same_second", {"which": "settings", "build_first": False}),
        ("same_second", {"which": "settings", "build_first": True})],
    "a hotfix to the excluded file, deployed, then thrown away by a hard reset": [
        ("same_second", {"which": "settings", "build_first": False}), ("commit", {"which": "app"}),
        ("build", {}), ("build", {}), ("reset_hard", {})],
}


@pytest.mark.engine
@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_regression(team, name):
    machine = Team()
    machine.start()
    machine.diagnose_names_the_first_broken_link()
    for step, arguments in REGRESSIONS[name]:
        getattr(machine, step)(**arguments)
        machine.diagnose_names_the_first_broken_link()
