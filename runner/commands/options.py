"""Options shared by several commands."""

from __future__ import annotations

import os

import click


def default_lang() -> str:
    wanted = os.environ.get("RUNNER_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return "ko" if wanted.lower().startswith("ko") else "en"


lang_option = click.option(
    "--lang", type=click.Choice(["ko", "en"]), default=default_lang, show_default="from RUNNER_LANG or LANG",
    help="Language of the playbook's text.")

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines instead of text.")


def parse_params(values: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for value in values:
        name, sep, given = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint="--param")
        params[name.strip()] = given
    return params


param_option = click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
    help="A playbook parameter (repeatable), e.g. --param image=app:staging.")
