"""Forks and the owner's decision about them (docs/PROTOCOL.md section 2.5).

`events.log.receive` records the evidence when an author signed two entries
at one seq. From then on that author's new entries wait (they are neither
stored nor an error that closes the connection) until the owner decides:
keep extending the branch we hold, or block the author (blocking itself is
sync's business: `sync.pairing.block`; here it is only recorded). Our own
feed can fork too, when this instance was restored from a backup and wrote
before a peer brought back what it had signed before: for our own feed the
decision is always to keep what we hold, so its entries never wait.
"""

from __future__ import annotations

from collections.abc import Iterable

from events.models import ForkDecision, ForkEvidence

KEEP_HELD, BLOCK = ForkDecision.KEEP_HELD, ForkDecision.BLOCK

OWN_FORK_EXPLANATION = (
    "This instance signed two different entries at the same place in its own feed: it was probably restored "
    "from an older backup and wrote before its peers brought back what it had signed before. The entries it "
    "holds are kept; the other branch stays with the peers that hold it and is not taken in again."
)


def waiting_authors(authors: Iterable[str], *, me: str) -> set[str]:
    """The authors among `authors` whose new entries wait for the owner: fork
    evidence recorded and no decision yet. Never our own feed."""
    authors = set(authors) - {me}
    if not authors:
        return set()
    forked = set(ForkEvidence.objects.filter(author__in=authors).values_list("author", flat=True))
    if not forked:
        return set()
    return forked - set(ForkDecision.objects.filter(author__in=forked).values_list("author", flat=True))


def decided_authors(authors: Iterable[str]) -> set[str]:
    return set(ForkDecision.objects.filter(author__in=set(authors)).values_list("author", flat=True))


def decide(author: str, decision: str, *, me: str) -> ForkDecision:
    """Record the owner's decision for `author`; LookupError when there is no
    fork evidence for it, ValueError for a decision that does not apply."""
    if decision not in (KEEP_HELD, BLOCK):
        raise ValueError(f"unknown decision {decision!r}: keep-held or block")
    if not ForkEvidence.objects.filter(author=author).exists():
        raise LookupError(f"no fork evidence for {author[:16]}")
    if author == me and decision != KEEP_HELD:
        raise ValueError("this is our own feed: the only decision is to keep the entries we hold")
    row, _ = ForkDecision.objects.update_or_create(author=author, defaults={"decision": decision})
    return row


def find_forked_author(prefix: str) -> str:
    """A full author id with fork evidence from a unique prefix (at least 8 hex chars)."""
    prefix = prefix.strip().lower()
    if len(prefix) < 8:
        raise LookupError("give at least 8 hex chars of the author")
    found = sorted(set(ForkEvidence.objects.filter(author__startswith=prefix).values_list("author", flat=True)))
    if len(found) != 1:
        raise LookupError(f"{len(found)} authors with fork evidence start with {prefix}")
    return found[0]


def forks(*, me: str) -> list[dict]:
    """Every fork record with the decision about its author, for the Peers page and `manage.py peers`."""
    decisions = dict(ForkDecision.objects.values_list("author", "decision"))
    return [
        {
            "author": f.author,
            "own": f.author == me,
            "seq": f.seq,
            "held_hash": f.held_hash,
            "offered_hash": f.offered_hash,
            "recorded_at": f.recorded_at,
            "decision": KEEP_HELD if f.author == me else decisions.get(f.author, ""),
            "waiting": f.author != me and f.author not in decisions,
            "explanation": OWN_FORK_EXPLANATION if f.author == me else "",
        }
        for f in ForkEvidence.objects.order_by("recorded_at", "pk")
    ]
