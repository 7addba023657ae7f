"""A playbook's lab section as the loader reads it: its references, placeholders, saved names and
the shapes of its steps and assertions are validated; the shipped lab validates."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runner.errors import PlaybookError
from runner.playbook.loader import load_file

ROOT = Path(__file__).resolve().parents[2]

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
