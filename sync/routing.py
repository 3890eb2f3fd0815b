"""WebSocket routes of the sync app: the peer route, authenticated by the key handshake alone."""

from django.urls import path

from sync.consumers import SyncConsumer

websocket_urlpatterns = [
    path("ws/sync/", SyncConsumer.as_asgi()),
]
