"""`/ws/live/`: tells the owner's open pages that the calendar changed.

Members of the "live" group get `{"type": "index.changed"}` from sync after
it stores remote entries. Writers in other processes (`manage.py add`,
`import_log`) cannot reach an in-memory channel layer, so each connection
also watches the log's arrival counter twice a second and says the same
when it moves. The page answers by re-fetching its calendar fragment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import WebsocketDenier

from events import log

logger = logging.getLogger(__name__)

GROUP = "live"
POLL_SECONDS = 0.5


@database_sync_to_async
def _arrival() -> int:
    return log.last_arrival()


def same_origin(scope) -> bool:
    """The Origin header names the host the page was served from.

    AllowedHostsOriginValidator accepts any Origin (and none) when
    ALLOWED_HOSTS is "*", the default of an instance on a LAN; a browser
    always sends Origin, and a page of another site sends its own."""
    headers = dict(scope.get("headers") or [])
    origin, host = headers.get(b"origin", b"").decode("latin1"), headers.get(b"host", b"").decode("latin1")
    if not origin or not host:
        return False
    _, _, rest = origin.partition("://")
    return rest.rstrip("/").lower() == host.lower()


class SameOriginValidator:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not same_origin(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.app(scope, receive, send)


def live_application():
    """The /ws/live/ stack: same-origin and allowed host, then the session's user."""
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter
    from channels.security.websocket import AllowedHostsOriginValidator
    from django.urls import path

    routes = URLRouter([path("ws/live/", LiveConsumer.as_asgi())])
    return SameOriginValidator(AllowedHostsOriginValidator(AuthMiddlewareStack(routes)))


class LiveConsumer(AsyncJsonWebsocketConsumer):
    watcher: asyncio.Task | None = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4003)
            return
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()
        self.seen = await _arrival()
        self.watcher = asyncio.ensure_future(self._watch())

    async def disconnect(self, code):
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.watcher
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs):
        pass  # the page only listens

    async def index_changed(self, event):
        with contextlib.suppress(Exception):
            self.seen = await _arrival()
        await self.send_json({"type": "index.changed"})

    async def _watch(self):
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                arrival = await _arrival()
            except Exception:
                logger.exception("cannot read the log's arrival counter")
                await asyncio.sleep(5)
                continue
            if arrival != self.seen:
                self.seen = arrival
                await self.send_json({"type": "index.changed"})
