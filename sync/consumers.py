"""The server end of docs/PROTOCOL.md section 4: a thin consumer around a replication Session.

The consumer is its own transport: `send(text)` and `close(code, reason)`
are AsyncWebsocketConsumer's. Its session joins the hub of the runtime that
serves the connection (`sync.runtime.Runtime.serve` puts it in the scope).

Memory per connection is bounded before a frame is parsed: daphne refuses a
message over 1 MiB (its `websocket_max_message_size`, the protocol's frame
limit), and `BoundedInbox` reads daphne's queue for this connection as fast
as frames arrive, so that queue (which has no bound of its own) stays empty,
and keeps at most MAX_QUEUED_BYTES / MAX_QUEUED_FRAMES waiting for the
session. A peer that sends faster than the session handles its frames is cut
off (close code 4008, docs/PROTOCOL.md section 4.5) instead of filling the
server's memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from channels.generic.websocket import AsyncWebsocketConsumer

from sync import runtime
from sync.session import Session

logger = logging.getLogger(__name__)

MAX_QUEUED_BYTES = 8 * 1024 * 1024  # four full entries frames in flight (the sender's bound) stay well below
MAX_QUEUED_FRAMES = 1024
OVERFLOW_CLOSE_CODE = 4008  # daphne (autobahn) sends only 1000 and 3000-4999: 1008 would raise and not close
_draining: set[asyncio.Task] = set()  # pumps of finished consumers, until their socket closes


def _size(message: dict) -> int:
    text = message.get("text")
    if text is not None:
        return len(text) if text.isascii() else len(text.encode())
    return len(message.get("bytes") or b"")


class BoundedInbox:
    """The connection's received messages, at most `max_bytes` and `max_frames` of them waiting."""

    def __init__(self, receive, close, *, max_bytes: int = MAX_QUEUED_BYTES, max_frames: int = MAX_QUEUED_FRAMES):
        """`close`: a coroutine function that closes the connection (and stops
        whatever is handling its frames) when the bound is passed."""
        self.receive, self.close = receive, close
        self.max_bytes, self.max_frames = max_bytes, max_frames
        self.waiting: deque[tuple[dict, int]] = deque()
        self.bytes = 0
        self.ready = asyncio.Event()
        self.overflowed = False

    async def pump(self) -> None:
        """Move daphne's messages here as they come; on overflow, close and drop the rest."""
        while True:
            message = await self.receive()
            kind = message.get("type")
            size = _size(message) if kind == "websocket.receive" else 0
            if kind == "websocket.receive":
                if self.overflowed:
                    continue
                if self.bytes + size > self.max_bytes or len(self.waiting) >= self.max_frames:
                    await self._overflow()
                    continue
            self.waiting.append((message, size))
            self.bytes += size
            self.ready.set()
            if kind == "websocket.disconnect":
                return

    async def _overflow(self) -> None:
        logger.warning(
            "a peer sent faster than its frames were handled (%d frames, %d bytes waiting): closing its connection",
            len(self.waiting), self.bytes,
        )
        self.overflowed = True
        self.waiting.clear()
        self.bytes = 0
        await self.close()
        self.waiting.append(({"type": "websocket.disconnect", "code": OVERFLOW_CLOSE_CODE}, 0))
        self.ready.set()

    async def get(self) -> dict:
        while not self.waiting:
            self.ready.clear()
            await self.ready.wait()
        message, size = self.waiting.popleft()
        self.bytes -= size
        return message


class SyncConsumer(AsyncWebsocketConsumer):
    session: Session | None = None

    async def __call__(self, scope, receive, send):
        async def close_overflowing() -> None:
            if self.session is not None:  # stops the session, which may be waiting for room for a frame
                await self.session.close(OVERFLOW_CLOSE_CODE, "frames arrive faster than they are handled")
            else:
                await send({"type": "websocket.close", "code": OVERFLOW_CLOSE_CODE})

        inbox = BoundedInbox(receive, close_overflowing)
        pump = asyncio.ensure_future(inbox.pump())
        try:
            await super().__call__(scope, inbox.get, send)
        finally:
            # daphne keeps queueing what the socket brings until the peer has closed too
            # (it may keep sending through the close handshake): drop it as it comes
            inbox.overflowed = True
            inbox.waiting.clear()
            inbox.bytes = 0
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
