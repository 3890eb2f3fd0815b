"""The server end of PROTOCOL 4: a thin consumer around a replication Session.

The consumer is its own transport: `send(text)` and `close(code, reason)`
are AsyncWebsocketConsumer's.
"""

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

from sync.replication import Session


class SyncConsumer(AsyncWebsocketConsumer):
    session: Session | None = None

    async def dispatch(self, message):
        """As Channels' dispatch, without its per-message trip to a database
        thread (close_old_connections): the server queues incoming frames
        without limit, so a peer flooding tiny frames would grow that queue as
        fast as it can send while each one waits for a thread. Every database
        call here goes through database_sync_to_async, which closes stale
        connections itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        await self.accept()
        self.session = Session(self, dialer=False)
        await self.session.start()

    async def receive(self, text_data=None, bytes_data=None):
        await self.session.receive(text_data, bytes_data)

    async def disconnect(self, code):
        if self.session is not None:
            await self.session.disconnected()
