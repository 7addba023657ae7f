"""Helpers of the lab's tests (tests/lab/): small playbooks with a lab, `runner` in a process
of its own, what a lab run left on the engine, and a lab that waits to be interrupted."""

from __future__ import annotations

import signal
import string
import subprocess
import sys
import time
from pathlib import Path

from runner.engine.usage import build_cache_records

ROOT = Path(__file__).resolve().parent.parent

# A small project: a COPY, a cache-mount step that says whether its cache was warm, a volume
# and a container. Claim statuses are filled in per test.
# The touch experiment compares what a cached rebuild keeps (its COPY step, the file, the running
# container's image) and not the rebuilt image's ID: with the containerd image store that ID
# changes on every build (buildkit-stale's lab records it as claim cached-rebuild-image-id).
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

# One experiment that builds an image, creates a volume and starts a container with it (all a
# lab must remove afterwards), then goes on with the steps `then`.
CONTAINER_LAB = string.Template("""\
id: $id
title: $title
summary: $summary
symptoms:
  - text: none
claims:
  - id: anything
    statement: anything
lab:
  names: [image, container, volume$more_names]
  files:
    Dockerfile: |
      FROM {{base}}
      CMD ["sleep", "3600"]
  experiments:
    - id: $experiment
      title: $experiment_title
      claims: [anything]
      steps:
        - build: {tag: "{{image}}"}
        - run: [docker, volume, create, "{{volume}}"]
          as: volume_made
        - run: [docker, run, -d, --name, "{{container}}", -v, "{{volume}}:/data", "{{image}}"]
$then      assert:
        - {value: volume_made.exit, equals: 0}
""")


def container_lab(playbook_id: str, title: str, summary: str, experiment: str, experiment_title: str,
                  then: list[str], more_names: str = "") -> str:
    return CONTAINER_LAB.substitute(id=playbook_id, title=title, summary=summary, more_names=more_names,
                                    experiment=experiment, experiment_title=experiment_title,
                                    then="".join(f"        - {step}\n" for step in then))


SLOW = container_lab("slow", "A lab to interrupt", "Cleanup after Ctrl-C.", "waits", "creates things, then waits",
                     ["sleep: 10", "sleep: 10"], more_names=", TOKEN")


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
        "build_cache": {r["ID"] for r in build_cache_records(api)},
    }


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
