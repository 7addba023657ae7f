"""What a lab's experiments decide: each claim's verdict, each replayed wrong attempt, fix
and cause (did it behave as recorded?), and whether one experiment agrees with the playbook."""

from __future__ import annotations

from runner.lab.results import ClaimResult, ExperimentResult, TieResult, Versions
from runner.playbook.model import Claim, Playbook, localize


def recorded(claim: Claim, versions: Versions) -> str:
    """What the playbook records of a claim on this engine: its verdict there, else the status
    (unverified; depends, when the engines recorded disagree and this one is not among them)."""
    return claim.verdict_on(versions.engine, versions.client, versions.store) or claim.status.value


def agrees(playbook: Playbook, result: ExperimentResult, versions: Versions) -> bool | None:
    """Whether one experiment agrees with the playbook on this engine: its verdict is what is
    recorded of each claim here, and its wrong attempt, fix and cause behave as recorded."""
    if result.outcome in ("error", "skipped"):
        return None
    on_this_engine = {c.id: recorded(c, versions) for c in playbook.claims}
    if any(on_this_engine.get(claim) not in (result.verdict(), "depends") for claim in result.claims):
        return False
    return all(result.holds_for(kind) for kind, tied in (("wrong_attempt", result.wrong_attempt),
                                                          ("fix", result.fix), ("cause", result.cause)) if tied)


def decide(playbook: Playbook, results: list[ExperimentResult],
           versions: Versions) -> tuple[tuple[ClaimResult, ...], tuple[TieResult, ...]]:
    """Each claim's verdict from the experiments tied to it; each wrong attempt, fix and cause
    replayed: did it behave as the playbook records?"""
    by_claim: dict[str, list[ExperimentResult]] = {}
    for result in results:
        if result.outcome == "skipped":
            continue  # not for this engine: it decides nothing here
        for claim_id in result.claims:
            by_claim.setdefault(claim_id, []).append(result)
    claims = []
    for claim in playbook.claims:
        tied = by_claim.get(claim.id, [])
        verdicts = {r.verdict() for r in tied}
        if not tied:
            verdict = None
        elif "error" in verdicts:
            verdict = "error"
        elif len(verdicts) == 1:
            verdict = verdicts.pop()
        else:
            verdict = "mixed"
        claims.append(ClaimResult(claim.id, localize(claim.statement, "en"), recorded(claim, versions), verdict,
                                  tuple(r.id for r in tied), versions.engine, versions.client, versions.store))
    ties = []
    meanings = {"wrong_attempt": ("fails as recorded", "did not fail as recorded"),
                "cause": ("reproduced and diagnosed", "not diagnosed as this cause"),
                "fix": ("resolves it", "does not resolve it")}
    for result in results:
        if result.outcome == "skipped":
            continue
        for kind, tied in (("wrong_attempt", result.wrong_attempt), ("cause", result.cause), ("fix", result.fix)):
            if tied:
                behaves = result.holds_for(kind)
                meaning = meanings[kind][0] if behaves else meanings[kind][1] if behaves is False \
                    else "could not be replayed"
                ties.append(TieResult(kind, tied, result.id, behaves, meaning))
    return tuple(claims), tuple(ties)

