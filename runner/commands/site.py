"""`runner site export DIR`: the site's pages on disk, without MkDocs hooks."""

from __future__ import annotations

from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent.parent


@click.group("site")
def site_group() -> None:
    """The knowledge base as a site (MkDocs + Material; `mkdocs build` runs the same code)."""


@site_group.command("export")
@click.argument("out", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="The site's mkdocs.yml [default: the repository's own].")
@click.pass_obj
def export_command(obj: dict, out: Path, config_file: Path | None) -> None:
    """Write every page of the site to DIR, once per language: DIR/mkdocs.yml and DIR/docs/ in
    Korean, DIR/en/mkdocs.yml and DIR/en/docs/ in English (built into DIR/site/en/).

    The hand-written pages have their generated parts filled in, each playbook gets its page
    (docs/playbooks/<id>.md), and each mkdocs.yml loses the hooks, so DIR builds as it is with
    `mkdocs build -f DIR/mkdocs.yml` and `mkdocs build -f DIR/en/mkdocs.yml`, or with Zensical,
    which runs no MkDocs hooks. Not part of the export (the hooks do it): Korean compound
    splitting in search, and language links from each page to its counterpart (the exported
    sites link each other's home page).
    """
    from runner.playbook.catalogue import load_catalogue, playbook_dir
    from runner.site.pages import export_site

    root = (config_file.parent if config_file else ROOT).resolve()
    if not (root / "mkdocs.yml").is_file():
        raise click.UsageError(f"no mkdocs.yml in {root} (give --config)")
    folder = playbook_dir(obj["playbooks_dir"]) if obj and obj.get("playbooks_dir") else _default_folder(root)
    playbooks = load_catalogue(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = export_site(root, out, playbooks)
    pages = sum(1 for p in written if p.suffix == ".md")
    click.echo(f"wrote {pages} pages for {len(playbooks)} playbooks, in Korean and in English: "
               f"{out}/docs, {out}/en/docs and their mkdocs.yml")
    click.echo(f"build it: mkdocs build -f {out}/mkdocs.yml && mkdocs build -f {out}/en/mkdocs.yml   "
               f"(or: cd {out} && zensical build, and in {out}/en)")


def _default_folder(root: Path) -> Path:
    from runner.playbook.catalogue import playbook_dir

    beside = root / "playbooks"
    return beside if beside.is_dir() else playbook_dir(None)
