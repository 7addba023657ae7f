"""Markers in the hand-written pages: `<!-- runner:NAME key=value -->` replaced with generated
Markdown (the playbook and claim tables, the CLI and JSON references, the schema, the count)."""

from __future__ import annotations

import re
from pathlib import Path

from runner.playbook.model import Playbook
from runner.site.catalogue_pages import claims_table, playbook_table
from runner.site.reference_pages import cli_reference, json_reference, schema_reference

MARKER = re.compile(r"<!--\s*runner:(?P<name>[a-z-]+)(?P<args>(?:\s+[a-z]+=[^\s>]+)*)\s*-->")


def expand_markers(markdown: str, playbooks: list[Playbook], src_path: str) -> str:
    """Replace `<!-- runner:NAME key=value -->` in a hand-written page with generated Markdown.

    NAME: playbooks (the table; limit=N: the N most severe), claims (tags=a,b status=confirmed,refuted),
    cli, json, schema, count.
    """
    from_dir = str(Path(src_path).parent).replace("\\", "/").strip(".")

    def replace(match: re.Match) -> str:
        args = dict(arg.split("=", 1) for arg in match.group("args").split())
        name = match.group("name")
        if name == "playbooks":
            selected = [p for p in playbooks if not args.get("tags") or set(args["tags"].split(",")) & set(p.tags)]
            return playbook_table(selected, from_dir, int(args["limit"]) if args.get("limit") else None)
        if name == "claims":
            return claims_table(playbooks, from_dir,
                                tags=set(args["tags"].split(",")) if args.get("tags") else None,
                                statuses=set(args["status"].split(",")) if args.get("status") else None)
        if name == "cli":
            return cli_reference()
        if name == "json":
            return json_reference()
        if name == "schema":
            return schema_reference()
        if name == "count":
            return str(len(playbooks))
        raise ValueError(f"{src_path}: unknown marker runner:{name}")

    return MARKER.sub(replace, markdown)
