"""Diagnose end to end versus the seed's manual way of finding out, side by side in one run.

The manual way (from the incident report): rebuild the image, then look inside the running
container with `docker exec ... grep`. The runner: `runner diagnose buildkit-stale --json`.
Both run on the same real-engine fixtures (see tests/dockerlab.py). Everything created is
labelled and removed at the end.

    .venv/bin/python bench/diagnose.py [--repeat 5] [--engines 20.10,26.1,26.1-containerd]

With --sizes, projects of a real size instead: N TypeScript-like sources (~10 kB each) compiled
into dist/ in a builder stage, package.json copied verbatim beside it, and --excluded files
under node_modules/ that .dockerignore keeps out (and .gitignore: installed, not committed). Each round runs the runner, the manual look
(a cached rebuild + `docker exec grep`) and the floor (the cached build alone) one after the
other, interleaved, after one round that is not counted (it warms the engine's caches for both,
and starts the runner's resident, runner/resident); medians, ratios and the runner's peak RSS are
printed, then the verdict once a source changed (image-not-rebuilt). "runner" is a call served by
the resident, as every call after a user's first is; "own process" the same call with
RUNNER_RESIDENT=0, as the first call runs, and its peak RSS (GNU time's maximum resident set: the
runner's own, or the docker CLI it starts when that is larger), which is the diagnosis's memory
either way (the resident's child is a fork of the same code).

    .venv/bin/python bench/diagnose.py --sizes 50,3000,20000 --excluded 30000 --repeat 5
    .venv/bin/python bench/diagnose.py --sizes 30000 --excluded 0    # past 28,400 files in /app
"""

from __future__ import annotations

import argparse
import os
import statistics
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
from dockerlab import AUTH_V2, docker  # noqa: E402


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env)
    return time.perf_counter() - started, done


def own_process() -> dict[str, str]:
    return {**os.environ, "RUNNER_RESIDENT": "0"}


def runner_diagnose(project: dockerlab.Project) -> tuple[float, str, float]:
    """(seconds, verdict, seconds inside diagnose: the checks, without start-up and output)."""
    seconds, done = timed([str(ROOT / ".venv/bin/runner"), "--playbooks", str(ROOT / "playbooks"), "diagnose",
                           "buildkit-stale", "--json", "--param", f"image={project.image}",
                           "--param", f"context={project.root}", "--param", f"container={project.container}"],
                          project.root)
    import json

    report = json.loads(done.stdout)
    return seconds, (report["cause"] or {}).get("id", report["status"]), report["ms"] / 1000


def manual_way(project: dockerlab.Project) -> float:
    started = time.perf_counter()
    dockerlab.run([dockerlab.DOCKER, "build", "-t", project.image, str(project.root)])
    docker("exec", project.container, "grep", "redirect", "/app/dist/server/routes/authRoutes.js", check=False)
    return time.perf_counter() - started


def scenarios(tmp: Path) -> list[tuple[str, dockerlab.Project]]:
    def deployed(name: str) -> dockerlab.Project:
        project = dockerlab.Project.create(tmp / name)
        project.build()
        project.run_container()
        return project

    healthy = deployed("healthy")
    behind = deployed("behind")
    behind.write("server/routes/authRoutes.ts", AUTH_V2)
    behind.commit("fix")
    behind.build()
    stale = deployed("stale")
    stale.write("server/routes/authRoutes.ts", AUTH_V2)
    stale.commit("fix")
    return [("healthy", healthy), ("container-not-recreated", behind), ("image-not-rebuilt", stale)]


SIZED_DOCKERFILE = """\
FROM {base} AS builder
WORKDIR /src
COPY src ./src
RUN mkdir -p dist && cp -r src dist/ && echo built > dist/BUILD

FROM {base}
WORKDIR /app
COPY --from=builder /src/dist ./dist
COPY package.json ./
CMD ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
"""
SOURCE_BYTES = 10_000


def sized_project(tmp: Path, sources: int, excluded: int) -> dockerlab.Project:
    """A git checkout of `sources` sources and `excluded` node_modules files, built and running."""
    project = dockerlab.Project.create(tmp)
    root = project.root
    (root / "Dockerfile").write_text(SIZED_DOCKERFILE.format(base=dockerlab.BASE_IMAGE))
    (root / ".dockerignore").write_text(".git\nnode_modules\n")
    (root / ".gitignore").write_text("node_modules/\n")  # installed, never committed
    (root / "package.json").write_text('{"name": "%s", "version": "1.0.0"}\n' % project.container)
    line = "export const value = 'x';  // padding to a real module's size\n"
    body = line * (SOURCE_BYTES // len(line))
    for i in range(sources):
        folder = root / "src" / f"module{i // 500}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file{i}.ts").write_text(f"// {project.container} {i}\n{body}")
    for j in range(excluded):
        folder = root / "node_modules" / f"pkg{j // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"index{j}.js").write_text(f"module.exports = {j};\n")
    dockerlab.run(["git", "add", "-A"], cwd=root, timeout=1800)
    dockerlab.run(["git", "commit", "-q", "-m", "sized"], cwd=root, timeout=1800)
    dockerlab.run([dockerlab.DOCKER, "build", "-q", "-t", project.image, str(root)], timeout=1800)
    docker("run", "-d", "--name", project.container, "--label", f"{dockerlab.LABEL}={dockerlab.SESSION}",
           project.image)
    return project


def runner_sized(project: dockerlab.Project, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB, verdict) of one `runner diagnose`."""
    rss_file = project.root.parent / "rss"
    argv = ["/usr/bin/time", "-o", str(rss_file), "-f", "%M", str(ROOT / ".venv/bin/runner"), "--playbooks",
            str(ROOT / "playbooks"), "diagnose", "buildkit-stale", "--json", "--param", f"image={project.image}",
            "--param", f"context={project.root}", "--param", f"container={project.container}"]
    seconds, done = timed(argv, project.root, env)
    import json

    report = json.loads(done.stdout)
    verdict = (report["cause"] or {}).get("id", report["status"])
    return seconds, round(int(rss_file.read_text().split()[-1]) / 1024), verdict


def manual_look(project: dockerlab.Project) -> float:
    started = time.perf_counter()
    dockerlab.run([dockerlab.DOCKER, "build", "-q", "-t", project.image, str(project.root)])
    docker("exec", project.container, "grep", "-q", "value", "/app/dist/src/module0/file0.ts", check=False)
    return time.perf_counter() - started


def floor_build(project: dockerlab.Project) -> float:
    started = time.perf_counter()
    dockerlab.run([dockerlab.DOCKER, "build", "-q", str(project.root)])
    return time.perf_counter() - started


def sized(options: argparse.Namespace, tmp: Path) -> None:
    print(f"{'sources':>8}{'files in /app':>15}{'runner':>9}{'own process':>13}{'manual look':>13}{'floor':>8}"
          f"{'runner÷manual':>15}{'peak RSS':>10}  verdicts")
    for size in [int(n) for n in options.sizes.split(",")]:
        project = sized_project(tmp / f"sized-{size}", size, options.excluded)
        files = docker("exec", project.container, "find", "/app", "-type", "f").stdout.count("\n")
        runner_sized(project)  # not counted: starts the resident, warms the engine for both
        manual_look(project)
        ours, alone, theirs, floor, rss, verdicts = [], [], [], [], [], []
        for _ in range(options.repeat):
            seconds, _peak, verdict = runner_sized(project)
            ours.append(seconds)
            verdicts.append(verdict)
            seconds, peak, verdict = runner_sized(project, own_process())
            alone.append(seconds)
            rss.append(peak)
            verdicts.append(verdict)
            theirs.append(manual_look(project))
            floor.append(floor_build(project))
        (project.root / "src/module0/file0.ts").write_text("// changed\n")
        dockerlab.run(["git", "commit", "-q", "-am", "change a source"], cwd=project.root)
        _seconds, _peak, stale = runner_sized(project)
        mine, manual = statistics.median(ours), statistics.median(theirs)
        print(f"{size:>8,}{files:>15,}{mine:>7.2f} s{statistics.median(alone):>11.2f} s{manual:>11.2f} s"
              f"{statistics.median(floor):>6.2f} s{mine / manual:>14.2f}x{max(rss):>7} MB  "
              f"{'/'.join(sorted(set(verdicts)))}; after a change: {stale}", flush=True)
        docker("rm", "-f", project.container, check=False)
        dockerlab.run(["rm", "-rf", str(project.root)])
    print(f"\nmedians of {options.repeat} interleaved rounds after one not counted; runner÷manual: the runner's "
          "time over the manual look's (1.25x: a quarter longer); peak RSS the largest of the own-process rounds; "
          "floor = the cached build alone")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engines", default=ENGINE, help="comma-separated engines (tests/engines.py) "
                        "[default: all of them, one after the other]")
    parser.add_argument("--sizes", help="projects of these many sources instead of the small fixtures, "
                        "e.g. 50,3000,20000")
    parser.add_argument("--excluded", type=int, default=30_000, help="files under node_modules/, excluded "
                        "by .dockerignore, in each sized project [default: 30000]")
    options = parser.parse_args()
    janitor = dockerlab.Janitor()
    janitor.start()
    # The residents the bench's calls start listen in its own folder, and leave with it.
    runtime = tempfile.mkdtemp(prefix="bench-rt-")
    os.environ["RUNNER_RESIDENT_DIR"] = runtime
    try:
        with tempfile.TemporaryDirectory(prefix="bench-diagnose-") as tmp:
            dockerlab.build_base_image(Path(tmp) / "base")
            print(f"engine {ENGINE}: {dockerlab.ENGINE.client}")
            if options.sizes:
                sized(options, Path(tmp))
                return
            print(f"{'fixture':<26}{'runner diagnose':>17}{'(checks)':>10}{'manual rebuild+exec':>22}{'ratio':>8}"
                  "  verdict")
            for name, project in scenarios(Path(tmp)):
                runs, inside, verdict = [], [], ""
                runner_diagnose(project)  # not counted: starts the resident (runner/resident)
                for _ in range(options.repeat):
                    seconds, verdict, checking = runner_diagnose(project)
                    runs.append(seconds)
                    inside.append(checking)
                # The manual way rebuilds the tag, which changes the fixture: measure it last.
                manual = [manual_way(project) for _ in range(options.repeat)]
                ours, theirs = statistics.median(runs), statistics.median(manual)
                print(f"{name:<26}{ours:>15.2f} s{statistics.median(inside):>8.2f} s{theirs:>20.2f} s"
                      f"{theirs / ours:>7.1f}x  {verdict}")
                docker("rm", "-f", project.container, check=False)
            print("\nmedians of", options.repeat, "runs; (checks): the time inside diagnose, without start-up and "
                  "output; the manual way only shows a line of code, it names no cause")
    finally:
        janitor.clean()
        from runner.resident.server import stop_residents

        stop_residents(runtime)
        import shutil

        shutil.rmtree(runtime, ignore_errors=True)


if __name__ == "__main__":
    main()
