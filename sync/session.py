"""Replication sessions (docs/PROTOCOL.md section 4): one state machine for both ends.

A `Session` is fed the frames a connection receives (`receive`) and sends its
replies through a small `Transport` (send text, close); the Channels consumer
and the dialer each wrap their socket in one. The `Hub` is the per-process
part: it tails the log's arrival counter (a short poll, plus an immediate
kick for writes made in this process), keeps our vector, wakes the sessions
that have something to push, keeps one connection per peer, and saves each
peer's status for `manage.py peers` and the web UI.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db.models import F
from django.utils import timezone

from events import index, log
from events.entry import Entry, EntryInvalid, parse_entry
from events.models import Feed
from sync import pairing, protocol
from sync.models import Peer
from sync.protocol import ProtocolError

logger = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 30.0
ACK_TIMEOUT = 30.0
MAX_IN_FLIGHT = 4
POLL_INTERVAL = 0.05
PEERS_INTERVAL = 1.0
STATUS_INTERVAL = 0.3
RATE = 300.0  # frame tokens per second; a frame costs 1 + one per 64 KiB
BURST = 600.0
MAX_DROPPED = 3000
MAX_ERRORS_PER_FRAME = 10
PARALLEL_VERIFY_MIN = 200
DUPLICATE_CLOSE = 4001


class Transport(Protocol):
    async def send(self, text: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


def after_store() -> None:
    """After a batch was stored: the index catches up and open pages are told.

    The single place where replication hands over to the calendar views."""
    try:
        index.catch_up()
    except Exception:  # the entries are stored; the index catches up on the next batch or start
        logger.exception("the index could not catch up after a stored batch")
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)("live", {"type": "index.changed"})


@dataclass(slots=True)
class Invalid:
    rule: str
    message: str
    hash: str | None
    author: str | None


def verify_items(items: list[Any]) -> list[Entry | Invalid]:
    """The rules fields, limits, signature (docs/PROTOCOL.md section 2.3); runs in a worker thread
    (cryptography releases the GIL while verifying)."""
    out: list[Entry | Invalid] = []
    for item in items:
        try:
            out.append(parse_entry(item))
        except EntryInvalid as e:
            author = item.get("author") if isinstance(item, dict) and isinstance(item.get("author"), str) else None
            out.append(Invalid(e.rule, e.message, protocol.entry_hash(item), author))
    return out


def store_entries(entries: list[Entry]) -> tuple[list[log.Outcome], dict[str, int], bool]:
    """Store a frame's valid entries atomically; our vector for the touched feeds."""
    outcomes = log.receive(entries) if entries else []
    authors = {e.author for e in entries}
    held = dict(Feed.objects.filter(author__in=authors).values_list("author", "seq"))
    stored = any(o.result == log.STORED for o in outcomes)
    if stored:
        after_store()
    return outcomes, {a: held.get(a, 0) for a in sorted(authors)}, stored


def read_batch(author: str, after_seq: int, limit: int = protocol.MAX_ENTRIES_PER_FRAME) -> list[tuple[int, bytes]]:
    return [(e.seq, e.raw) for e in islice(log.read_feed(author, after_seq, chunk=limit), limit)]


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
        )


class TokenBucket:
    def __init__(self, rate: float = RATE, burst: float = BURST):
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self, cost: float) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


class Session:
    """One connection's protocol state (docs/PROTOCOL.md sections 4.1-4.5), either end.

    `dialer`: we dialed. `expect_key`: the peer we meant to reach (dialer);
    `pair_url`/`invite`: the dialer is pairing with that base URL (any key is
    accepted, then recorded); `pair_only`: close once paired."""

    def __init__(
        self,
        transport: Transport,
        *,
        dialer: bool,
        hub: Hub | None = None,
        expect_key: str | None = None,
        pair_url: str | None = None,
        invite: str | None = None,
        pair_only: bool = False,
    ):
        self.transport = transport
        self.dialer = dialer
        self.hub = hub or HUB
        self.expect_key = expect_key
        self.pair_url = pair_url
        self.invite = invite
        self.pair_only = pair_only
        self.nonce = protocol.new_nonce()
        self.me = ""
        self.other: dict | None = None
        self.authenticated = False
        self.admitted = False
        self.have_sent = False
        self.their_have: dict[str, int] | None = None
        self.their_vec: dict[str, int] = {}
        self.sent_upto: dict[str, int] = {}
        self.forked: set[str] = set()
        self.frames_in_flight = 0
        self.acked = asyncio.Event()
        self.wake = asyncio.Event()
        self.closed = False
        self.done = asyncio.Event()
        self.result: str | None = None  # "paired", an error code received or sent, "closed"
        self.message = ""
        self.started = self.last_recv = time.monotonic()
        self.bucket = TokenBucket()
        self.dropped = 0
        self.last_rate_error = 0.0
        self.inbox: asyncio.Queue = asyncio.Queue(maxsize=2)
        self.verified: asyncio.Queue = asyncio.Queue(maxsize=1)
        self.busy = 0  # entries frames received and not yet acknowledged by us
        self.sending = False
        self.tasks: list[asyncio.Task] = []
        self.sent_total = self.received_total = 0
        self.sent_flushed = self.received_flushed = 0
        self.bytes_sent = self.bytes_received = 0
        self.status_dirty = True
        self.last_error = ""

    # -- identity ---------------------------------------------------------

    @property
    def key(self) -> str | None:
        return self.other["key"] if self.other else None

    @property
    def dialer_id(self) -> str:
        return self.me if self.dialer else (self.key or "")

    @property
    def name(self) -> str:
        return self.other["name"] if self.other else ""

    # -- transport side -----------------------------------------------------

    async def start(self) -> None:
        """Send our hello; the handshake clock starts."""
        self.me = await database_sync_to_async(log.my_author_id)()
        self._spawn(self._watchdog())
        from events import instance

        await self._send(
            protocol.hello(key=self.me, nonce=self.nonce, name=instance.name(), url=pairing.public_url(), invite=self.invite)
        )

    async def receive(self, text: str | None = None, data: bytes | None = None) -> None:
        if self.closed:
            return
        self.last_recv = time.monotonic()
        frame = text if text is not None else data or b""
        self.bytes_received += len(frame)
        if not self.bucket.take(1 + len(frame) / 65536):
            await self._rate_limited()
            return
        try:
            if text is None:
                raise ProtocolError("bad-frame", "frames must be text frames")
            msg = protocol.decode(text)
            await self._dispatch(msg)
        except ProtocolError as e:
            await self.fail(e)

    async def disconnected(self) -> None:
        """The transport closed (either side)."""
        await self._shutdown()

    async def fail(self, e: ProtocolError) -> None:
        logger.info("peer %s: %s", (self.key or "?")[:12], e)
        self.last_error = f"sent {e.code}: {e.message}"
        if self.result is None and e.closes:
            self.result, self.message = e.code, e.message
        await self._send(protocol.error(e.code, e.message, e.hash))
        if e.closes:
            await self.close(reason=e.code)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        await self._shutdown()
        try:
            await self.transport.close(code, reason[:120])
        except Exception:  # the socket may already be gone
            logger.debug("closing the transport failed", exc_info=True)

    async def _shutdown(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.result is None:
            self.result = "closed"
        self.hub.unregister(self)
        me = asyncio.current_task()
        for task in self.tasks:
            if task is not me:
                task.cancel()
        self.acked.set()
        self.wake.set()
        self.done.set()
        if self.admitted:
            logger.info("disconnected from %s (%s): %s", self.name or "?", self.key[:12], self.message or self.result)
            try:
                await database_sync_to_async(save_statuses)([self.status_row(connected=False)])
            except Exception:
                logger.exception("could not save the status of peer %s", (self.key or "?")[:12])

    async def _send(self, text: str) -> None:
        if self.closed:
            return
        self.bytes_sent += len(text.encode())
        try:
            await self.transport.send(text)
        except Exception as e:  # the connection went away under us
            logger.debug("send failed: %s", e)
            await self._shutdown()

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        if task.cancelled() or task.exception() is None:
            return
        logger.error("replication task failed", exc_info=task.exception())
        if not self.closed:
            asyncio.ensure_future(self.close(1011, "internal error"))

    async def _rate_limited(self) -> None:
        self.dropped += 1
        if self.dropped > MAX_DROPPED:
            await self.close(reason="rate-limit")
            return
        now = time.monotonic()
        if now - self.last_rate_error > 1.0:
            self.last_rate_error = now
            await self._send(protocol.error("rate-limit", "too many frames; slow down (frames are being dropped)"))

    async def _watchdog(self) -> None:
        while not self.closed:
            await asyncio.sleep(1.0)
            quiet = time.monotonic() - self.last_recv
            if not self.admitted and time.monotonic() - self.started > HANDSHAKE_TIMEOUT:
                self.result, self.message = "timeout", "no handshake within 30 seconds"
                await self.close(reason="handshake timeout")
            elif self.frames_in_flight and quiet > ACK_TIMEOUT:
                self.result, self.message = "timeout", "the peer stopped answering"
                await self.close(reason="no answer")

    # -- messages -------------------------------------------------------------

    async def _dispatch(self, msg: dict) -> None:
        kind = msg["type"]
        if kind == "error":
            await self._on_error(msg)
        elif kind == "hello":
            await self._on_hello(msg)
        elif kind == "auth":
            await self._on_auth(msg)
        elif not self.authenticated or (not self.admitted and not (self.dialer and kind == "have")):
            raise ProtocolError("bad-frame", f"{kind} before the handshake completed")
        elif kind == "have":
            await self._on_have(msg["feeds"])
        elif kind == "entries":
            self.busy += 1
            await self.inbox.put(msg["entries"])
        elif kind == "ack":
            self._merge_their(msg["feeds"])
            self.frames_in_flight = max(0, self.frames_in_flight - 1)
            self.acked.set()
        elif kind == "want":
            for author, seq in msg["feeds"].items():
                self.sent_upto[author] = min(self.sent_upto.get(author, seq), seq)
                self._merge_their({author: seq})
            self.wake.set()

    async def _on_error(self, msg: dict) -> None:
        code, text = msg["code"], msg.get("message") or ""
        logger.info("peer %s says %s: %s", (self.key or "?")[:12], code, text)
        self.last_error = f"received {code}: {text}"
        self.status_dirty = True
        if code == "pending" and self.dialer and self.pair_url and self.authenticated:
            await database_sync_to_async(pairing.record_outgoing_request)(key=self.key, name=self.name, url=self.pair_url)
        if code in protocol.CLOSING_CODES:
            if self.result is None:
                self.result, self.message = code, text
            await self.close(reason=f"peer sent {code}")

    async def _on_hello(self, msg: dict) -> None:
        if self.other is not None:
            raise ProtocolError("bad-frame", "a second hello")
        self.other = msg
        if self.dialer and self.expect_key and msg["key"] != self.expect_key:
            raise ProtocolError("not-paired", f"reached key {msg['key'][:12]}, expected {self.expect_key[:12]}")
        key = await database_sync_to_async(log.signing_key)()
        await self._send(protocol.auth(key, other_nonce=msg["nonce"], own_nonce=self.nonce, other_key=msg["key"], own_key=self.me))

    async def _on_auth(self, msg: dict) -> None:
        if self.other is None or self.authenticated:
            raise ProtocolError("bad-frame", "auth out of order")
        ok = protocol.verify_auth(
            msg["sig"], signer_key=self.key, signer_nonce=self.other["nonce"], verifier_key=self.me, verifier_nonce=self.nonce
        )
        if not ok:
            raise ProtocolError("not-paired", "the auth signature does not verify for this connection")
        self.authenticated = True
        if self.dialer:
            # The dialed side decides; its `have` says we were admitted. Ours goes
            # now, so a peer that waits for it before sending its own works too.
            if not self.pair_only:
                await self._send_have()
            return
        try:
            await database_sync_to_async(pairing.admit)(
                key=self.key, name=self.name, url=self.other.get("url"), invite=self.other.get("invite")
            )
        except pairing.PairingRefused as e:
            raise ProtocolError(e.code, e.message) from None
        await self._admitted()

    async def _send_have(self) -> None:
        vector = await self.hub.refresh_vector()
        await self._send(protocol.have({a: s for a, s in vector.items() if a not in self.hub.blocked}))
        self.have_sent = True

    async def _admitted(self) -> None:
        if not self.hub.register(self):
            return
        self.admitted = True
        self.status_dirty = True
        logger.info("connected to %s (%s), %s", self.name or "?", self.key[:12], "dialed" if self.dialer else "dialed by it")
        if not self.have_sent:
            await self._send_have()
        self._spawn(self._verify_loop())
        self._spawn(self._store_loop())

    async def _on_have(self, feeds: dict[str, int]) -> None:
        if not self.admitted:  # dialer: the dialed side admitted us
            if self.pair_url:
                await database_sync_to_async(pairing.record_paired)(key=self.key, name=self.name, url=self.pair_url)
                self.result = "paired"
                if self.pair_only:
                    await self.close(reason="paired")
                    return
            await self._admitted()
            if self.closed:
                return
        first = self.their_have is None
        self.their_have = dict(feeds)
        self._merge_their(feeds)
        for author, seq in feeds.items():
            self.sent_upto[author] = max(self.sent_upto.get(author, 0), seq) if not first else seq
        ours = self.hub.vector.get(self.me, 0)
        if feeds.get(self.me, 0) > ours:
            await database_sync_to_async(log.note_own_feed_seen)(feeds[self.me], peer=self.key, peer_name=self.name)
            await self._send(protocol.want({self.me: ours}))
        if first:
            self._spawn(self._send_loop())
        self.wake.set()

    def _merge_their(self, feeds: dict[str, int]) -> None:
        for author, seq in feeds.items():
            if seq > self.their_vec.get(author, 0):
                self.their_vec[author] = seq
        self.status_dirty = True

    # -- receiving entries: verify frame N+1 while frame N is written ----------

    async def _verify_loop(self) -> None:
        while True:
            items = await self.inbox.get()
            blocked = self.hub.blocked = await database_sync_to_async(pairing.blocked_authors)()
            items = [i for i in items if not (isinstance(i, dict) and i.get("author") in blocked)]
            if len(items) >= PARALLEL_VERIFY_MIN:
                half = len(items) // 2
                a, b = await asyncio.gather(
                    asyncio.to_thread(verify_items, items[:half]), asyncio.to_thread(verify_items, items[half:])
                )
                checked = a + b
            else:
                checked = await asyncio.to_thread(verify_items, items) if items else []
            await self.verified.put(checked)

    async def _store_loop(self) -> None:
        while True:
            checked = await self.verified.get()
            try:
                await self._store(checked)
            finally:
                self.busy -= 1

    async def _store(self, checked: list[Entry | Invalid]) -> None:
        entries = [c for c in checked if isinstance(c, Entry)]
        outcomes, held, stored = await database_sync_to_async(store_entries)(entries)
        errors: list[str] = []
        for bad in (c for c in checked if isinstance(c, Invalid)):
            errors.append(protocol.error("bad-entry", f"rule {bad.rule}: {bad.message}", bad.hash))
        wants: dict[str, int] = {}
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
        for text in errors[:MAX_ERRORS_PER_FRAME]:
            await self._send(text)
        if wants:
            await self._send(protocol.want(wants))
        await self._send(protocol.ack(held))
        self.status_dirty = True
        if stored:
            self.hub.kick()

    # -- sending entries --------------------------------------------------------

    def _todo(self) -> dict[str, int]:
        blocked = self.hub.blocked
        return {
            a: self.sent_upto.get(a, 0)
            for a, s in self.hub.vector.items()
            if s > self.sent_upto.get(a, 0) and a not in blocked
        }

    async def _send_loop(self) -> None:
        while not self.closed:
            todo = self._todo()
            if not todo:
                self.sending = False
                self.wake.clear()
                await self.wake.wait()
                continue
            self.sending = True
            for author in todo:
                await self._stream_feed(author)

    async def _stream_feed(self, author: str) -> None:
        after = self.sent_upto.get(author, 0)
        while not self.closed and author not in self.hub.blocked:
            batch = await database_sync_to_async(read_batch)(author, after)
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
            if len(batch) < protocol.MAX_ENTRIES_PER_FRAME:
                return

    # -- progress -----------------------------------------------------------------

    def caught_up(self) -> bool:
        """Both sides hold what the other showed (blocked and forked feeds aside)
        and every frame we sent was acknowledged."""
        if not self.admitted or self.their_have is None or self.closed:
            return False
        if self.frames_in_flight or self.busy or self._todo() or self.sending:
            return False
        vector, skip = self.hub.vector, self.hub.blocked | self.forked
        return all(vector.get(a, 0) >= s for a, s in self.their_have.items() if a not in skip)

    def status_row(self, *, connected: bool) -> dict:
        vector, blocked = self.hub.vector, self.hub.blocked
        row = {
            "author": self.key,
            "connected": connected,
            "last_seen": timezone.now(),
            "sent": self.sent_total - self.sent_flushed,
            "received": self.received_total - self.received_flushed,
            # a peer may claim absurd seqs: clamp the sums to what the database column holds
            "peer_lacks": min(protocol.MAX_SEQ, sum(max(0, s - self.their_vec.get(a, 0)) for a, s in vector.items() if a not in blocked)),
            "we_lack": min(protocol.MAX_SEQ, sum(max(0, s - vector.get(a, 0)) for a, s in self.their_vec.items() if a not in blocked)),
            "last_error": self.last_error,
        }
        self.sent_flushed, self.received_flushed = self.sent_total, self.received_total
        self.status_dirty = False
        return row


class Hub:
    """Per-process replication state: the sessions, our vector, the log tail."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self.vector: dict[str, int] = {}
        self.blocked: set[str] = set()
        self.arrival = -1
        self.keep_running = False
        self.peers_changed: asyncio.Event | None = None
        self._kick: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def kick(self) -> None:
        """Something was written in this process: look at the log now."""
        if self._kick is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._kick.set)

    def ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._kick = asyncio.Event()
            self.peers_changed = asyncio.Event()
            self._task = loop.create_task(self._run())

    def register(self, session: Session) -> bool:
        """Admit `session` as the one connection to its peer. When both sides
        dialed, the connection dialed by the smaller author id stays."""
        self.ensure_running()
        key = session.key
        existing = self.sessions.get(key)
        if existing is not None and existing is not session and not existing.closed:
            keep = min(session.me, key)
            if existing.dialer_id == keep and session.dialer_id != keep:
                reason = f"duplicate connection: keeping the one dialed by {keep[:12]}"
                asyncio.ensure_future(session.close(DUPLICATE_CLOSE, reason))
                return False
            reason = "duplicate connection: replaced by a newer one" if existing.dialer_id == session.dialer_id else (
                f"duplicate connection: keeping the one dialed by {keep[:12]}"
            )
            asyncio.ensure_future(existing.close(DUPLICATE_CLOSE, reason))
        self.sessions[key] = session
        return True

    def unregister(self, session: Session) -> None:
        if session.key and self.sessions.get(session.key) is session:
            del self.sessions[session.key]
            if self.peers_changed is not None:
                self.peers_changed.set()

    def connected(self, key: str) -> bool:
        s = self.sessions.get(key)
        return s is not None and not s.closed

    async def refresh_vector(self) -> dict[str, int]:
        self.arrival, self.vector, self.blocked = await database_sync_to_async(_snapshot)()
        return self.vector

    async def _run(self) -> None:
        last_peers = last_status = 0.0
        try:
            while self.sessions or self.keep_running:
                try:
                    await asyncio.wait_for(self._kick.wait(), POLL_INTERVAL)
                except TimeoutError:
                    pass
                self._kick.clear()
                try:
                    arrival = await database_sync_to_async(log.last_arrival)()
                    if arrival != self.arrival:
                        await self.refresh_vector()
                        for s in list(self.sessions.values()):
                            s.wake.set()
                    now = time.monotonic()
                    if now - last_peers > PEERS_INTERVAL:
                        last_peers = now
                        await self._check_peers()
                    if now - last_status > STATUS_INTERVAL:
                        last_status = now
                        await self.flush_status()
                except Exception:  # e.g. the database stayed locked: log it, back off, go on
                    logger.exception("replication hub: tailing the log failed; retrying in a second")
                    await asyncio.sleep(1.0)
        finally:
            self._task = None

    async def _check_peers(self) -> None:
        blocked, paired = await database_sync_to_async(_peer_sets)()
        self.blocked = blocked
        for key, s in list(self.sessions.items()):
            if s.admitted and key not in paired and not s.pair_only:
                await s.close(reason="blocked" if key in blocked else "unpaired")
        if self.peers_changed is not None:
            self.peers_changed.set()

    async def flush_status(self) -> None:
        rows = [s.status_row(connected=True) for s in self.sessions.values() if s.admitted and s.status_dirty]
        if rows:
            await database_sync_to_async(save_statuses)(rows)

    async def stop(self) -> None:
        self.keep_running = False
        for s in list(self.sessions.values()):
            await s.close(1001, "shutting down")
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass


def _snapshot() -> tuple[int, dict[str, int], set[str]]:
    return log.last_arrival(), log.vector(), pairing.blocked_authors()


def _peer_sets() -> tuple[set[str], set[str]]:
    rows = list(Peer.objects.values_list("author", "state"))
    return {a for a, s in rows if s == Peer.BLOCKED}, {a for a, s in rows if s == Peer.PAIRED}


HUB = Hub()


def notify_local_write() -> None:
    """Call after writing to the log inside this process: peers get it at once."""
    HUB.kick()

