"""The database side of replication: verify, store, read batches, save statuses.

Sessions and the hub run in the event loop and reach the database only through
the coroutines here; each wraps its ORM call in `database_sync_to_async`.
Verifying signatures (docs/PROTOCOL.md section 2.3) runs in worker threads.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db.models import F

from events import health, instance, local_writes, log, verify_pool, worker_pool
from events.calendars import state as calendar_state
from events.calendars.bodies import SEALED
from events.entry import Entry, EntryInvalid
from events.index.fold import catch_up, folded_up_to
from events.index.registers import DEL, PUT
from events.models import LogEntry
from sync import mirror, pairing, protocol
from sync.models import FeedRefusal, Peer
from sync.protocol import ProtocolError

logger = logging.getLogger(__name__)

VERIFY_IN_PLACE = 4  # entries a frame may carry and be verified in the event loop (under a millisecond)


@dataclass(slots=True)
class Invalid:
    rule: str
    message: str
    hash: str | None
    author: str | None


# -- synchronous: run in a worker thread ------------------------------------------


def after_store() -> None:
    """After a batch was stored: the index catches up (then the event loop
    tells the open pages, `_pages_told`).

    The single place where replication hands over to the calendar views."""
    try:
        catch_up()
        mirror.adopt()  # peers our mirror paired for us, as soon as its entry says so
    except Exception:  # the entries are stored; the index catches up on the next batch or start
        logger.exception("the index could not catch up after a stored batch")


async def _pages_told(changed: bool) -> None:
    """Open pages of this instance look again: the index changed (events/live.py)."""
    layer = get_channel_layer()
    if changed and layer is not None:
        await layer.group_send("live", {"type": "index.changed"})


def _named(items: list[Any], results: list[Entry | EntryInvalid]) -> list[Entry | Invalid]:
    """Each refusal with the hash and author of the item it refuses, for the `bad-entry` answer."""
    out: list[Entry | Invalid] = []
    for item, checked in zip(items, results, strict=True):
        if isinstance(checked, Entry):
            out.append(checked)
            continue
        author = item.get("author") if isinstance(item, dict) and isinstance(item.get("author"), str) else None
        out.append(Invalid(checked.rule, checked.message, protocol.entry_hash(item), author))
    return out


class Stored(NamedTuple):
    """What storing a verified frame did: the items kept (blocked authors' dropped), the
    log's outcome per entry, our vector for the feeds it touched, whether anything
    was stored, and the authors blocked when it was written."""

    checked: list[Entry | Invalid]
    outcomes: list[log.Outcome]
    held: dict[str, int]
    stored: bool
    blocked: set[str]


def store_frames(frames: list[list[Entry | Invalid]]) -> list[Stored]:
    """Store the valid entries of consecutive frames in one transaction, leaving
    out those of blocked authors; after a stored entry the index catches up
    before this returns. One Stored per frame, for that frame's answer.

    A frame's entries dirty pages all over the log's hash index (hashes are
    random), and a commit writes each dirtied page: two frames per commit
    write most of those pages once instead of twice."""
    blocked = pairing.blocked_authors()
    frames = [[c for c in checked if c.author not in blocked] for checked in frames]
    entries = [[c for c in checked if isinstance(c, Entry)] for checked in frames]
    everything = [e for part in entries for e in part]
    outcomes = log.receive(everything) if everything else []
    held = {author: seq for author, (seq, _) in log.heads({e.author for e in everything}).items()}
    results, start = [], 0
    for checked, part in zip(frames, entries, strict=True):
        mine, start = outcomes[start:start + len(part)], start + len(part)
        authors = sorted({e.author for e in part})
        results.append(Stored(checked, mine, {a: held.get(a, 0) for a in authors}, any(o.result == log.STORED for o in mine), blocked))
    if any(r.stored for r in results):
        after_store()
    return results


def read_batch(author: str, after_seq: int, limit: int = protocol.MAX_ENTRIES_PER_FRAME) -> tuple[list[tuple[int, bytes]], str | None]:
    """The feed's next entries to send, and why it stops early if it does: an
    entry whose stored bytes no longer match its hash is never sent (nor what
    follows it, which would only be `early` there)."""
    rows = log.feed_rows(author, after_seq, limit)
    batch: list[tuple[int, bytes]] = []
    for seq, hash_, raw in rows:
        if not health.servable(author, seq, hash_, raw):
            return batch, f"entry {seq} is damaged in our log (its bytes no longer match its hash): not sent; run manage.py verify_log"
        batch.append((seq, raw.encode()))
    return batch, None


def entry_position(hash_: str) -> tuple[str, int] | None:
    """(author, seq) of an entry we hold, by hash."""
    return LogEntry.objects.filter(hash=hash_).values_list("author", "seq").first()


def save_statuses(rows: list[dict]) -> None:
    for row in rows:
        Peer.objects.filter(author=row["author"]).update(
            connected=row["connected"],
            last_seen=row["last_seen"],
            entries_sent=F("entries_sent") + row["sent"],
            entries_received=F("entries_received") + row["received"],
            peer_lacks=row["peer_lacks"],
            we_lack=row["we_lack"],
            last_error=row["last_error"][:500],
            held_back=row.get("held_back", "")[:1000],
        )
        if row.get("refusals") is not None:
            _save_refusals(row["author"], row["refusals"])


def _save_refusals(peer: str, rows: list[dict]) -> None:
    FeedRefusal.objects.filter(peer=peer).exclude(author__in=[r["author"] for r in rows]).delete()
    for r in rows:
        FeedRefusal.objects.update_or_create(peer=peer, author=r["author"], defaults={k: v for k, v in r.items() if k != "author"})


REFUSAL_FIELDS = ("author", "seq", "hash", "count", "retry_at", "reason")


def _refusals_of(peer: str) -> list[dict]:
    return list(FeedRefusal.objects.filter(peer=peer).values(*REFUSAL_FIELDS))


def _refused_peers() -> set[str]:
    return set(FeedRefusal.objects.values_list("peer", flat=True).distinct())


def clear_refusals(peer: str | None = None) -> int:
    """The owner's way out: every held-back feed (of one peer, or all) is offered
    again; a running server sees it within a second (`Hub._check_peers`). How many."""
    rows = FeedRefusal.objects.all() if peer is None else FeedRefusal.objects.filter(peer=peer)
    count = rows.delete()[0]
    (Peer.objects.all() if peer is None else Peer.objects.filter(author=peer)).update(held_back="")
    return count


def _index_behind(arrival: int) -> bool:
    return folded_up_to() != arrival


class Snapshot(NamedTuple):
    """What the hub pushes by: the log's arrival counter, our vector, the blocked
    authors, who may receive each feed, the owners we are the mirror of, and
    the arrival the index was folded up to when those audiences were read."""

    arrival: int
    vector: dict[str, int]
    blocked: set[str]
    audiences: dict[str, set[str] | None]
    owners: set[str]
    audiences_at: int


# Entries that write events change no audience (`calendar_state.audiences` and
# `mirror.owners` read published keys, mirrors and calendars). When only such
# entries (a few) arrived since the audiences the hub holds were read, they are
# pushed at once by those audiences and folded afterwards (`fold_behind`): a
# live write reaches its peers without waiting for this process's index.
_EVENT_TYPES = frozenset({PUT, DEL, SEALED})
_PEEK = 16


def _only_events_since(folded: int) -> bool:
    later = log.entries_since(folded, _PEEK + 1)
    return len(later) <= _PEEK and all(entry.body.get("type") in _EVENT_TYPES for _, entry in later)


def _snapshot(held: Snapshot | None = None) -> Snapshot:
    arrival, folded = log.last_arrival(), folded_up_to()
    if held is not None and held.audiences_at == folded <= arrival and (folded == arrival or _only_events_since(folded)):
        return Snapshot(arrival, log.vector(), pairing.blocked_authors(), held.audiences, held.owners, audiences_at=folded)
    # The audiences come from the index: fold what the vector will show. Calendar
    # operations and `after_store` have caught up already; a writer that did not
    # (an import, a script) is folded here.
    if folded != arrival:
        catch_up()
        folded = folded_up_to()
    return Snapshot(arrival, log.vector(), pairing.blocked_authors(), calendar_state.audiences(), mirror.owners(), audiences_at=folded)


def fold_behind() -> bool:
    """Fold what arrived and was pushed before it was folded; whether anything was."""
    return bool(_index_behind(log.last_arrival()) and catch_up())


def _peer_sets() -> tuple[set[str], set[str]]:
    rows = list(Peer.objects.values_list("author", "state"))
    return {a for a, s in rows if s == Peer.BLOCKED}, {a for a, s in rows if s == Peer.PAIRED}


def _admit(**kwargs) -> None:
    try:
        pairing.admit(**kwargs)
    except pairing.PairingRefused as e:
        raise ProtocolError(e.code, e.message) from None


# -- what the event loop awaits ---------------------------------------------------


def introduction() -> tuple[str, str]:
    """(our name, our public URL) for the hello (instance.json, no database)."""
    return instance.name(), pairing.public_url()


async def my_author_id() -> str:
    return await database_sync_to_async(log.my_author_id)()


async def signing_key() -> Ed25519PrivateKey:
    return await database_sync_to_async(log.signing_key)()


async def admit(*, key: str, name: str, url: str | None, invite: str | None) -> None:
    """The dialed side's decision (docs/PROTOCOL.md section 4.1, step 3); a refusal
    raises the ProtocolError the dialer is answered with."""
    await database_sync_to_async(_admit)(key=key, name=name, url=url, invite=invite)


async def record_paired(*, key: str, name: str, url: str) -> None:
    await database_sync_to_async(pairing.record_paired)(key=key, name=name, url=url)


async def record_outgoing_request(*, key: str, name: str, url: str) -> None:
    await database_sync_to_async(pairing.record_outgoing_request)(key=key, name=name, url=url)


async def note_own_feed_seen(seq: int, *, peer: str, peer_name: str) -> None:
    await database_sync_to_async(log.note_own_feed_seen)(seq, peer=peer, peer_name=peer_name)


def _confirmed(seq: int) -> int:
    signed = local_writes.confirm(seq)
    if signed:
        after_store()
    return signed


def _own_entries_stored(peer: str, claimed: int) -> int:
    log.note_own_entries_backed(peer)
    return _confirmed(claimed)


def _sign_waiting() -> int:
    signed = local_writes.sign_waiting()
    if signed:
        after_store()
    return signed


async def own_feed_confirmed(seq: int) -> int:
    """A peer's whole `have` names our feed at `seq`: if that is what we hold,
    the writes waiting for a confirmation are signed (docs/PROTOCOL.md section 3.4). How many."""
    signed = await database_sync_to_async(_confirmed)(seq)
    await _pages_told(bool(signed))
    return signed


async def own_entries_stored(peer: str, *, claimed: int) -> int:
    """`peer` sent our own entries and they were stored: its claim is backed
    (section 3.3); once we hold all it `claimed`, that confirms our feed."""
    signed = await database_sync_to_async(_own_entries_stored)(peer, claimed)
    await _pages_told(bool(signed))
    return signed


async def sign_waiting() -> int:
    """Writes that wait and that nothing holds any longer (a claim lapsed) are signed."""
    if not local_writes.has_waiting():
        return 0
    signed = await database_sync_to_async(_sign_waiting)()
    await _pages_told(bool(signed))
    return signed


class Verifying(NamedTuple):
    """A frame's entries being verified under the rules fields, limits and signature
    (docs/PROTOCOL.md section 2.3): `verify` starts it, `verified` waits for it."""

    items: list[Any]
    checked: verify_pool.Checked


def expect(count: int) -> None:
    """A peer holds `count` entries we lack: if they will come in batches the
    verify workers take, those start now, beside the handshake's last frames."""
    if count >= verify_pool.POOL_MIN and not worker_pool.running():
        asyncio.get_running_loop().run_in_executor(None, verify_pool.warm)


async def verify(items: list[Any]) -> Verifying:
    """Start verifying a frame's entries and return at once for a big frame: its
    shares wait in the worker processes' queue (events.verify_pool), so that the
    workers go on to the next frames while this one is stored. A frame of a few
    entries (live sync) is verified in place, where a thread's round trip would
    cost more; a middling one in a worker thread."""
    if len(items) <= VERIFY_IN_PLACE:
        return Verifying(items, verify_pool.CheckedHere(items))
    return Verifying(items, await asyncio.to_thread(verify_pool.submit, items))


async def verified(frame: Verifying) -> list[Entry | Invalid]:
    """The outcome of `verify`: an Entry per valid item, an Invalid naming each refused one."""
    if isinstance(frame.checked, verify_pool.CheckedHere):
        return _named(frame.items, frame.checked.result())
    return await asyncio.to_thread(lambda: _named(frame.items, frame.checked.result()))


async def store(*frames: list[Entry | Invalid]) -> list[Stored]:
    """`store_frames`, then the open pages look again if anything was stored."""
    results = await database_sync_to_async(store_frames)(list(frames))
    await _pages_told(any(r.stored for r in results))
    return results


async def read(author: str, after_seq: int) -> tuple[list[tuple[int, bytes]], str | None]:
    return await database_sync_to_async(read_batch)(author, after_seq)


async def position(hash_: str) -> tuple[str, int] | None:
    return await database_sync_to_async(entry_position)(hash_)


async def save(rows: list[dict]) -> None:
    await database_sync_to_async(save_statuses)(rows)


async def last_arrival() -> int:
    return await database_sync_to_async(log.last_arrival)()


async def snapshot(held: Snapshot | None = None) -> Snapshot:
    """What the hub pushes by, read together; `held`, the hub's last one,
    spares reading the audiences again when nothing can have changed them."""
    return await database_sync_to_async(_snapshot)(held)


async def folded_behind() -> bool:
    return await database_sync_to_async(fold_behind)()


async def refusals_of(peer: str) -> list[dict]:
    """The feeds held back from `peer`, as saved (sync/refusals.py)."""
    return await database_sync_to_async(_refusals_of)(peer)


async def refused_peers() -> set[str]:
    """The peers with a feed held back, as saved."""
    return await database_sync_to_async(_refused_peers)()


async def peer_sets() -> tuple[set[str], set[str]]:
    """(blocked authors, paired authors)."""
    return await database_sync_to_async(_peer_sets)()
