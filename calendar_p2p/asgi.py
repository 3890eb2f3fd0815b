"""ASGI entry point: one daphne process serves HTTP and both WebSockets."""

import os
import sys

# The event loop hands database work to one thread and waits for it: with the
# default 5 ms switch interval a busy loop keeps that thread from the GIL for
# up to 5 ms at each hand-over, which a live entry crosses several times.
sys.setswitchinterval(0.0005)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendar_p2p.settings")
os.umask(0o077)  # before settings create DATA_DIR's files: they are the owner's alone

from django.core.asgi import get_asgi_application  # noqa: E402

django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from calendar_p2p.static import QuietStaticFilesHandler  # noqa: E402
from events.live import live_application  # noqa: E402
from sync import runtime  # noqa: E402

# In daphne: set DATA_DIR up as `make run` would and record the server's
# address in DATA_DIR/instance.json (or exit with one line saying what is wrong).
if runtime.in_server():
    runtime.prepare_server()
from sync.routing import websocket_urlpatterns as sync_routes  # noqa: E402

# Peers: no origin check and no session middleware; the key handshake authenticates.
peer_websockets = URLRouter(sync_routes)

# The owner's browser: a same-host Origin and the owner's session are required.
live_websockets = live_application()


async def websockets(scope, receive, send):
    """Dispatch by path, so the browser route's checks never wrap the peer route."""
    if scope["path"].startswith("/ws/live/"):
        return await live_websockets(scope, receive, send)
    return await peer_websockets(scope, receive, send)


# This process's replication (hub, dialer, their tasks); the peer consumer and
# the Peers page find it in the scope.
replication = runtime.Runtime()

application = replication.serve(
    ProtocolTypeRouter(
        {
            "http": QuietStaticFilesHandler(django_http),
            "websocket": websockets,
        }
    )
)

# daphne has no ASGI lifespan: start replication when Twisted's reactor runs, stop it before shutdown.
runtime.hook_reactor(replication)
