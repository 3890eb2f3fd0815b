"""Entries in and out of one admitted connection (docs/PROTOCOL.md section 4.2).

`EntryStreams` is the half of `sync.session.Session` that runs once a peer is
admitted: it verifies frame N+1 while frame N is written, acknowledges and
asks for what is missing, streams each feed under the in-flight limit, and
says how far both sides are (`caught_up`, `status_row`). The handshake, the
dispatch of frames and the connection's life are in sync/session.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from events import log
from events.entry import Entry
from sync import protocol, refusals, store
from sync.store import Invalid

if TYPE_CHECKING:
    from sync.hub import Hub

logger = logging.getLogger(__name__)

MAX_IN_FLIGHT = 4
# Feeds a peer names that we do not hold are remembered up to this many (for the
# "we lack" figure and so a feed received later is not sent back to it): `have`,
# `ack` and `want` frames naming millions of made-up authors stop growing it.
MAX_UNKNOWN_FEEDS = 10_000
MAX_ERRORS_PER_FRAME = 10


class EntryStreams(ABC):
    """Mixed into Session, which sets these up (see `Session.__init__`)."""

    hub: Hub
    me: str
    closed: bool
    admitted: bool
    sending: bool
    status_dirty: bool
    busy: int
    frames_in_flight: int
    sent_total: int
    received_total: int
    sent_flushed: int
    received_flushed: int
    last_error: str
    key: str | None
    their_have: dict[str, int] | None
    streaming: bool
    their_vec: dict[str, int]
    sent_upto: dict[str, int]
    forked: set[str]
    acked: asyncio.Event
    wake: asyncio.Event
    inbox: asyncio.Queue
    verified: asyncio.Queue

    @abstractmethod
    async def _send(self, text: str) -> None:
        """Send one frame to the other side (the session provides it)."""

    def may_send(self, author: str) -> bool:
        """The relay rule (docs/PROTOCOL.md sections 6.6 and 6.8): our own feed
        goes to every paired peer, an author's feed back to that author, every
        feed to the owners we are the mirror of, any other feed only to its
        audience; blocked feeds to no one."""
        if author in self.hub.blocked or self.key is None:
            return False
        if author in (self.me, self.key) or self.key in self.hub.owners:  # a mirror's owner gets every feed
            return True
        audience = self.hub.audiences.get(author)
        return audience is None or self.key in audience

    @property
    def refusals(self) -> refusals.FeedRefusals:
        return refusals.of(self.key or "")

    def _known(self, feeds: dict[str, int]) -> dict[str, int]:
        """The part of a peer's map worth remembering: feeds we hold, and others
        while fewer than MAX_UNKNOWN_FEEDS are remembered."""
        vector, room = self.hub.vector, len(self.hub.vector) + MAX_UNKNOWN_FEEDS - len(self.their_vec)
        known = {}
        for author, seq in feeds.items():
            if author in vector or author in self.their_vec:
                known[author] = seq
            elif room > 0:
                known[author] = seq
                room -= 1
        return known

    def _merge_their(self, feeds: dict[str, int]) -> None:
        held_back = self.refusals.feeds
        for author, seq in self._known(feeds).items():
            if seq > self.their_vec.get(author, 0):
                self.their_vec[author] = seq
            if author in held_back:
                self.refusals.peer_holds(author, seq)
        self.status_dirty = True

    async def _peer_refused(self, hash_: str, message: str) -> None:
        """The peer answered `bad-entry` for an entry of ours: hold that feed back
        a while, then for good (sync/refusals.py), instead of sending it again at once."""
        where = await store.position(hash_)
        if where is None:  # not an entry we hold: nothing we would send again
            return
        author, seq = where
        refusal = self.refusals.refused(author, seq=seq, hash=hash_, message=message[:200])
        logger.warning("peer %s %s", (self.key or "?")[:12], refusal.reason)
        self.status_dirty = True

    async def _load_refusals(self) -> None:
        """What this peer refused before, maybe before a restart (sync/refusals.py)."""
        saved = await store.refusals_of(self.key or "")
        if not self.refusals.dirty:
            self.refusals.load(saved)

    # -- receiving entries: verify the next frames while frame N is written ----

    async def _verify_loop(self) -> None:
        while True:
            items = await self.inbox.get()
            await self.verified.put(await store.verify(items))

    async def _store_loop(self) -> None:
        while True:
            frames = [await self.verified.get()]
            try:
                checked = [await store.verified(frames[0])]
                if not self.verified.empty():  # the next frame came in meanwhile: one commit for both
                    frames.append(self.verified.get_nowait())
                    checked.append(await store.verified(frames[1]))
                await self._store(checked)
            finally:
                self.busy -= len(frames)

    async def _store(self, frames: list[list[Entry | Invalid]]) -> None:
        # the store drops the entries of authors blocked now (read with the write, not a step of its own)
        results = await store.store(*frames)
        self.hub.blocked = results[0].blocked
        stored = False
        for result in results:  # each frame its own errors, `want` and `ack`, in order
            stored = await self._answer(result) or stored
        self.status_dirty = True
        if stored:
            self.hub.kick()

    async def _answer(self, result: store.Stored) -> bool:
        """Answer one stored frame; whether entries were stored (ours signed included)."""
        checked, outcomes, held, stored, _ = result
        errors: list[str] = []
        for bad in (c for c in checked if isinstance(c, Invalid)):
            errors.append(protocol.error("bad-entry", f"rule {bad.rule}: {bad.message}", bad.hash))
        wants: dict[str, int] = {}
        waiting: set[str] = set()
        for o in outcomes:
            if o.result in (log.STORED, log.DUPLICATE):
                self.their_vec[o.author] = max(self.their_vec.get(o.author, 0), o.seq)
                self.sent_upto[o.author] = max(self.sent_upto.get(o.author, 0), o.seq)
                self.received_total += o.result == log.STORED
            elif o.result == log.INVALID:
                errors.append(protocol.error("bad-entry", f"rule {o.rule}: {o.message}", o.hash))
            elif o.result == log.FORK:
                self.forked.add(o.author)
                errors.append(protocol.error("fork", f"{o.author[:12]} signed two entries at seq {o.seq}", o.hash))
            elif o.result == log.EARLY:
                wants[o.author] = held.get(o.author, 0)
            elif o.result == log.WAITING and o.author not in waiting:
                # one answer per feed and frame, no `want`: the sender has moved
                # past these entries and will not offer them again on this connection
                waiting.add(o.author)
                self.forked.add(o.author)
                errors.append(protocol.error("waiting", f"{o.author[:12]} forked: its entries wait for our owner's decision", o.hash))
        if any(o.result == log.STORED and o.author == self.me for o in outcomes):
            # Our own entries, verified under our key: this peer's claim on our
            # feed is backed, and holds local writes until we have caught up.
            if await store.own_entries_stored(self.key, claimed=(self.their_have or {}).get(self.me, 0)):
                stored = True  # the writes that waited for our feed were signed: push them
        for text in errors[:MAX_ERRORS_PER_FRAME]:
            await self._send(text)
        if wants:
            await self._send(protocol.want(wants))
        await self._send(protocol.ack(held))
        return stored

    # -- sending entries --------------------------------------------------------

    def _todo(self) -> dict[str, int]:
        held_back = self.refusals
        return {
            a: self.sent_upto.get(a, 0)
            for a, s in self.hub.vector.items()
            if s > self.sent_upto.get(a, 0) and self.may_send(a) and not (held_back.feeds and held_back.paused(a))
        }

    async def _send_loop(self) -> None:
        while not self.closed:
            todo = self._todo()
            if not todo:
                self.sending = False
                self.wake.clear()
                try:  # a feed held back after a refusal is due again at its retry time
                    await asyncio.wait_for(self.wake.wait(), self.refusals.next_retry())
                except TimeoutError:
                    pass
                continue
            self.sending = True
            for author in todo:
                await self._stream_feed(author)

    async def _stream_feed(self, author: str) -> None:
        after = self.sent_upto.get(author, 0)
        while not self.closed and self.may_send(author):
            batch, damaged = await store.read(author, after)
            if damaged:
                self.refusals.skip(author, seq=(batch[-1][0] if batch else after) + 1, reason=damaged)
                self.status_dirty = True
            if not batch:
                return
            seqs = iter(seq for seq, _ in batch)
            for raws in protocol.pack_entries(raw for _, raw in batch):
                while self.frames_in_flight >= MAX_IN_FLIGHT and not self.closed:
                    self.acked.clear()
                    await self.acked.wait()
                if self.closed:
                    return
                last = [next(seqs) for _ in raws][-1]
                self.frames_in_flight += 1
                await self._send(protocol.entries_frame(raws))
                self.sent_upto[author] = max(self.sent_upto.get(author, 0), last)
                self.sent_total += len(raws)
                self.status_dirty = True
            after = batch[-1][0]
            if damaged or len(batch) < protocol.MAX_ENTRIES_PER_FRAME:
                return

    # -- progress -----------------------------------------------------------------

    def caught_up(self) -> bool:
        """Both sides hold what the other showed (blocked and forked feeds aside)
        and every frame we sent was acknowledged."""
        if not self.admitted or self.their_have is None or not self.streaming or self.closed:
            return False
        if self.frames_in_flight or self.busy or self._todo() or self.sending:
            return False
        vector, skip = self.hub.vector, self.hub.blocked | self.forked | set(self.refusals.feeds)
        # feeds it may not receive from us it may still hold from elsewhere: those do not count
        return all(vector.get(a, 0) >= s for a, s in self.their_have.items() if a not in skip)

    def lacking(self) -> int:
        """How many entries the peer showed that we lack (blocked feeds aside)."""
        vector, blocked = self.hub.vector, self.hub.blocked
        return sum(max(0, s - vector.get(a, 0)) for a, s in self.their_vec.items() if a not in blocked)

    def status_row(self, *, connected: bool) -> dict:
        vector = self.hub.vector
        row = {
            "author": self.key,
            "connected": connected,
            "last_seen": dt.datetime.now(dt.UTC),
            "sent": self.sent_total - self.sent_flushed,
            "received": self.received_total - self.received_flushed,
            # a peer may claim absurd seqs: clamp the sums to what the database column holds
            "peer_lacks": min(protocol.MAX_SEQ, sum(max(0, s - self.their_vec.get(a, 0)) for a, s in vector.items()
                                                    if self.may_send(a))),
            "we_lack": min(protocol.MAX_SEQ, self.lacking()),
            "last_error": self.last_error,
            "held_back": self.refusals.describe(),
            "refusals": self.refusals.rows() if self.refusals.dirty else None,  # saved across restarts
        }
        self.refusals.dirty = False
        self.sent_flushed, self.received_flushed = self.sent_total, self.received_total
        self.status_dirty = False
        return row

    def status_not_saved(self, row: dict) -> None:
        """Saving `row` failed (the database stayed locked): its counts and
        refusals go into the next row instead of being lost."""
        self.sent_flushed -= row["sent"]
        self.received_flushed -= row["received"]
        if row["refusals"] is not None:
            self.refusals.dirty = True
        self.status_dirty = True
