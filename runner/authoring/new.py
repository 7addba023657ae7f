"""`runner new`: a commented skeleton playbook (SKELETON) that validates as it is (skeleton)."""

from __future__ import annotations

import datetime as dt
import re

from runner.authoring.importer import ImportFailed, validate_text
from runner.authoring.yaml_out import DEFAULT_SCHEMA
from runner.playbook.model import ID_PATTERN

SKELETON = """\
# yaml-language-server: $schema={schema}
#
# A new playbook. Any human text is a string, or {{ko: ..., en: ...}} for both languages.
# `runner validate` checks it (file:line:col for each problem); `runner show {id}` renders it.
# The sections after `symptoms` are optional: uncomment what the case needs.

id: {id}
title:
  ko: 한 줄 제목
  en: A one-line title
summary:
  ko: 무슨 일이 있었고 무엇이 원인이었는지 두세 문장으로.
  en: What happened and what caused it, in two or three sentences.
occurred: {today}
# project: the project or service it happened in
tags: [docker]
severity: medium  # low | medium | high | critical

symptoms:
  - id: first-symptom
    text:
      ko: 사람이 보고 듣는 증상
      en: What a person sees
    # Regular expressions for log lines that show this symptom: `runner triage` ranks the
    # playbooks by them. One line each; quote with '...' so that backslashes stay.
    signatures:
      - '^ERROR: replace this with a line of the real log$'
    # example: {{lang: text, code: "the log lines, as they appeared"}}

# situation:               # what was done, step by step
#   - text: {{ko: ..., en: ...}}
#     code: [{{lang: bash, code: "docker build -t app ."}}]

# reported_cause:          # the root cause as the report states it: claims to verify
#   points: [{{ko: ..., en: ...}}]

# params:                  # values the checks and fixes take: {{{{name}}}} in argument lists
#   image: {{type: image, description: {{ko: 이미지 태그, en: the image tag}}, required: true}}

# checks:                  # read-only; kinds: `runner schema` lists them
#   - {{id: image, kind: image, args: {{image: "{{{{image}}}}"}}}}

# causes:                  # tried in order; the first whose `when` holds is the cause
#   - id: the-cause
#     title: {{ko: ..., en: ...}}
#     when: {{check: image, status: fail}}
#     explanation: {{ko: ..., en: ...}}
#     fix: the-fix

# fixes:
#   - id: the-fix
#     title: {{ko: ..., en: ...}}
#     steps:
#       - title: {{ko: ..., en: ...}}
#         run: [docker, build, -t, "{{{{image}}}}", .]   # an argument list, never a shell string
#         effect: write                                # read | write | destructive (+ loses: ...)

# wrong_attempts:          # what was tried and why it did not work
#   - id: an-attempt
#     title: {{ko: ..., en: ...}}
#     why: [{{ko: ..., en: ...}}]
#     verdict: fails       # fails | forbidden | partial

# prevention: [{{title: {{ko: ..., en: ...}}}}]
# lessons: [{{title: {{ko: ..., en: ...}}, points: []}}]
# references: [{{title: ..., url: https://...}}]
"""


def skeleton(playbook_id: str, schema: str = DEFAULT_SCHEMA, today: dt.date | None = None) -> str:
    """A commented playbook that validates as it is (checked here with the real loader)."""
    if not re.fullmatch(ID_PATTERN, playbook_id) or len(playbook_id) > 64:
        raise ImportFailed(f"{playbook_id!r} is not a valid id (kebab-case, e.g. port-already-allocated)")
    text = SKELETON.format(schema=schema, id=playbook_id, today=(today or dt.date.today()).isoformat())
    validate_text(text, playbook_id)
    return text
