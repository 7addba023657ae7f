"""Diagnose end to end versus the seed's manual way of finding out, side by side in one run.

The manual way (from the incident report): rebuild the image, then look inside the running
container with `docker exec ... grep`. The runner: `runner diagnose buildkit-stale --json`.
Both run on the same real-engine fixtures (see tests/dockerlab.py). Everything created is
labelled and removed at the end.

    .venv/bin/python bench/diagnose.py [--repeat 5] [--engines 20.10,26.1,26.1-containerd]
"""

from __future__ import annotations

import argparse
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


def timed(argv: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - started, done


def runner_diagnose(project: dockerlab.Project) -> tuple[float, str]:
    seconds, done = timed([str(ROOT / ".venv/bin/runner"), "--playbooks", str(ROOT / "playbooks"), "diagnose",
                           "buildkit-stale", "--json", "--param", f"image={project.image}",
                           "--param", f"context={project.root}", "--param", f"container={project.container}"],
                          project.root)
    import json

    report = json.loads(done.stdout)
    return seconds, (report["cause"] or {}).get("id", report["status"])


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engines", default=ENGINE, help="comma-separated engines (tests/engines.py) "
                        "[default: all of them, one after the other]")
    options = parser.parse_args()
    janitor = dockerlab.Janitor()
    janitor.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-diagnose-") as tmp:
            dockerlab.build_base_image(Path(tmp) / "base")
            print(f"engine {ENGINE}: {dockerlab.ENGINE.client}")
            print(f"{'fixture':<26}{'runner diagnose':>17}{'manual rebuild+exec':>22}{'ratio':>8}  verdict")
            for name, project in scenarios(Path(tmp)):
                runs, verdict = [], ""
                for _ in range(options.repeat):
                    seconds, verdict = runner_diagnose(project)
                    runs.append(seconds)
                # The manual way rebuilds the tag, which changes the fixture: measure it last.
                manual = [manual_way(project) for _ in range(options.repeat)]
                ours, theirs = statistics.median(runs), statistics.median(manual)
                print(f"{name:<26}{ours:>15.2f} s{theirs:>20.2f} s{theirs / ours:>7.1f}x  {verdict}")
                docker("rm", "-f", project.container, check=False)
            print("\nmedians of", options.repeat, "runs; the manual way only shows a line of code, it names no cause")
    finally:
        janitor.clean()


if __name__ == "__main__":
    main()
