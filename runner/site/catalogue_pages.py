"""The catalogue as tables: the playbooks (most severe first) and every claim with its status,
for the hand-written pages' markers; and where each playbook's page lives."""

from __future__ import annotations

from collections.abc import Iterable

from runner.playbook.model import Playbook
from runner.site.markdown_parts import (
    bilingual,
    claim_badge,
    severity_badge,
    table_cell,
    table_head,
    verification_text,
)

PLAYBOOK_DIR = "playbooks"  # URL prefix and docs sub-folder of the generated pages
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def page_path(playbook_id: str) -> str:
    return f"{PLAYBOOK_DIR}/{playbook_id}.md"


def sorted_playbooks(playbooks: Iterable[Playbook]) -> list[Playbook]:
    return sorted(playbooks, key=lambda p: (SEVERITY_ORDER.get(p.severity.value, 9), p.id))


def playbook_table(playbooks: Iterable[Playbook], from_dir: str = PLAYBOOK_DIR, limit: int | None = None) -> str:
    """A table of playbooks with severity and tags; links relative to a page in `from_dir`.
    With `limit`, the most severe `limit` playbooks and a link to the whole list."""
    rows = [*table_head("플레이북 · Playbook", "심각도 · Severity", "태그 · Tags")]
    prefix = "" if from_dir == PLAYBOOK_DIR else f"{PLAYBOOK_DIR}/" if not from_dir else "../" * (
        from_dir.count("/") + 1) + f"{PLAYBOOK_DIR}/"
    ordered = sorted_playbooks(playbooks)
    rest = len(ordered) - limit if limit is not None and len(ordered) > limit else 0
    for pb in ordered[:len(ordered) - rest]:
        title = table_cell(pb.title)
        tags = " ".join(f"`{t}`{{: .pb-tag }}" for t in pb.tags)
        rows.append(f"| [{title}]({prefix}{pb.id}.md) | {severity_badge(pb.severity.value)} | {tags} |")
    if len(rows) == 2:
        rows.append(f"| ({bilingual('아직 없음', 'none yet')}) | | |")
    if rest:
        more = bilingual(f"나머지 {rest}개: 전체 목록", f"{rest} more: the whole list")
        rows.append(f"| [… {more}]({prefix}index.md) | | |")
    return "\n".join(rows)


def claims_table(playbooks: Iterable[Playbook], from_dir: str, *, tags: set[str] | None = None,
                 statuses: set[str] | None = None) -> str:
    """Every claim of the selected playbooks, with its status and the engine it was verified on."""
    prefix = "../" * (from_dir.count("/") + 1) if from_dir else ""
    rows = [*table_head("상태 · Status", "주장 · Claim", "검증 · Verified on", "플레이북 · Playbook")]
    for pb in sorted_playbooks(playbooks):
        if tags and not tags & set(pb.tags):
            continue
        for claim in pb.claims:
            if statuses and claim.status.value not in statuses:
                continue
            statement = table_cell(claim.statement)
            rows.append(f"| {claim_badge(claim.status)} | {statement} | {verification_text(claim)} "
                        f"| [`{pb.id}`]({prefix}{PLAYBOOK_DIR}/{pb.id}.md#claim-{claim.id}) |")
    if len(rows) == 2:
        rows.append(f"| | ({bilingual('아직 없음', 'none yet')}) | | |")
    return "\n".join(rows)
