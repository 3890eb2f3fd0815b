"""ASGI entry point: one daphne process serves HTTP and both WebSockets."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendar_p2p.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

application = ProtocolTypeRouter({"http": ASGIStaticFilesHandler(django_http)})
