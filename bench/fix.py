"""From "stale" to "the container serves the new code": `runner fix --yes` versus the seed's fix
(`docker builder prune -f`, a full rebuild, then a new container), side by side in one run.

The fixture's Dockerfile has what makes real builds slow: a plain dependency step before the
COPY of the sources, and a `RUN --mount=type=cache` step that is slow only when its cache is
cold (like `npm ci` with a warm npm cache). "Stale" is the incident's state: a source change
is committed and the container still runs the old code.

On a shared engine the seed's prune is SCOPED to the build-cache records this bench created
(one `docker builder prune -f --filter id=ID` per record, IDs recorded before and after),
repeated until nothing more goes (a record with children survives a pass), which is what
the plain prune does on a machine with only this project. Everything created is labelled
and removed at the end.

The runner's time does not depend on the dependency steps (a cached rebuild, a new
container, and three diagnoses as proof); the seed's grows with them, as its rebuild
starts cold: the ratio is the cold build's time over the runner's few seconds.

    .venv/bin/python bench/fix.py [--slow-step 40] [--cache-step 5] [--engines 20.10,26.1,26.1-containerd]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import engines  # noqa: E402

ENGINE = engines.bench_engines()  # several engines: this bench runs once per engine, then exits
import dockerlab  # noqa: E402
from dockerlab import FAST_STOP, LABEL, SESSION, docker  # noqa: E402

DOCKERFILE = """\
FROM {base} AS backend-builder
# a slow dependency step that does not depend on the sources (a toolchain, `apt-get install`);
# the session in the command and the cache id keep each bench run cold at the start
RUN sleep {slow} && echo toolchain {session} > /toolchain
# dependencies with a cache mount: slow only when the cache is cold (`npm ci` with a warm npm cache)
RUN --mount=type=cache,id=runner-bench-{session},target=/cache \\
    if [ -f /cache/deps ]; then echo "deps: warm cache"; else echo "deps: COLD cache" && sleep {cached} && touch /cache/deps; fi \\
    && mkdir -p /deps && cp /toolchain /deps/
WORKDIR /src
COPY server ./server
RUN mkdir -p /out && sed 's/^/compiled: /' server/routes/authRoutes.ts > /out/authRoutes.js

FROM {base}
LABEL {label}={session}
WORKDIR /app
COPY --from=backend-builder /out ./dist/server/routes
CMD {cmd}
"""
COMPILED = "/app/dist/server/routes/authRoutes.js"


def serves(project: dockerlab.Project, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = docker("exec", project.container, "cat", COMPILED, check=False)
        if text in done.stdout:
            return
        time.sleep(0.05)
    raise SystemExit(f"the container never served {text!r}")


def make_stale(project: dockerlab.Project, version: str) -> str:
    line = f"return res.redirect('/login?error=no_token&v={version}');\n"
    project.write("server/routes/authRoutes.ts", line)
    project.commit(f"fix redirect {version}")
    return f"compiled: {line.strip()}"


def runner_fix(project: dockerlab.Project) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run([str(ROOT / ".venv/bin/runner"), "--playbooks", str(ROOT / "playbooks"), "fix",
                           "buildkit-stale", "--yes", "--json", "--param", f"image={project.image}",
                           "--param", f"context={project.root}", "--param", f"container={project.container}"],
                          cwd=project.root, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    report = json.loads(done.stdout)
    if done.returncode != 0:
        raise SystemExit(f"runner fix failed ({done.returncode}): {report['state']}")
    return seconds, report


COLD = re.compile(r"^#\d+ [\d.]+ deps: COLD cache$", re.M)  # the step's output, not its command line


def seed_fix(project: dockerlab.Project, records: set[str]) -> dict:
    """The incident report's fix, `docker builder prune -f` (scoped to `records`), a build, and
    a new container (`docker rm -f` + `docker run`)."""
    timings: dict = {}
    started = time.perf_counter()
    timings["records_left"] = len(dockerlab.prune_records(records, all_=False))
    timings["prune"] = time.perf_counter() - started
    mark = time.perf_counter()
    log = project.build()
    timings["build"] = time.perf_counter() - mark
    mark = time.perf_counter()
    docker("rm", "-f", project.container)
    docker("run", "-d", "--name", project.container, "--label", f"{LABEL}={SESSION}", project.image, *FAST_STOP)
    timings["recreate"] = time.perf_counter() - mark
    timings["cold_cache_mount"] = bool(COLD.search(log))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow-step", type=float, default=40.0, help="seconds of the plain dependency step")
    parser.add_argument("--cache-step", type=float, default=5.0, help="seconds of the cache-mount step when cold")
    parser.add_argument("--engines", default=ENGINE, help="comma-separated engines (tests/engines.py) "
                        "[default: all of them, one after the other]")
    options = parser.parse_args()

    janitor = dockerlab.Janitor()
    janitor.start()
    try:
        with tempfile.TemporaryDirectory(prefix="runner-bench-fix-") as tmp:
            work = Path(tmp)
            base = dockerlab.build_base_image(work / "base")
            project = dockerlab.Project.create(work)
            (project.root / "Dockerfile").write_text(DOCKERFILE.format(
                base=base, slow=options.slow_step, cached=options.cache_step, label=LABEL, session=SESSION,
                cmd=json.dumps(FAST_STOP)))
            project.commit("slow dependency steps")
            mark = time.perf_counter()
            project.build()
            cold = time.perf_counter() - mark
            project.run_fast_stopping()

            # 1. the runner's fix, from stale to serving
            expected = make_stale(project, "runner")
            started = time.perf_counter()
            runner_seconds, report = runner_fix(project)
            serves(project, expected)
            runner_total = time.perf_counter() - started
            rounds = [(r["plan"]["fix"], round(sum(s["seconds"] for s in r["steps"]), 2)) for r in report["rounds"]]

            # 2. the seed's fix, from the same kind of stale state
            expected = make_stale(project, "seed")
            records = dockerlab.build_cache_ids() - janitor.cache_before
            started = time.perf_counter()
            seed = seed_fix(project, records)
            serves(project, expected)
            seed_total = time.perf_counter() - started

            print(f"engine {ENGINE}: {dockerlab.ENGINE.client}")
            print(f"fixture: plain step {options.slow_step:g} s, cache-mount step {options.cache_step:g} s when "
                  f"cold; cold build {cold:.1f} s")
            print(f"runner fix --yes    : {runner_total:6.2f} s from stale to serving  (the command "
                  f"{runner_seconds:.2f} s with its 3 diagnoses; steps per round {rounds}; "
                  f"verdict {report['verdict']})")
            print(f"seed prune + build  : {seed_total:6.2f} s from stale to serving  (prune {seed['prune']:.2f} s "
                  f"of the {len(records)} records the bench created, {seed['records_left']} left; build "
                  f"{seed['build']:.2f} s, cache mount cold: {seed['cold_cache_mount']}; new container "
                  f"{seed['recreate']:.2f} s)")
            print(f"ratio               : {seed_total / runner_total:.1f}x "
                  f"({(seed_total - seed['prune']) / runner_total:.1f}x without the prune, whose scoped form "
                  "takes one call per record)")
    finally:
        janitor.clean()


if __name__ == "__main__":
    main()
