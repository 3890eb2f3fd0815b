"""The log: the only source of truth (docs/PROTOCOL.md sections 2-3).

Two ways in: `append_local` signs a body with our key as the next entry of our
feed; `receive` validates remote entries and stores a batch atomically,
reporting per entry what docs/PROTOCOL.md section 2.4 says (stored, duplicate, early, fork,
invalid with its rule). Ways out: the vector of what we hold, a feed from a
seq on (bounded memory), and the arrival counter that views tail.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from events import forks as fork_decisions
from events import verify_pool, wake
from events.entry import (
    Entry,
    EntryInvalid,
    LinkedEntry,
    check_linkage,
    check_prev,
    decode_stored,
    parse_entry,
)
from events.identity import author_id, load_or_create_signing_key
from events.log_rows import entries_since as entries_since  # the ways out, re-exported
from events.log_rows import feed_rows as feed_rows
from events.log_rows import heads, insert, remember, row, save_heads
from events.log_rows import last_arrival as last_arrival
from events.log_rows import vector as vector
from events.models import Feed, ForkEvidence, LogEntry, OwnFeedClaim

CHUNK = 500

STORED, DUPLICATE, EARLY, FORK, INVALID = "stored", "duplicate", "early", "fork", "invalid"
WAITING = "waiting"  # the author forked and the owner has not decided yet (docs/PROTOCOL.md section 2.5)


@dataclass(frozen=True, slots=True)
class Outcome:
    result: str
    rule: str | None = None
    message: str = ""
    hash: str | None = None
    author: str | None = None
    seq: int | None = None


class LocalWritesHeld(RuntimeError):
    """A peer holds more of our own feed than we do (we were restored from a
    backup): signing now would fork our own history."""


class WriteQueued(LocalWritesHeld):
    """The write was kept, unsigned, until our own feed is confirmed (docs/PROTOCOL.md section 3.4)."""


@cache
def signing_key() -> Ed25519PrivateKey:
    return load_or_create_signing_key(settings.DATA_DIR)


def my_author_id() -> str:
    return author_id(signing_key())


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# The arrival counter is tailed by "everything after the last arrival I saw"
# (the index, the hub's live push, the pages' live updates). PostgreSQL's
# sequence hands numbers out at INSERT, but transactions commit in any order:
# a reader could see 11 before 10 commits and never look back. Every append
# therefore holds this transaction-scoped advisory lock from before its INSERT
# to its commit, so arrivals become visible in the order they were numbered
# (docs/architecture.md, "The arrival counter"). SQLite's one writer at a time
# already gives that order.
ARRIVAL_LOCK = 0x6C6F675F6172  # an arbitrary 64-bit key, the same in every process


def _hold_arrival_order() -> None:
    """Wait until no other transaction is appending; held until this one ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ARRIVAL_LOCK])


def append_local(body: dict, *, links: Iterable[str] = (), time: int | None = None) -> Entry:
    """Sign `body` as the next entry of our feed and store it, unless that could
    fork our feed: then it waits, and `WriteQueued` says so (events/local_writes.py)."""
    from events import local_writes  # it builds on this module

    return local_writes.append(body, links=links, time=time)


CLAIM_STALL = timedelta(minutes=2)  # a backed claim holds writes this long after its last verified entry


def _clean(text: str) -> str:
    """A peer-chosen name without control characters, for the owner's screens."""
    return "".join(ch for ch in text if ch.isprintable())


def _own_seq() -> int:
    return Feed.objects.filter(author=my_author_id()).values_list("seq", flat=True).first() or 0


def _holding_claims(held: int):
    """Claims that hold local writes: beyond what we hold, and backed by our own
    verified entries from that peer recently (docs/PROTOCOL.md section 3.3)."""
    return OwnFeedClaim.objects.filter(
        seq__gt=held, backed_at__isnull=False, backed_at__gte=timezone.now() - CLAIM_STALL
    ).order_by("-seq")


def note_own_feed_seen(seq: int, *, peer: str, peer_name: str = "") -> bool:
    """A peer's `have` says it holds our own feed up to `seq`. If that is beyond
    what we hold, remember the claim (the caller asks for the entries with
    `want`). A bare number holds nothing: only our own entries, verified, make
    the claim hold writes (`note_own_entries_backed`). Returns whether writes
    are now held."""
    held = _own_seq()
    if seq <= held:
        OwnFeedClaim.objects.filter(peer=peer).delete()
        return False
    OwnFeedClaim.objects.update_or_create(peer=peer, defaults={"seq": seq, "peer_name": peer_name[:200]})
    return _holding_claims(held).exists()


def note_own_entries_backed(peer: str) -> bool:
    """`peer` sent us our own entries beyond what we held and they verified and
    were stored: its claim is backed, and holds local writes until we have
    caught up (or it stops delivering for CLAIM_STALL). Returns whether
    writes are now held."""
    held = _own_seq()
    OwnFeedClaim.objects.filter(seq__lte=held).delete()
    OwnFeedClaim.objects.filter(peer=peer).update(backed_at=timezone.now())
    return _holding_claims(held).exists()


def drop_own_feed_claims(peer: str | None = None) -> int:
    """Forget the claims about our own feed (of one peer, or all): the owner's
    way out, and what unpairing or blocking a peer does. Returns how many."""
    claims = OwnFeedClaim.objects.all() if peer is None else OwnFeedClaim.objects.filter(peer=peer)
    return claims.delete()[0]


def own_feed_claims() -> list[dict]:
    """The open claims about our own feed, for `manage.py peers` and the Peers page."""
    held = _own_seq()
    holding = set(_holding_claims(held).values_list("pk", flat=True))
    return [
        {
            "peer": c.peer,
            "peer_name": _clean(c.peer_name),
            "seq": c.seq,
            "held": held,
            "since": c.since.isoformat(),
            "backed_at": c.backed_at.isoformat() if c.backed_at else None,
            "holds_writes": c.pk in holding,
        }
        for c in OwnFeedClaim.objects.filter(seq__gt=held).order_by("since")
    ]


def writes_held_reason() -> str | None:
    """Why local writes are held, or None when they are not."""
    from events import local_writes

    if waiting := local_writes.describe():
        return waiting
    held = _own_seq()
    claim = _holding_claims(held).first()
    if claim is None:
        return None
    return (
        f"Waiting for our own entries {held + 1}-{claim.seq} from {_clean(claim.peer_name) or claim.peer[:12]} "
        f"({claim.peer[:16]}, claimed since {claim.since:%Y-%m-%d %H:%M} UTC, last entry received "
        f"{claim.backed_at:%H:%M:%S}): this instance seems to have been restored from an older backup. "
        "`manage.py peers --clear-held` lifts the hold."
    )


_CHECKED = Entry | Outcome | EntryInvalid  # an item whose stateless rules were applied already


def _parse(item: str | bytes | dict | Entry | Outcome | EntryInvalid) -> Entry | Outcome:
    if isinstance(item, Entry | Outcome):
        return item
    if isinstance(item, EntryInvalid):  # refused by events.verify_pool
        return Outcome(INVALID, item.rule, item.message)
    try:
        return parse_entry(item)
    except EntryInvalid as e:
        return Outcome(INVALID, e.rule, e.message)


def parse_many(items: Iterable[str | bytes | dict | Entry]) -> list[Entry | Outcome]:
    """Apply the stateless rules (fields, limits, signature) to many items, a big batch on every core."""
    items = list(items)
    checked = iter(verify_pool.check_all([item for item in items if not isinstance(item, _CHECKED)]))
    return [_parse(item if isinstance(item, _CHECKED) else next(checked)) for item in items]


def parse_ahead(items: Iterable[str | bytes | dict | Entry]) -> verify_pool.Checked:
    """Start verifying a big batch in worker processes; pass its `result()` to `receive`."""
    return verify_pool.submit(list(items))


def receive(items: Iterable[str | bytes | dict | Entry | Outcome | EntryInvalid]) -> list[Outcome]:
    """Validate remote entries and store the valid ones in one transaction.

    Items are decided in order, so a batch may carry a feed's consecutive
    entries; items checked already (an Entry, or the EntryInvalid of a refused
    one, from `parse_many` or `parse_ahead`) skip the stateless checks.
    Returns one Outcome per item, in the same order.
    """
    items = list(items)
    parsed = items if all(isinstance(i, Entry | Outcome) for i in items) else parse_many(items)
    entries = [p for p in parsed if isinstance(p, Entry)]
    if not entries:
        return [p for p in parsed if isinstance(p, Outcome)]
    with transaction.atomic():
        _hold_arrival_order()
        outcomes = _decide_and_store(parsed, entries)
        if any(o.result == STORED for o in outcomes):
            transaction.on_commit(wake.announce)
        return outcomes


def _decide_and_store(parsed: list[Entry | Outcome], entries: list[Entry]) -> list[Outcome]:
    authors = {e.author for e in entries}
    me = my_author_id()
    held = heads(authors)
    waiting = fork_decisions.waiting_authors(authors, me=me)
    decided: set[str] | None = None  # read at the first fork: most batches have none
    held_hashes = _held_hashes(entries, held)  # (author, seq) -> hash, for seqs already stored
    outcomes: list[Outcome] = []
    rows: list[tuple[str, str, int, str]] = []
    stored: list[Entry] = []
    forks: list[ForkEvidence] = []
    touched: dict[str, tuple[int, str]] = {}
    for item in parsed:
        if isinstance(item, Outcome):
            outcomes.append(item)
            continue
        e = item
        held_seq, head = held.get(e.author, (0, None))
        ids = {"hash": e.hash, "author": e.author, "seq": e.seq}
        if e.seq <= held_seq:
            have = held_hashes.get((e.author, e.seq))
            if have == e.hash:
                outcomes.append(Outcome(DUPLICATE, **ids))
            else:
                forks.append(
                    ForkEvidence(author=e.author, seq=e.seq, held_hash=have or "", offered_hash=e.hash, offered_raw=e.raw.decode())
                )
                outcomes.append(Outcome(FORK, message=f"author signed two entries at seq {e.seq}", **ids))
                if decided is None:
                    decided = fork_decisions.decided_authors(authors - {me})
                if e.author != me and e.author not in decided:
                    waiting.add(e.author)  # from now on, until the owner decides
            continue
        if e.author in waiting:
            outcomes.append(Outcome(WAITING, message="this author forked: its entries wait for the owner's decision", **ids))
            continue
        if e.seq > held_seq + 1:
            outcomes.append(Outcome(EARLY, message=f"we hold {held_seq} entries of this feed", **ids))
            continue
        try:
            check_prev(e, head)
            if not isinstance(e, LinkedEntry):  # else a verify worker applied these rules already
                check_linkage(e)
        except EntryInvalid as err:
            outcomes.append(Outcome(INVALID, err.rule, err.message, **ids))
            continue
        held[e.author] = touched[e.author] = (e.seq, e.hash)
        held_hashes[(e.author, e.seq)] = e.hash
        rows.append(row(e))
        stored.append(e)
        outcomes.append(Outcome(STORED, **ids))
    if rows:
        insert(rows)
        save_heads(touched)
        remember(stored)
    if forks:
        ForkEvidence.objects.bulk_create(forks, ignore_conflicts=True)
    return outcomes


def _held_hashes(entries: list[Entry], held: dict[str, tuple[int, str]]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = {}
    for e in entries:
        if e.seq <= held.get(e.author, (0, ""))[0]:
            wanted.setdefault(e.author, set()).add(e.seq)
    found: dict[tuple[str, int], str] = {}
    for author, seqs in wanted.items():
        rows = LogEntry.objects.filter(author=author, seq__in=seqs).values_list("seq", "hash")
        found.update({(author, s): h for s, h in rows})
    return found


def read_feed(author: str, after_seq: int = 0, *, chunk: int = CHUNK) -> Iterator[Entry]:
    """The author's entries above `after_seq`, ascending, read `chunk` at a time."""
    while True:
        rows = list(
            LogEntry.objects.filter(author=author, seq__gt=after_seq).order_by("seq").values_list("seq", "raw", "hash")[:chunk]
        )
        for seq, raw, hash_ in rows:
            after_seq = seq
            yield decode_stored(raw, hash_)
        if len(rows) < chunk:
            return


def all_entries(*, chunk: int = CHUNK) -> Iterator[Entry]:
    """Every entry in arrival order, which is a valid order to replay them in."""
    cursor = 0
    while batch := entries_since(cursor, chunk):
        cursor = batch[-1][0]
        yield from (entry for _, entry in batch)


def get_entries(hashes: Iterable[str]) -> list[Entry]:
    rows = LogEntry.objects.filter(hash__in=list(hashes)).values_list("raw", "hash")
    return [decode_stored(raw, hash_) for raw, hash_ in rows]


def fork_evidence() -> list[ForkEvidence]:
    return list(ForkEvidence.objects.order_by("recorded_at"))


def forks() -> list[dict]:
    """Fork records with the owner's decisions (`events.forks.forks`)."""
    return fork_decisions.forks(me=my_author_id())


def decide_fork(author: str, decision: str) -> None:
    """The owner's decision about a forked author (`events.forks.decide`)."""
    fork_decisions.decide(author, decision, me=my_author_id())
