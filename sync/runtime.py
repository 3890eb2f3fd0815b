"""The server process: before daphne listens, DATA_DIR is set up and the
server's address recorded (`prepare_server`); daphne has no ASGI lifespan, so
Twisted's reactor runs our dialer start hook when it runs and our stop hook
before shutdown."""

from __future__ import annotations

import asyncio
import logging
import sys

logger = logging.getLogger(__name__)

_dialer = None
_task = None


def in_server() -> bool:
    """True inside the daphne server process started from its command line
    (tests that import the ASGI application load daphne.server, not daphne.cli)."""
    return "daphne.cli" in sys.modules


def listen_address(argv: list[str] | None = None) -> tuple[str, str]:
    """(host, port) daphne was told to listen on (-b/--bind, -p/--port), else HOST/PORT."""
    from django.conf import settings

    argv = sys.argv if argv is None else argv
    found = {"host": settings.HOST, "port": str(settings.PORT)}
    names = {"-b": "host", "--bind": "host", "-p": "port", "--port": "port"}
    for i, arg in enumerate(argv):
        flag, eq, value = arg.partition("=")
        if flag in names:
            value = value if eq else (argv[i + 1] if i + 1 < len(argv) else "")
            if value:
                found[names[flag]] = value
    return found["host"], found["port"]


def prepare_server() -> None:
    """Set DATA_DIR up and record who this server is before it listens; on a
    failure, say what is wrong in one line and exit."""
    from events.setup import SetupError
    from events.setup import prepare_server as prepare

    host, port = listen_address()
    try:
        prepare(host, port)
    except SetupError as e:
        sys.stderr.write(f"error: {e}\n")
        raise SystemExit(1) from None


def hook_reactor() -> bool:
    """Hook the running server's reactor; a no-op outside daphne (tests, manage.py)."""
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or "daphne.server" not in sys.modules:
        return False
    reactor.callWhenRunning(_start, reactor)
    reactor.addSystemEventTrigger("before", "shutdown", _stop)
    return True


def _start(reactor) -> None:
    global _dialer, _task
    from sync.dialer import Dialer

    loop = getattr(reactor, "_asyncioEventloop", None) or asyncio.get_event_loop()
    _dialer = Dialer()
    _task = loop.create_task(_dialer.run())
    _task.add_done_callback(_report)


def _report(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the peer dialer stopped", exc_info=task.exception())


def _stop():
    if _dialer is None:
        return None
    from twisted.internet.defer import Deferred

    future = asyncio.ensure_future(asyncio.wait_for(_dialer.stop(), 5))
    return Deferred.fromFuture(future)
