"""The Dockerfile parser (runner/buildctx/dockerfile.py): stages, COPY/ADD and their flags,
WORKDIR, parser directives, continuations, heredocs, and the errors BuildKit would report."""

from __future__ import annotations

import pytest

from runner.buildctx import DockerfileError
from runner.buildctx.dockerfile import extract_flags, parse_dockerfile

SEED_LIKE = """\
# syntax=docker/dockerfile:1
# escape=\\
ARG BASE=busybox
FROM ${BASE} AS Backend-Builder
WORKDIR /src
COPY package*.json ./
RUN npm ci \\
    # a comment inside a continuation
    --omit=dev
COPY server ./server
RUN npm run build:server

FROM ${BASE}
WORKDIR /app
COPY --from=backend-builder /src/dist ./dist
COPY --chown=node:node --chmod=644 --link ["public", "static files/", "/app/www/"]
copy config.json .
ADD https://example.com/x.tgz /opt/
"""


def test_parse_stages_copies_and_directives():
    df = parse_dockerfile(SEED_LIKE)
    assert dict(df.directives) == {"syntax": "docker/dockerfile:1", "escape": "\\"}
    assert [i.keyword for i in df.meta_args] == ["ARG"]
    builder, final = df.stages
    assert (builder.index, builder.name, builder.base, builder.line) == (0, "backend-builder", "${BASE}", 4)
    assert final.name is None and final.base_stage is None and df.final is final
    assert [c.line for c in builder.copies] == [6, 10]
    pkg = builder.copies[0]
    assert pkg.sources == ("package*.json",) and pkg.dest_abs == "/src/" and pkg.from_context
    run = [i for i in builder.instructions if i.keyword == "RUN"][0]
    assert (run.line, run.end_line) == (7, 9) and run.args == "npm ci     --omit=dev"
    from_builder, public, config, remote = final.copies
    assert from_builder.from_ == "backend-builder" and from_builder.from_stage == 0 and not from_builder.from_context
    assert from_builder.dest_abs == "/app/dist"
    assert public.json_form and public.sources == ("public", "static files/") and public.dest_abs == "/app/www/"
    assert (public.chown, public.chmod, public.link) == ("node:node", "644", True)
    assert config.instruction == "COPY" and config.dest_abs == "/app/" and config.line == 17
    assert remote.instruction == "ADD" and remote.context_sources() == ()
    assert df.needed_stages() == [0, 1]


def test_workdir_resolution_and_inheritance():
    df = parse_dockerfile(
        "FROM a AS one\nWORKDIR /srv\nWORKDIR app\nCOPY x y\nCOPY x ../z\n"
        "FROM one\nCOPY x .\nWORKDIR /\nCOPY x w/\n")
    one, two = df.stages
    assert [c.dest_abs for c in one.copies] == ["/srv/app/y", "/srv/z"]
    assert one.workdirs == ((2, "/srv"), (3, "/srv/app"))
    assert two.base_stage == 0 and two.copies[0].dest_abs == "/srv/app/" and two.copies[1].dest_abs == "/w/"


def test_escape_directive_backtick_and_continuations():
    df = parse_dockerfile("# escape=`\nFROM scratch\nCOPY a `\n     b `\n\n  c:\\\\dest\\\\\n")
    copy = df.final.copies[0]
    assert df.escape == "`" and copy.sources == ("a", "b") and copy.dest == "c:\\\\dest\\\\"
    assert (copy.line, copy.end_line) == (3, 6)


def test_directives_only_count_at_the_top():
    df = parse_dockerfile("FROM scratch\n# escape=`\nCOPY a \\\n b /c/\n")
    assert dict(df.directives) == {} and df.final.copies[0].sources == ("a", "b")
    with pytest.raises(DockerfileError, match="only one escape"):
        parse_dockerfile("# escape=\\\n# escape=`\nFROM scratch\n")


def test_heredocs_are_skipped_and_inline_sources_are_not_from_the_context():
    df = parse_dockerfile(
        "FROM scratch\nRUN <<EOF\nCOPY not-an-instruction /x\nEOF\n"
        "COPY <<-\"CONF\" <<ALSO /etc/app/\n\tkey=1\n\tCONF\nFROM nothing\nALSO\nCOPY real /r\n")
    assert len(df.stages) == 1
    inline, real = df.final.copies
    assert inline.heredocs == ("CONF", "ALSO") and inline.sources == () and inline.dest_abs == "/etc/app/"
    assert real.sources == ("real",) and real.line == 10
    assert (inline.line, inline.end_line) == (5, 9)


def test_a_quoted_heredoc_marker_is_not_a_heredoc():
    df = parse_dockerfile('FROM a\nRUN echo "x <<EOF" && cat <<\'X\' 2<<-Y\nbody\nX\n\tmore\n\tY\n'
                          "COPY src /dst\nRUN echo \\<<NOT\nCOPY b /c\n")
    run = df.final.instructions[1]
    assert run.heredocs == ("X", "Y") and (run.line, run.end_line) == (2, 6)
    assert [c.line for c in df.final.copies] == [7, 9]


def test_flags_quotes_and_variables():
    rest, words = extract_flags('--from="my stage" --link --chown=1:1 -- --not-a-flag src dst')
    assert words == ["--from=my stage", "--link", "--chown=1:1"] and rest == " --not-a-flag src dst"
    copy = parse_dockerfile('FROM a AS x\nFROM b\nCOPY --from=0 "/q" $DEST\n').final.copies[0]
    assert copy.from_stage == 0 and copy.sources == ("/q",) and copy.has_variables
    with pytest.raises(DockerfileError, match="names this stage"):
        parse_dockerfile("FROM a\nCOPY --from=0 x y\n")
    image = parse_dockerfile("FROM a\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\n").final.copies[0]
    assert image.from_image and image.from_stage is None


def test_crlf_bom_lowercase_and_onbuild():
    df = parse_dockerfile("\ufefffrom scratch\r\nonbuild COPY x /y\r\ncopy\ta /b\r\n")
    assert len(df.final.copies) == 1 and df.final.copies[0].sources == ("a",)


@pytest.mark.parametrize("text, message", [
    ("", "no FROM"), ("# only a comment\n", "no FROM"), ("COPY a b\nFROM x\n", "before the first FROM"),
    ("FROM a\nCOPY onlyone\n", "at least two"), ("FROM a b\n", "one or three"), ("FROM a\nWORKDIR\n", "WORKDIR"),
    ("# escape=x\nFROM a\n", "escape token"),
])
def test_parse_errors(text, message):
    with pytest.raises(DockerfileError, match=message):
        parse_dockerfile(text)


def test_needed_stages_skip_unused_ones():
    df = parse_dockerfile("FROM a AS test\nCOPY t /t\nFROM a AS build\nCOPY s /s\nFROM b\nCOPY --from=build /s /s\n")
    assert df.needed_stages() == [1, 2]
    assert df.needed_stages("test") == [0]
    with pytest.raises(DockerfileError):
        df.needed_stages("nope")
