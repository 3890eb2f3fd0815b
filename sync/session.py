"""Replication sessions (docs/PROTOCOL.md section 4): one state machine for both ends.

A `Session` is fed the frames a connection receives (`receive`) and sends its
replies through a small `Transport` (send text, close); the Channels consumer
and the dialer each wrap their socket in one. It shares our vector and the
registry of live connections with the other sessions through its `Hub`
(sync/hub.py) and reaches the database only through sync/store.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Protocol

from sync import protocol, store
from sync.protocol import ProtocolError
from sync.streams import EntryStreams

if TYPE_CHECKING:
    from sync.hub import Hub

logger = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 30.0
ACK_TIMEOUT = 30.0
RATE = 300.0  # frame tokens per second; a frame costs 1 + one per 64 KiB
BURST = 600.0
MAX_DROPPED = 3000
INTERNAL_ERROR_CLOSE_CODE = 4011  # not 1011: daphne (autobahn) refuses to send it, and the socket stayed open


class Transport(Protocol):
    async def send(self, text: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


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


class Session(EntryStreams):
    """One connection's protocol state (docs/PROTOCOL.md sections 4.1-4.5), either end.

    `dialer`: we dialed. `expect_key`: the peer we meant to reach (dialer);
    `pair_url`/`invite`: the dialer is pairing with that base URL (any key is
    accepted, then recorded); `pair_only`: close once paired."""

    def __init__(
        self,
        transport: Transport,
        *,
        dialer: bool,
        hub: Hub,
        expect_key: str | None = None,
        pair_url: str | None = None,
        invite: str | None = None,
        pair_only: bool = False,
    ):
        self.transport = transport
        self.dialer = dialer
        self.hub = hub
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
        self.streaming = False  # the other side's whole first vector is in and our send loop runs
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
        self.hub.attach(self)
        self.me = await store.my_author_id()
        self._spawn(self._watchdog())
        name, url = store.introduction()
        await self._send(protocol.hello(key=self.me, nonce=self.nonce, name=name, url=url, invite=self.invite))

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
        while not self.inbox.empty():  # frees a `receive` waiting for room, so the transport can finish
            self.inbox.get_nowait()
        while not self.verified.empty():  # the workers need not verify what will not be stored
            self.verified.get_nowait().checked.cancel()
        if self.admitted:
            logger.info("disconnected from %s (%s): %s", self.name or "?", self.key[:12], self.message or self.result)
            try:
                await store.save([self.status_row(connected=False)])
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
            self._spawn(self.close(INTERNAL_ERROR_CLOSE_CODE, "internal error"))

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
            await self._on_have(msg["feeds"], more=msg.get("more") is True)
        elif kind == "entries":
            self.busy += 1
            await self.inbox.put(msg["entries"])
        elif kind == "ack":
            self._merge_their(msg["feeds"])
            self.frames_in_flight = max(0, self.frames_in_flight - 1)
            self.acked.set()
        elif kind == "want":
            for author, seq in self._known(msg["feeds"]).items():
                self.sent_upto[author] = min(self.sent_upto.get(author, seq), seq)
                self._merge_their({author: seq})
            self.wake.set()

    async def _on_error(self, msg: dict) -> None:
        code, text = msg["code"], msg.get("message") or ""
        logger.info("peer %s says %s: %s", (self.key or "?")[:12], code, text)
        self.last_error = f"received {code}: {text}"
        self.status_dirty = True
        if code == "bad-entry" and isinstance(msg.get("hash"), str) and len(msg["hash"]) == 64 and self.admitted:
            await self._peer_refused(msg["hash"], text)
        if code == "pending" and self.dialer and self.pair_url and self.authenticated:
            await store.record_outgoing_request(key=self.key, name=self.name, url=self.pair_url)
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
        key = await store.signing_key()
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
        self.hub.authenticated(self)
        if self.dialer:
            # The dialed side decides; its `have` says we were admitted. Ours goes
            # now, so a peer that waits for it before sending its own works too.
            if not self.pair_only:
                await self._send_have()
            return
        await store.admit(key=self.key, name=self.name, url=self.other.get("url"), invite=self.other.get("invite"))
        await self._admitted()

    async def _send_have(self) -> None:
        vector = await self.hub.refresh_vector()
        for frame in protocol.have_frames({a: s for a, s in vector.items() if self.may_send(a)}):
            await self._send(frame)
        self.have_sent = True

    async def _admitted(self) -> None:
        if not self.hub.register(self):
            return
        self.admitted = True
        self.status_dirty = True
        logger.info("connected to %s (%s), %s", self.name or "?", self.key[:12], "dialed" if self.dialer else "dialed by it")
        await self._load_refusals()
        if not self.have_sent:
            await self._send_have()
        self._spawn(self._verify_loop())
        self._spawn(self._store_loop())

    async def _on_have(self, feeds: dict[str, int], *, more: bool = False) -> None:
        if not self.admitted:  # dialer: the dialed side admitted us
            if self.pair_url:
                await store.record_paired(key=self.key, name=self.name, url=self.pair_url)
                self.result = "paired"
                if self.pair_only:
                    await self.close(reason="paired")
                    return
            await self._admitted()
            if self.closed:
                return
        first = not self.streaming
        own = feeds.get(self.me)
        feeds = self._known(feeds)  # made-up authors do not grow the maps
        if own is not None:
            feeds[self.me] = own
        self.their_have = {**(self.their_have or {}), **feeds}  # a vector may come in several frames
        self._merge_their(feeds)
        for author, seq in feeds.items():
            self.sent_upto[author] = max(self.sent_upto.get(author, 0), seq) if not first else seq
        if more:  # the rest of the vector follows: start sending once it is all here
            return
        ours, theirs = self.hub.vector.get(self.me, 0), self.their_have.get(self.me, 0)
        if theirs > ours:
            await store.note_own_feed_seen(theirs, peer=self.key, peer_name=self.name)
            await self._send(protocol.want({self.me: ours}))
        elif await store.own_feed_confirmed(theirs):  # the writes that waited for it are signed
            self.hub.kick()
        if first:
            self.streaming = True
            store.expect(self.lacking())
            self._spawn(self._send_loop())
        self.wake.set()
