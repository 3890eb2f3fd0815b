"""The server end of docs/PROTOCOL.md section 4: a thin consumer around a replication Session.

The consumer is its own transport: `send(text)` and `close(code, reason)`
are AsyncWebsocketConsumer's. Its session joins the hub of the runtime that
serves the connection (`sync.runtime.Runtime.serve` puts it in the scope).
"""

from channels.generic.websocket import AsyncWebsocketConsumer

from sync import runtime
from sync.session import Session


class SyncConsumer(AsyncWebsocketConsumer):
    session: Session | None = None

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
