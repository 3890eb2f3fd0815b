"""The server end of docs/PROTOCOL.md section 4: a thin consumer around a replication Session.

The consumer is its own transport: `send(text)` and `close(code, reason)`
are AsyncWebsocketConsumer's.
"""

from channels.generic.websocket import AsyncWebsocketConsumer

from sync.session import Session


class SyncConsumer(AsyncWebsocketConsumer):
    session: Session | None = None

    async def connect(self):
        await self.accept()
        self.session = Session(self, dialer=False)
        await self.session.start()

    async def receive(self, text_data=None, bytes_data=None):
        await self.session.receive(text_data, bytes_data)

    async def disconnect(self, code):
        if self.session is not None:
            await self.session.disconnected()
