"""Benchmark: the playbook site against a plain Material build of the same content.

Generates N synthetic playbooks (default 1,000; Korean, English and bilingual mixed), then, in
one run, builds:

  A  the playbook site: mkdocs.yml with its hooks, pages generated from the YAML at build time
     (loading + validating every playbook, Markdown generation, Korean index tokenisation),
     in Korean and then in English (under en/), in one `mkdocs build`; the hook renders the
     generated pages in worker processes, one per CPU (--jobs);
  B  the same pages written out as Markdown by hand (`runner site export`: a Korean and an
     English site), same config and theme features, no hook, one build per language: what
     generation costs is A against B;
  C  B with Material's default navigation (MkDocs' nav from the files, every page in it, no
     `navigation.prune`, no `not_in_nav`): what a default Material site of this size costs.

Each build is a fresh `mkdocs build` process (B and C: one per language, their figures
summed; peak memory the larger); wall time, CPU time (user + system, the worker
processes included), peak memory (max RSS of the build process or of its largest worker) and
search index size are reported. Goals: A/B - 1 <= 30%, C/A >= 4 (wall time). The CPU-time ratios
say what the build costs without the workers, and do not move with the machine's other load.

    python bench/site.py [--playbooks 1000] [--size full|small] [--repeat 1] [--skip-default]
                         [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "site"
sys.path.insert(0, str(ROOT))

KO_NOUNS = ["빌드", "캐시", "이미지", "컨테이너", "볼륨", "네트워크", "레지스트리", "태그", "레이어", "컨텍스트",
            "마운트", "포트", "로그", "엔진", "데몬", "디스크", "메모리", "인증서", "프록시", "의존성", "배포",
            "설정", "권한", "소켓", "파일", "커밋", "브랜치", "서버", "빌드캐시", "이미지태그", "재빌드"]
KO_VERBS = ["이 남아 있다", "가 갱신되지 않는다", "를 다시 만든다", "가 가득 찼다", "를 확인한다", "가 실패한다",
            "를 지운다", "가 느려졌다", "를 찾을 수 없다", "가 예전 값을 쓴다"]
EN_NOUNS = ["build", "cache", "image", "container", "volume", "network", "registry", "tag", "layer", "context",
            "mount", "port", "log", "engine", "daemon", "disk", "memory", "certificate", "proxy", "dependency",
            "deployment", "setting", "permission", "socket", "file", "commit", "branch", "server"]
EN_VERBS = ["is stale", "is not updated", "is recreated", "is full", "is checked", "fails", "is deleted",
            "got slow", "cannot be found", "keeps the old value"]
TAGS = ["docker", "buildkit", "cache", "network", "storage", "compose", "registry", "security", "ci", "git",
        "kubernetes", "proxy", "dns", "tls", "disk", "memory", "logging", "deploy", "database", "nginx"]


def sentence(rng: random.Random, lang: str, words: int = 3) -> str:
    if lang == "ko":
        parts = [f"{rng.choice(KO_NOUNS)}{rng.choice(KO_VERBS)}" for _ in range(words)]
        return ", ".join(parts) + "."
    parts = [f"the {rng.choice(EN_NOUNS)} {rng.choice(EN_VERBS)}" for _ in range(words)]
    return (", ".join(parts) + ".").capitalize()


def text(rng: random.Random, mode: str, words: int = 3) -> object:
    if mode == "both":
        return {"ko": sentence(rng, "ko", words), "en": sentence(rng, "en", words)}
    return {mode: sentence(rng, mode, words)}


def synthetic_small(index: int, rng: random.Random) -> dict:
    """A short playbook: what a quick write-up after an incident holds."""
    mode = rng.choice(["both", "both", "ko", "en"])
    return {
        "id": f"synthetic-{index:04d}",
        "title": text(rng, mode, 1),
        "summary": text(rng, mode, 2),
        "tags": sorted(rng.sample(TAGS, 2)),
        "severity": rng.choice(["low", "medium", "high", "critical"]),
        "symptoms": [{"text": text(rng, mode), "signatures": [r"error: .* not found"]}],
        "checks": [{"id": "c0", "kind": "engine"}],
        "causes": [{"id": "cause-0", "title": text(rng, mode, 1), "when": {"check": "c0", "status": "fail"},
                    "explanation": text(rng, mode), "fix": "fix-0"}],
        "fixes": [{"id": "fix-0", "title": text(rng, mode, 1),
                   "steps": [{"title": text(rng, mode, 1), "run": ["docker", "builder", "prune", "--force"],
                              "effect": "destructive", "loses": text(rng, mode, 1)}]}],
        "lessons": [{"title": text(rng, mode, 1)}],
    }


def synthetic(index: int, rng: random.Random) -> dict:
    mode = rng.choice(["both", "both", "ko", "en"])
    checks = [{"id": f"c{i}", "kind": "engine",
               "title": text(rng, mode, 1)} for i in range(3)]
    claims = [{"id": f"claim-{i}", "statement": text(rng, mode, 2),
               "status": rng.choice(["unverified", "confirmed", "refuted"]),
               **({"verified": [{"on": "2025-01-10", "engine": "Docker Engine 20.10.24"}]} if i % 2 else {})}
              for i in range(4)]
    fixes = [{"id": f"fix-{i}", "title": text(rng, mode, 1), "description": text(rng, mode),
              "steps": [{"title": text(rng, mode, 1), "run": ["docker", "image", "inspect", "{{image}}"],
                         "effect": "read"},
                        {"title": text(rng, mode, 1), "run": ["docker", "builder", "prune", "--force"],
                         "effect": "destructive", "loses": text(rng, mode, 1)}],
              "verify": ["c0"], "claims": ["claim-0"],
              # a fix resting on a refuted claim says what to do instead (runner validate)
              "instead": text(rng, mode, 1)} for i in range(2)]
    return {
        "id": f"synthetic-{index:04d}",
        "title": text(rng, mode, 1),
        "summary": text(rng, mode, 4),
        "tags": sorted(rng.sample(TAGS, 3)),
        "severity": rng.choice(["low", "medium", "high", "critical"]),
        "params": {"image": {"type": "image", "description": text(rng, mode, 1), "required": True,
                             "example": "app:latest"}},
        "symptoms": [{"text": text(rng, mode), "signatures": [r"error: .* not found", r"^#\d+ CACHED$"],
                      "example": {"code": "#8 CACHED\n#9 DONE 0.1s", "lang": "text"}} for _ in range(3)],
        "checks": checks,
        "causes": [{"id": f"cause-{i}", "title": text(rng, mode, 1), "when": {"check": f"c{i}", "status": "fail"},
                    "explanation": text(rng, mode, 5), "recognise": text(rng, mode), "fix": f"fix-{i % 2}",
                    "claims": [f"claim-{i}"]} for i in range(3)],
        "wrong_attempts": [{"id": f"wrong-{i}", "title": text(rng, mode, 1),
                            "code": [{"code": "docker rmi app:latest", "lang": "shell"}],
                            "why": [text(rng, mode), text(rng, mode)], "verdict": "fails"} for i in range(2)],
        "fixes": fixes,
        "prevention": [{"title": text(rng, mode, 1), "description": text(rng, mode, 4)} for _ in range(2)],
        "lessons": [{"title": text(rng, mode, 1), "points": [text(rng, mode), text(rng, mode)]} for _ in range(2)],
        "references": [{"title": "Docker build cache", "url": "https://docs.docker.com/build/cache/"}],
        "claims": claims,
    }


def write_playbooks(folder: Path, count: int, size: str = "full") -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rng = random.Random(20260116)
    for index in range(count):
        data = synthetic(index, rng) if size == "full" else synthetic_small(index, rng)
        (folder / f"{data['id']}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                   encoding="utf-8")


def build(config: Path, dest: Path, playbooks: Path | None = None, jobs: int | None = None) -> dict:
    """One `mkdocs build` in its own process: seconds (wall and CPU), peak RSS (MB), search index (MB)."""
    if dest.exists():
        shutil.rmtree(dest)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("RUNNER_PLAYBOOKS", None)
    env.pop("RUNNER_SITE_JOBS", None)
    if playbooks is not None:
        env["RUNNER_PLAYBOOKS"] = str(playbooks)
    if jobs is not None:
        env["RUNNER_SITE_JOBS"] = str(jobs)
    log = (dest.parent / f"{dest.name}.log").open("w")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(dest)],
                            cwd=config.parent, env=env, stdout=log, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    if proc.returncode != 0:
        raise SystemExit(f"build of {config} failed: see {dest.parent / (dest.name + '.log')}")
    indexes = dest.rglob("search_index.json")  # one per language
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "index_mb": sum(index.stat().st_size for index in indexes) / 1e6,
            "pages": sum(1 for _ in dest.rglob("index.html"))}


def build_each(configs: list[Path], dest: Path) -> dict:
    """One build per language's config (the first at dest, the others under dest/en), summed."""
    results = [build(config, dest / config.parent.relative_to(configs[0].parent)) for config in configs]
    total = {key: sum(r[key] for r in results) for key in ("seconds", "cpu_seconds", "index_mb", "pages")}
    return {**total, "rss_mb": max(r["rss_mb"] for r in results)}


def default_navigation(exported: Path) -> Path:
    """The exported site with Material's default navigation: MkDocs' own nav from the files
    (every playbook in one section) and no `navigation.prune`; every other feature kept."""
    from runner.site.pages import ConfigDumper, ConfigLoader

    config = yaml.load((exported / "mkdocs.yml").read_text(encoding="utf-8"), Loader=ConfigLoader)
    config["theme"]["features"] = [f for f in config["theme"]["features"] if f != "navigation.prune"]
    config.pop("nav", None)
    config.pop("not_in_nav", None)  # every page in the nav, as MkDocs lists them
    config.setdefault("validation", {})["omitted_files"] = "info"
    path = exported / "mkdocs-default-nav.yml"  # beside its mkdocs.yml: docs_dir and site_dir hold
    path.write_text(yaml.dump(config, Dumper=ConfigDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--playbooks", type=int, default=1000)
    parser.add_argument("--size", choices=["full", "small"], default="full",
                        help="full: every section, like a real playbook; small: a quick write-up")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of builds (A, B, C); the fastest of each counts")
    parser.add_argument("--skip-default", action="store_true", help="skip C (Material's default navigation)")
    parser.add_argument("--jobs", type=int, help="worker processes of A's hook (RUNNER_SITE_JOBS; default: one per "
                        "CPU; 1: none)")
    args = parser.parse_args()

    from runner.playbook.loader import load_all
    from runner.site.pages import export_site

    folder = OUT / "playbooks"
    write_playbooks(folder, args.playbooks, args.size)
    playbooks, problems = load_all([folder])
    assert not problems, problems[:3]
    exported = OUT / "export"
    if exported.exists():
        shutil.rmtree(exported)
    configs = sorted((p for p in export_site(ROOT, exported, playbooks) if p.name == "mkdocs.yml"),
                     key=lambda p: len(p.parts))  # the first language's, then en/
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{len(playbooks)} synthetic playbooks ({args.size}; ko, en, bilingual) in {folder}")
    print(f"A renders its generated pages in {args.jobs or cpus} process(es); load average {os.getloadavg()[0]:.1f} on {cpus} CPUs")

    # Round after round, each build once, so that a slower spell of the machine falls on all three;
    # the fastest of each counts.
    runs: dict[str, list[dict]] = {"A": [], "B": []} if args.skip_default else {"A": [], "B": [], "C": []}
    for round_number in range(1, args.repeat + 1):
        runs["A"].append(build(ROOT / "mkdocs.yml", OUT / "A", playbooks=folder, jobs=args.jobs))
        runs["B"].append(build_each(configs, OUT / "B"))
        if "C" in runs:
            runs["C"].append(build_each([default_navigation(config.parent) for config in configs], OUT / "C"))
        print(f"round {round_number}: " + ", ".join(f"{name} {results[-1]['seconds']:.1f} s"
                                                     for name, results in runs.items()), flush=True)
    best = {name: min(results, key=lambda r: r["seconds"]) for name, results in runs.items()}

    labels = {"A": "playbook site (hook: YAML -> pages, Korean tokenisation)",
              "B": "same pages as hand-written Markdown, same config",
              "C": "same Markdown, Material's default navigation"}
    print(f"\n{'build':<60} {'seconds':>8} {'CPU s':>7} {'peak MB':>8} {'index MB':>9} {'pages':>6}")
    for name, result in best.items():
        print(f"{name} {labels[name]:<58} {result['seconds']:8.1f} {result['cpu_seconds']:7.1f} "
              f"{result['rss_mb']:8.0f} {result['index_mb']:9.2f} {result['pages']:6d}")
    overhead = best["A"]["seconds"] / best["B"]["seconds"] - 1
    cpu_overhead = best["A"]["cpu_seconds"] / best["B"]["cpu_seconds"] - 1
    print(f"\ngeneration overhead (A/B - 1): {overhead:+.0%} wall, {cpu_overhead:+.0%} CPU  (goal <= +30%)")
    if "C" in best:
        speedup = best["C"]["seconds"] / best["A"]["seconds"]
        cpu_speedup = best["C"]["cpu_seconds"] / best["A"]["cpu_seconds"]
        print(f"speed-up over Material's default navigation (C/A): {speedup:.1f}x wall, {cpu_speedup:.1f}x CPU  "
              "(goal >= 4x)")
    workers = min(args.jobs or cpus, cpus)
    floor = best["A"]["cpu_seconds"] / workers
    print(f"A keeps {best['A']['cpu_seconds'] / best['A']['seconds']:.2f} of its {workers} CPU(s) busy; with all of "
          f"them busy all along it would take {floor:.1f} s" + (f" (C/A {best['C']['seconds'] / floor:.1f}x)"
                                                               if "C" in best else ""))
    (OUT / f"results-{args.size}.json").write_text(json.dumps(best, indent=2))


if __name__ == "__main__":
    main()
