"""Start and stop the dialer inside daphne, which has no ASGI lifespan:
Twisted's reactor runs our start hook when it runs and our stop hook before shutdown."""

from __future__ import annotations

import asyncio
import logging
import sys

logger = logging.getLogger(__name__)

_dialer = None
_task = None


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
