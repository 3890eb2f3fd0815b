"""Local writes: signed at once, or kept waiting while our own feed may be stale
(docs/PROTOCOL.md section 3.4).

A write is signed as the next entry of our feed unless that entry could fork
it: a peer has shown, with our own signed entries, that it holds more of our
feed than we do (section 3.3), or the record of our last write disagrees
with the database (events/own_head.py: restored from a backup). Then the
write is kept, unsigned, in `DATA_DIR/waiting-writes/` (one file each, in the
order they were made) and `log.WriteQueued` says so. The waiting writes are
signed, in order, as soon as a paired peer confirms our feed (its `have`
names exactly the head we hold, after any catching up), or when the owner
decides to go ahead (`manage.py peers --save-waiting`, the Peers page).
After DECISION_WAIT without a confirmation the owner is asked to decide; the
writes keep waiting for a peer meanwhile and are never dropped.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import time as clock
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn

from django.db import IntegrityError, transaction
from django.utils import timezone

from events import log, log_rows, own_head, wake
from events.entry import Entry, decode_stored, sign_entry
from events.models import LogEntry

WAITING_DIR = "waiting-writes"
DECISION_WAIT = timedelta(seconds=30)  # waiting for a peer this long, the owner is asked to decide


class _Wait(Exception):
    """Signing now could fork our own feed; the message says why."""


@dataclass(frozen=True, slots=True)
class Waiting:
    count: int
    since: datetime
    reason: str


def _dir() -> Path:
    return own_head.state_dir() / WAITING_DIR


def _files() -> list[Path]:
    try:
        return sorted(p for p in _dir().iterdir() if p.suffix == ".json")
    except FileNotFoundError:
        return []


def has_waiting() -> bool:
    return bool(_files())


@contextlib.contextmanager
def _queue_lock():
    """One process at a time adds to or signs the waiting writes."""
    _dir().mkdir(mode=0o700, exist_ok=True)
    fd = os.open(_dir() / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def append(body: dict, *, links: Iterable[str] = (), time: int | None = None) -> Entry:
    """`log.append_local`: sign now, or keep the write waiting and raise `log.WriteQueued`."""
    item = {"body": body, "links": list(links), "time": time or log.now_ms()}
    if _files():  # earlier writes wait: this one goes after them
        sign_waiting()
        if _files():
            _queue(item, doubt() or "earlier changes are waiting")
    try:
        return _sign(item)
    except _Wait as why:
        _queue(item, str(why))


def append_many(bodies: list[dict]) -> list[Entry]:
    """Many new entries at once, in order (an import's new events): signed
    and stored together, or, while writes wait, one by one through `append`
    (the first queued raises `log.WriteQueued`; those before it are signed)."""
    if not bodies:
        return []
    items = [{"body": body, "links": [], "time": log.now_ms()} for body in bodies]
    if not _files():
        try:
            return _sign_all(items)
        except _Wait:
            pass
    return [append(item["body"], time=item["time"]) for item in items]


def _queue(item: dict, reason: str) -> NoReturn:
    with _queue_lock():
        # the same change made twice while waiting (e.g. set-up at each start) waits once
        if not any(_load(p)[:2] == (item["body"], item["links"]) for p in _files()):
            where = _dir() / f"{clock.time_ns():020d}-{os.getpid()}.json"
            tmp = where.with_suffix(".partial")  # a crash leaves no half-written change in the queue
            tmp.write_text(json.dumps({**item, "queued_at": timezone.now().isoformat(), "reason": reason}))
            os.replace(tmp, where)
    count = len(_files())
    raise log.WriteQueued(
        f"not saved yet, queued ({count} change{'s' if count != 1 else ''} waiting): {reason}. It is saved by itself "
        "once a paired peer confirms this calendar is up to date; to save now, if no other copy of this "
        "calendar wrote since the backup: manage.py peers --save-waiting (or the Peers page)"
    )


def _load(path: Path) -> tuple[dict, list, int, dict]:
    data = json.loads(path.read_text())
    return data["body"], data["links"], data["time"], data


def _hash_at(me: str, seq: int) -> str | None:
    return LogEntry.objects.filter(author=me, seq=seq).values_list("hash", flat=True).first()


def _why_wait(me: str, seq: int, head: str | None) -> str | None:
    claim = log._holding_claims(seq).first()
    if claim:
        who = log._clean(claim.peer_name) or claim.peer[:12]
        return (
            f"this instance was probably restored from an older backup: peer {who} holds our feed up to entry "
            f"{claim.seq} but this instance has only {seq}; sync is bringing them back"
        )
    doubt = own_head.suspicion(author=me, seq=seq, head=head, hash_at=lambda s: _hash_at(me, s))
    return f"this instance may have been restored from an older backup ({doubt})" if doubt else None


class _Batch:
    """Many local writes in one transaction (`batch`): the heads of our feed
    already checked or written in it, and whether anything was written."""

    def __init__(self) -> None:
        self.trusted: set[tuple[int, str | None]] = set()
        self.wrote = False


_batch: ContextVar[_Batch | None] = ContextVar("local_writes_batch", default=None)


@contextlib.contextmanager
def batch():
    """Make many local writes inside the caller's transaction (an .ics
    import) at the cost of few: our feed is checked for staleness once, not
    before each write (every later head is one this transaction wrote), and
    the own-head record and the wake-up are done once, at commit, instead of
    once per entry. Nested batches are one batch."""
    if _batch.get() is not None:
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("local_writes.batch() needs the caller's transaction")
    state = _Batch()
    token = _batch.set(state)
    try:
        yield
    finally:
        _batch.reset(token)
    if state.wrote:
        # What the database holds now: entries of a savepoint rolled back meanwhile are not ours any more.
        _after_commit(log.my_author_id(), *_own_head())


def _after_commit(me: str, seq: int, head: str) -> None:
    transaction.on_commit(wake.announce)  # the log's tails look now, not at their next poll
    # Only once committed: a caller's transaction that rolls back (an .ics
    # import refused whole) must not leave a record ahead of the log.
    transaction.on_commit(functools.partial(own_head.write_record, author=me, seq=seq, head=head))


def _own_head() -> tuple[int, str | None]:
    me = log.my_author_id()
    return log_rows.heads([me]).get(me, (0, None))


def _sign(item: dict, *, decided: bool = False) -> Entry:
    return _sign_all([item], decided=decided)[0]


def _sign_all(items: list[dict], *, decided: bool = False) -> list[Entry]:
    """Sign `items` as the next entries of our feed, in order, and store them
    in one statement. The seqs are assigned inside the write transaction,
    which appends alone (`log._hold_arrival_order`); the unique (author, seq)
    constraint turns any remaining race into a retry."""
    key, me = log.signing_key(), log.my_author_id()
    in_batch = _batch.get()
    for _ in range(10):
        try:
            with transaction.atomic():
                log._hold_arrival_order()
                first = _own_head()
                trusted = decided or (in_batch is not None and first in in_batch.trusted)
                why = None if trusted else _why_wait(me, *first)
                if why:
                    raise _Wait(why)
                entries, (seq, prev) = [], first
                for item in items:
                    seq += 1
                    entry = sign_entry(key, seq=seq, prev=prev, body=item["body"], links=tuple(item["links"]), time=item["time"])
                    entries.append(entry)
                    prev = entry.hash
                log_rows.insert([log_rows.row(entry) for entry in entries])
                log_rows.save_heads({me: (seq, prev)})
            if in_batch is None:
                _after_commit(me, seq, prev)
            else:
                in_batch.trusted.update({first, (seq, prev)})
                in_batch.wrote = True
            return entries
        except IntegrityError:
            continue
    raise RuntimeError("could not append: the feed kept changing under concurrent writers")


def _signed_already(me: str, body: dict, links: list, time: int) -> bool:
    """Our head entry is this waiting write (signed, then a crash before its file was removed)."""
    row = LogEntry.objects.filter(author=me).order_by("-seq").values_list("raw", "hash").first()
    if row is None:
        return False
    head = decode_stored(*row)
    return head.body == body and list(head.links) == links and head.time == time


def sign_waiting(*, decided: bool = False) -> int:
    """Sign the waiting writes in order, as far as nothing holds them (or all,
    when the owner `decided` to go ahead). Returns how many were signed."""
    if not _files():
        return 0
    me, signed = log.my_author_id(), 0
    with _queue_lock():
        if decided:
            _note_head(me)  # the owner vouches for what the database holds
        for path in _files():
            body, links, time, _ = _load(path)
            if not _signed_already(me, body, links, time):
                try:
                    _sign({"body": body, "links": links, "time": time}, decided=decided)
                except _Wait:
                    break
                signed += 1
            path.unlink()
    return signed


def go_ahead() -> int:
    """The owner's decision: sign the waiting writes now, whatever holds them
    (claims of peers are dropped, the record is made to match the database)."""
    from events.index.fold import catch_up

    log.drop_own_feed_claims()
    signed = sign_waiting(decided=True)
    _note_head(log.my_author_id())
    catch_up()
    return signed


def _note_head(me: str) -> None:
    seq, head = _own_head()
    own_head.write_record(author=me, seq=seq, head=head)


def confirm(seq: int) -> int:
    """A paired peer's `have` names our feed at `seq`: if that is exactly what
    we hold, and not less than the record says we wrote, our feed is not stale. Record it and sign what waits; returns how
    many were signed."""
    me = log.my_author_id()
    held, _ = _own_head()
    record = own_head.read_record() or {}
    wrote = record.get("seq") if record.get("author") == me and isinstance(record.get("seq"), int) else 0
    if seq != held or wrote > held:  # we know we wrote further: a peer holding less confirms nothing
        return 0
    head = _hash_at(me, held)
    if record != {"author": me, "seq": held, "head": head, "database": own_head.database_identity()}:
        own_head.write_record(author=me, seq=held, head=head)
    return sign_waiting()


def waiting() -> Waiting | None:
    """The writes waiting to be signed, for the owner's screens."""
    files = _files()
    if not files:
        return None
    _, _, _, first = _load(files[0])
    return Waiting(len(files), datetime.fromisoformat(first["queued_at"]), first.get("reason", ""))


def doubt() -> str | None:
    """Why a write made now would wait, or None (a read-only look, no write)."""
    me = log.my_author_id()
    return _why_wait(me, *_own_head())


def describe(now: datetime | None = None) -> str | None:
    """One line for every owner page while writes wait."""
    found = waiting()
    if found is None:
        return None
    now = now or timezone.now()
    text = (
        f"{found.count} change{'s' if found.count != 1 else ''} waiting until a paired peer confirms this calendar "
        f"is up to date: {found.reason}."
    )
    if now - found.since >= DECISION_WAIT:
        text += f" No peer has confirmed it within {DECISION_WAIT.seconds} seconds: they are saved as soon as one does."
    return text + (
        " If no other copy of this calendar wrote since the backup, save them now: Peers page, or "
        "manage.py peers --save-waiting."
    )
