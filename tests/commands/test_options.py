"""The options several commands share (runner/commands/options.py): --lang and its default from
the environment, --json, --param NAME=VALUE, on a command of the test's own."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from runner import exitcodes
from runner.commands.options import (
    default_lang,
    json_option,
    lang_option,
    param_option,
    parse_params,
)

LANG_VARIABLES = ("RUNNER_LANG", "LC_ALL", "LANG")


@click.command()
@param_option
@json_option
@lang_option
def echo_options(params: tuple[str, ...], as_json: bool, lang: str) -> None:
    """Prints what the shared options gave it."""
    click.echo(json.dumps({"params": parse_params(params), "as_json": as_json, "lang": lang}))


def options(*args: str, **environment: str):
    """What echo_options received, parsed; the language variables are only those given."""
    env = {name: environment.get(name) for name in LANG_VARIABLES}
    result = CliRunner().invoke(echo_options, list(args), env=env)
    assert result.exit_code == exitcodes.OK, result.output
    return json.loads(result.stdout)


def usage_error(*args: str) -> str:
    result = CliRunner().invoke(echo_options, list(args))
    assert result.exit_code == exitcodes.CANNOT, result.output
    return result.output


@pytest.mark.parametrize(("environment", "lang"), [
    ({}, "en"),
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "KO"}, "ko"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
    ({"RUNNER_LANG": "en", "LC_ALL": "ko_KR.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
    ({"RUNNER_LANG": "ko", "LANG": "en_US.UTF-8"}, "ko"),
    ({"RUNNER_LANG": "", "LANG": "ko_KR.UTF-8"}, "ko"),  # set but empty: the next one decides
])
def test_the_default_language_comes_from_runner_lang_then_lc_all_then_lang(monkeypatch, environment, lang):
    for name in LANG_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert default_lang() == lang


def test_the_language_default_is_read_when_the_command_runs():
    assert options(RUNNER_LANG="ko")["lang"] == "ko"
    assert options(RUNNER_LANG="en")["lang"] == "en"


def test_lang_given_wins_over_the_environment():
    assert options("--lang", "en", RUNNER_LANG="ko")["lang"] == "en"
    assert options("--lang", "ko", RUNNER_LANG="en")["lang"] == "ko"


def test_lang_takes_ko_or_en_only():
    assert "'fr' is not one of 'ko', 'en'" in usage_error("--lang", "fr")


def test_help_says_where_the_default_language_comes_from():
    result = CliRunner().invoke(echo_options, ["--help"])
    text = " ".join(result.stdout.split())
    assert "--lang [ko|en] Language of the playbook's text. [default: (from RUNNER_LANG or LANG)]" in text
    assert "--json Print JSON for machines instead of text." in text
    assert "-p, --param NAME=VALUE A playbook parameter (repeatable), e.g. --param image=app:staging." in text


def test_json_is_a_flag_off_by_default():
    assert options()["as_json"] is False
    assert options("--json")["as_json"] is True


def test_params_repeat_and_the_last_value_of_a_name_wins():
    assert options("--param", "image=app:staging", "-p", "context=.", "-p", "image=app:prod")["params"] == {
        "image": "app:prod", "context": "."}
    assert options()["params"] == {}


@pytest.mark.parametrize(("given", "parsed"), [
    ("image=app:staging", {"image": "app:staging"}),
    ("url=http://x/?a=1&b=2", {"url": "http://x/?a=1&b=2"}),  # only the first = splits
    ("tag=", {"tag": ""}),
    (" image =app", {"image": "app"}),  # the name is stripped, the value kept as given
    ("image= app ", {"image": " app "}),
])
def test_a_param_is_split_at_its_first_equals_sign(given, parsed):
    assert parse_params((given,)) == parsed


@pytest.mark.parametrize("given", ["image", "=app:staging", ""])
def test_a_param_without_a_name_or_an_equals_sign_is_a_usage_error(given):
    with pytest.raises(click.BadParameter) as raised:
        parse_params(("a=1", given))
    assert raised.value.message == f"{given!r} is not NAME=VALUE"
    assert f"Invalid value for --param: {given!r} is not NAME=VALUE" in usage_error("--param", given)
