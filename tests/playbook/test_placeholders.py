"""The placeholder language: dotted paths and `{{path}}` (pure logic)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.playbook.placeholders import (
    MISSING,
    Missing,
    Unknown,
    as_arguments,
    as_text,
    fill,
    fill_text,
    get,
    located_paths,
    parameters_in_shell_code,
    paths,
    resolve,
    whole_path,
)

SCOPE = {
    "image": "app:staging",
    "build": {"image_id": "sha256:abc", "steps": [{"name": "COPY", "cached": True}, {"name": "RUN", "cached": False}],
              "all_cached": False, "seconds": 1.5},
    "evidence": {"source": {"stale_files": [{"path": "a.ts"}, {"path": "b.ts"}], "nested": [[1, 2], [3]]}},
}


@pytest.mark.parametrize("path, expected", [
    ("image", "app:staging"),
    ("build.image_id", "sha256:abc"),
    ("build.steps.0.name", "COPY"),
    ("build.steps.-1.name", "RUN"),
    ("build.steps.length", 2),
    ("build.steps.name", ["COPY", "RUN"]),  # a key on a list maps over its items
    ("build.steps.cached", [True, False]),
    ("evidence.source.stale_files.path", ["a.ts", "b.ts"]),
    ("evidence.source.nested", [[1, 2], [3]]),
    ("image.length", 11),
    ("build.length", 4),
])
def test_a_path_names_a_value(path, expected):
    assert resolve(SCOPE, path) == expected


@pytest.mark.parametrize("path, error, message", [
    ("nope", Unknown, "'nope' is not defined (yet)"),
    ("build.nope", Missing, "build has no 'nope' (has: all_cached, image_id, seconds, steps)"),
    ("build.steps.5", Missing, "build.steps has no item 5 (it has 2)"),
    ("build.steps.size", Missing, "build.steps[] has no 'size'"),
    ("build.seconds.x", Missing, "build.seconds has no 'x' (has: float)"),
])
def test_a_path_that_names_nothing_says_where_it_broke_off(path, error, message):
    with pytest.raises(error) as raised:
        resolve(SCOPE, path)
    assert message in str(raised.value)
    assert get(SCOPE, path) is MISSING


def test_unknown_is_a_kind_of_missing():
    assert issubclass(Unknown, Missing)


def test_a_string_that_is_exactly_one_placeholder_becomes_the_value_itself():
    assert fill("{{build.steps.name}}", SCOPE) == ["COPY", "RUN"]
    assert fill("{{ build.seconds }}", SCOPE) == 1.5
    assert fill({"a": ["{{build.all_cached}}"]}, SCOPE) == {"a": [False]}


def test_inside_longer_text_the_value_is_written_out():
    assert fill("files: {{evidence.source.stale_files.path}}", SCOPE) == "files: a.ts, b.ts"
    assert fill("cached={{build.all_cached}} in {{build.seconds}} s", SCOPE) == "cached=false in 1.5 s"
    assert fill(" {{image}}", SCOPE) == " app:staging"  # not exactly one placeholder: text


def test_go_templates_are_not_placeholders():
    argv = ["docker", "inspect", "-f", "{{.Image}} {{json .Config}} {{index .Labels \"x\"}}"]
    assert fill(argv, SCOPE) == argv
    assert list(paths(argv)) == []


def test_partial_filling_leaves_names_the_scope_does_not_know():
    value = ["{{image}}", "{{evidence.source.stale_files.path}}", "tag {{other}}"]
    assert fill(value, {"image": "x"}, partial=True) == ["x", "{{evidence.source.stale_files.path}}", "tag {{other}}"]
    with pytest.raises(Unknown):
        fill(value, {"image": "x"})


def test_a_resolver_function_is_a_scope_too():
    def only_evidence(path: str):
        if not path.startswith("evidence."):
            raise Unknown(path)
        return resolve(SCOPE, path)

    assert fill(["{{image}}", "{{evidence.source.stale_files.path}}"], only_evidence, partial=True) == \
        ["{{image}}", ["a.ts", "b.ts"]]


def test_paths_and_where_they_stand():
    value = {"run": ["echo", "{{image}}", "{{ build.image_id }} and {{x.y}}"], "env": {"A": "{{image}}"}}
    assert sorted(paths(value)) == ["build.image_id", "image", "image", "x.y"]
    assert list(located_paths(value, ("fix",))) == [
        (("fix", "run", 1), "image"), (("fix", "run", 2), "build.image_id"), (("fix", "run", 2), "x.y"),
        (("fix", "env", "A"), "image")]
    assert whole_path("{{ build.image_id }}") == "build.image_id"
    assert whole_path("a {{image}}") is None
    assert whole_path(3) is None


@pytest.mark.parametrize("value, text", [
    ("x", "x"), (True, "true"), (False, "false"), (3, "3"), (1.5, "1.5"), (None, "None"),
    (["a", 1, True], "a, 1, true"), ({"k": "v"}, '{"k": "v"}'),
])
def test_values_as_text(value, text):
    assert as_text(value) == text


@given(st.recursive(st.none() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=10),
       st.lists(st.text(alphabet="ab0.-length", max_size=4), max_size=4))
def test_get_never_raises(value, parts):
    get(value, ".".join(parts) or "x")


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
                       st.integers() | st.text(max_size=8) | st.lists(st.integers(), max_size=3), min_size=1))
def test_every_name_of_a_scope_fills_in_as_itself(scope):
    for name, value in scope.items():
        assert fill("{{" + name + "}}", scope) == value
        assert fill("<{{" + name + "}}>", scope) == f"<{as_text(value)}>"


def test_a_lab_scope_fills_step_values_and_keeps_go_templates():
    scope = {"image": "runner-lab-1-image", "b1": {"image_id": "sha256:abc", "steps": [{"n": 1}]}}
    assert fill(["docker", "inspect", "-f", "{{.Image}}", "{{image}}"], scope) == \
        ["docker", "inspect", "-f", "{{.Image}}", "runner-lab-1-image"]
    assert fill("{{b1.steps}}", scope) == [{"n": 1}]  # a whole reference keeps its type
    assert fill("id={{b1.image_id}}", scope) == "id=sha256:abc"
    assert resolve(scope, "b1.steps.0.n") == 1


def test_text_and_arguments():
    scope = {"image": "app", "files": ["a", "b"], "ok": True}
    assert fill_text("{{files}}", scope) == "a, b"  # a file's content is text, even one placeholder
    assert fill_text("FROM {{image}}\n", scope) == "FROM app\n"
    assert as_arguments(fill(["touch", "{{files}}", "{{ok}}"], scope)) == ["touch", "a", "b", "true"]


@pytest.mark.parametrize("argv, flagged", [
    (("sh", "-c", "echo {{image}}"), ["echo {{image}}"]),
    (("/bin/bash", "-lc", "docker pull {{image}} && true"), ["docker pull {{image}} && true"]),
    (("busybox", "sh", "-c", "ls {{context}}"), ["ls {{context}}"]),
    (("sh", "-c", 'echo "$1"', "sh", "{{image}}"), []),  # the value as an argument: never code
    (("docker", "build", "-t", "{{image}}", "."), []),
    (("sh", "--rcfile", "{{x}}"), []),
    (None, []),
])
def test_a_parameter_inside_a_shells_command_string_is_found(argv, flagged):
    assert parameters_in_shell_code(argv) == flagged


def test_validate_refuses_a_parameter_inside_sh_c_with_a_hint(tmp_path):
    import clikit

    text = (clikit.ROOT / "playbooks" / "buildx-missing.yaml").read_text()
    path = tmp_path / "buildx-missing.yaml"
    steps = text.index("fixes:")
    run = text.index("        run: [", steps)
    line_end = text.index("\n", run)
    path.write_text(text[:run] + '        run: [sh, -c, "docker version; echo {{image}}"]' + text[line_end:])
    done = clikit.run("validate", str(path))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "inside a shell's -c string runs as shell code" in done.stderr and "as an argument" in done.stderr
    assert f"{path}:" in done.stderr
