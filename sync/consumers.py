"""The server end of docs/PROTOCOL.md section 4: a thin consumer around a replication Session.

The consumer is its own transport: `send(text)` and `close(code, reason)`
are AsyncWebsocketConsumer's. Its session joins the hub of the runtime that
serves the connection (`sync.runtime.Runtime.serve` puts it in the scope).

Memory per connection is bounded before a frame is parsed: daphne refuses a
message over 1 MiB (its `websocket_max_message_size`, the protocol's frame
limit), and `BoundedInbox` reads daphne's queue for this connection as fast
as frames arrive, so that queue (which has no bound of its own) stays empty,
and keeps at most MAX_QUEUED_BYTES / MAX_QUEUED_FRAMES waiting for the
session; what waits is also charged to the peer (all its connections
together) and to the process (sync/budget.py). A peer that sends faster than
the session handles its frames is cut off (close code 4008, docs/PROTOCOL.md
section 4.5) instead of filling the server's memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from channels.generic.websocket import AsyncWebsocketConsumer

from sync import runtime
from sync.budget import ReceiveBudget
from sync.session import Session

logger = logging.getLogger(__name__)

MAX_QUEUED_BYTES = 8 * 1024 * 1024  # four full entries frames in flight (the sender's bound) stay well below
MAX_QUEUED_FRAMES = 1024
OVERFLOW_CLOSE_CODE = 4008  # daphne (autobahn) sends only 1000 and 3000-4999: 1008 would raise and not close
_draining: set[asyncio.Task] = set()  # pumps of finished consumers, until their socket closes
RECEIVE_BUDGET = ReceiveBudget()  # every connection of this process


def _size(message: dict) -> int:
    text = message.get("text")
    if text is not None:
        return len(text) if text.isascii() else len(text.encode())
    return len(message.get("bytes") or b"")


class BoundedInbox:
    """The connection's received messages, at most `max_bytes` and `max_frames` of them
    waiting, and within the `budget` shared with the peer's other connections and everyone's."""

    def __init__(
        self, receive, close, *, max_bytes: int = MAX_QUEUED_BYTES, max_frames: int = MAX_QUEUED_FRAMES,
        budget: ReceiveBudget | None = None, peer=lambda: None,
    ):
        """`close`: a coroutine function that closes the connection (and stops
        whatever is handling its frames) when a bound is passed; `peer()`: the
        authenticated key of the connection, or None while it is not known."""
        self.receive, self.close = receive, close
        self.max_bytes, self.max_frames = max_bytes, max_frames
        self.budget, self.peer = budget if budget is not None else RECEIVE_BUDGET, peer
        self.waiting: deque[tuple[dict, int, str | None]] = deque()
        self.bytes = 0
        self.ready = asyncio.Event()
        self.overflowed = False

    async def pump(self) -> None:
        """Move daphne's messages here as they come; on overflow, close and drop the rest."""
        while True:
            message = await self.receive()
            kind = message.get("type")
            size = _size(message) if kind == "websocket.receive" else 0
            peer = None
            if kind == "websocket.receive":
                if self.overflowed:
                    continue
                peer = self.peer()
                if self.bytes + size > self.max_bytes or len(self.waiting) >= self.max_frames:
                    await self._overflow("this connection")
                    continue
                if over := self.budget.take(peer, size):
                    await self._overflow(over)
                    continue
            self.waiting.append((message, size, peer))
            self.bytes += size
            self.ready.set()
            if kind == "websocket.disconnect":
                return

    async def _overflow(self, bound: str) -> None:
        logger.warning(
            "a peer sent faster than its frames were handled (%d frames, %d bytes waiting on this connection; "
            "bound passed: %s): closing its connection", len(self.waiting), self.bytes, bound,
        )
        self.overflowed = True
        self.drop()
        await self.close()
        self.waiting.append(({"type": "websocket.disconnect", "code": OVERFLOW_CLOSE_CODE}, 0, None))
        self.ready.set()

    def drop(self) -> None:
        """Forget what waits (the connection is going away), and give its room back."""
        for message, size, peer in self.waiting:
            if message.get("type") == "websocket.receive":
                self.budget.give_back(peer, size)
        self.waiting.clear()
        self.bytes = 0

    async def get(self) -> dict:
        while not self.waiting:
            self.ready.clear()
            await self.ready.wait()
        message, size, peer = self.waiting.popleft()
        self.bytes -= size
        if message.get("type") == "websocket.receive":
            self.budget.give_back(peer, size)
        return message


class SyncConsumer(AsyncWebsocketConsumer):
    session: Session | None = None

    async def __call__(self, scope, receive, send):
        async def close_overflowing() -> None:
            if self.session is not None:  # stops the session, which may be waiting for room for a frame
                await self.session.close(OVERFLOW_CLOSE_CODE, "frames arrive faster than they are handled")
            else:
                await send({"type": "websocket.close", "code": OVERFLOW_CLOSE_CODE})

        def authenticated_key() -> str | None:
            session = self.session
            return session.key if session is not None and session.authenticated else None

        inbox = BoundedInbox(receive, close_overflowing, peer=authenticated_key)
        pump = asyncio.ensure_future(inbox.pump())
        try:
            await super().__call__(scope, inbox.get, send)
        finally:
            # daphne keeps queueing what the socket brings until the peer has closed too
            # (it may keep sending through the close handshake): drop it as it comes
            inbox.overflowed = True
            inbox.drop()
            _draining.add(pump)
            pump.add_done_callback(_draining.discard)

    async def connect(self):
        server = runtime.of(self.scope)
        if server is None:
            raise RuntimeError("/ws/sync/ must be served through sync.runtime.Runtime.serve")
        await self.accept()
        self.session = Session(self, dialer=False, hub=server.hub)
        await self.session.start()

    async def receive(self, text_data=None, bytes_data=None):
        await self.session.receive(text_data, bytes_data)

    async def disconnect(self, code):
        if self.session is not None:
            await self.session.disconnected()
