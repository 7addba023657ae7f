"""Commands in code blocks: which lines are plain commands, a code block as steps, and the
effect each command is guessed to have."""

from __future__ import annotations

import pytest

from runner.authoring.shell import command_groups, effect_of, plain_command


@pytest.mark.parametrize("line, expected", [
    ("docker builder prune -f", (["docker", "builder", "prune", "-f"], {})),
    ("DOCKER_BUILDKIT=1 docker build -t app:1 .", (["docker", "build", "-t", "app:1", "."], {"DOCKER_BUILDKIT": "1"})),
    ("$ docker ps", (["docker", "ps"], {})),
    ("grep -A 1 'Redirecting to /login' f.js", (["grep", "-A", "1", "Redirecting to /login", "f.js"], {})),
    ("docker inspect -f '{{.Image}}' web", (["docker", "inspect", "-f", "{{.Image}}", "web"], {})),
    ("docker build --build-arg X=$(date +%s) .", None),
    ("echo x >> file", None),
    ("docker ps | grep web", None),
    ("rm *.log", None),
    ("cd /srv && make", None),
    ("cd /srv", None),
    ("export A=1", None),
    ("A=1", None),
    ("ARG CACHEBUST=1", None),
    ("- name: Build", None),
    ('echo "$HOME"', None),
    ("ls ~/x", None),
    ("docker run --name 'a b' img # comment", None),
])
def test_plain_command(line, expected):
    assert plain_command(line) == expected


@pytest.mark.parametrize("argv, effect", [
    ("docker builder prune -f", "destructive"), ("docker volume rm data", "destructive"),
    ("docker compose down -v", "destructive"), ("sudo rm -rf /tmp/x", "destructive"),
    ("git reset --hard origin/main", "destructive"), ("docker compose down", "write"),
    ("docker system df", "read"), ("docker builder du", "read"), ("docker image ls", "read"),
    ("docker compose logs -f web", "read"), ("git status", "read"), ("curl -I http://x", "read"),
    ("curl -X POST http://x", "write"), ("docker run ubuntu ls", "write"), ("docker build .", "write"),
])
def test_effect_guess(argv, effect):
    assert effect_of(argv.split()) == effect


def test_command_groups_titles_and_keeps_what_is_not_plain():
    code = "# clean\ndocker builder prune -f\n\n# rebuild\nA=1 docker build .\ndocker ps\n\n# or script it\n"
    groups = list(command_groups(code, "bash"))
    assert [(g[0], g[2]) for g in groups] == [
        ("clean", ["docker", "builder", "prune", "-f"]), ("rebuild", ["docker", "build", "."]),
        ("docker ps", ["docker", "ps"]), ("or script it", None)]
    assert groups[1][3] == {"A": "1"}
    [(title, text, argv, _)] = command_groups("FROM x\nRUN y\n", "dockerfile")
    assert (title, text, argv) == ("FROM x", "FROM x\nRUN y", None)
    [(title, text, argv, _)] = command_groups("# a\nls | wc -l\n", "sh")
    assert (title, text, argv) == ("a", "# a\nls | wc -l", None)
    [(_, text, argv, _)] = command_groups("docker run \\\n  --rm img\n", "bash")
    assert argv == ["docker", "run", "--rm", "img"]
