"""BuildKit's plain progress output read: steps, CACHED or run, errors, and what RUN printed."""

from __future__ import annotations

from runner.lab.buildlog import build_log, parse_build

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
