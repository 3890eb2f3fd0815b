"""The server process: before daphne listens, DATA_DIR is set up and the
server's address recorded (`prepare_server`). The server's replication is one
`Runtime`: it owns the Hub and the Dialer, puts itself in every connection's
ASGI scope (`serve`) for the sync consumer and the Peers page, and ends every
task it started on `stop`. daphne has no ASGI lifespan, so Twisted's reactor
runs the start hook when it runs and the stop hook before shutdown."""

from __future__ import annotations

import asyncio
import logging
import sys

from sync.dialer import Dialer, PairResult, pair_with
from sync.hub import Hub
from sync.leader import DialerLock

logger = logging.getLogger(__name__)

SCOPE_KEY = "sync.runtime"
STOP_TIMEOUT = 5.0


class Runtime:
    """One process's replication: its Hub, its Dialer and the tasks they run.

    The server makes one in calendar_p2p/asgi.py; tests and commands make their own."""

    def __init__(self, hub: Hub | None = None):
        self.hub = hub if hub is not None else Hub()
        self.dialer = Dialer(self.hub)
        self.lock = DialerLock()  # of the processes serving this instance, only its holder dials
        self.loop: asyncio.AbstractEventLoop | None = None  # where it runs, once started
        self._task: asyncio.Task | None = None

    def serve(self, app):
        """`app` (an ASGI application) with this runtime in its scope, where `of` finds it."""

        async def with_runtime(scope, receive, send):
            return await app({**scope, SCOPE_KEY: self}, receive, send)

        return with_runtime

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Task:
        """Start the dialer (and with it the hub) in `loop`, by default the running
        one, as soon as this process holds the dialer's lock (`sync.leader`)."""
        self.loop = loop or asyncio.get_running_loop()
        self._task = self.loop.create_task(self._dial_while_leading())
        self._task.add_done_callback(_report)
        return self._task

    async def _dial_while_leading(self) -> None:
        """Dial while holding the dialer's lock; when it is lost, stop dialing
        (the hub and the sessions peers dialed in go on) and wait for it again."""
        try:
            while True:
                await self.lock.acquire()
                dialing = asyncio.ensure_future(self.dialer.run())
                lost = asyncio.ensure_future(self.lock.lost())
                try:
                    await asyncio.wait({dialing, lost}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    lost.cancel()
                    await self.dialer.stop_dialing()
                    dialing.cancel()
                    await asyncio.gather(dialing, lost, return_exceptions=True)
                if dialing.done() and not dialing.cancelled() and dialing.exception() is not None:
                    raise dialing.exception()
        finally:
            await self.lock.release()

    def tasks(self) -> list[asyncio.Task]:
        """Every task this runtime started that has not ended: the dialer's loop,
        its connections, the hub's log tail and the open sessions' tasks."""
        tasks = [self._task] if self._task is not None else []
        tasks += [t for _, t in self.dialer.tasks.values()] + self.hub.tasks()
        return [t for t in tasks if not t.done()]

    async def stop(self) -> None:
        """Stop dialing, give up the dialer's lock, close every session and end every task started here."""
        if self._task is not None:
            self._task.cancel()  # first, so that it cannot start dialing again meanwhile
            await asyncio.gather(self._task, return_exceptions=True)
        await self.dialer.stop()
        rest = [t for t in self.tasks() if t is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    async def run(self) -> None:
        """Replicate until cancelled (`manage.py sync`), then stop."""
        try:
            await self.start()
        finally:
            await self.stop()

    async def pair(self, url: str, *, timeout: float = 40.0) -> PairResult:
        """Pair with `url` in this loop, beside the dialer, which dials a new peer at once."""
        try:
            return await pair_with(url, hub=self.hub, timeout=timeout)
        finally:
            self.hub.peers_updated()


def of(scope: dict) -> Runtime | None:
    """The runtime serving the connection of `scope` (see `Runtime.serve`)."""
    return scope.get(SCOPE_KEY)


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


def hook_reactor(runtime: Runtime) -> bool:
    """Start and stop `runtime` with the running server's reactor; a no-op
    outside daphne (tests, manage.py)."""
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or "daphne.server" not in sys.modules:
        return False
    reactor.callWhenRunning(_start, reactor, runtime)
    reactor.addSystemEventTrigger("before", "shutdown", _stop, runtime)
    return True


def _start(reactor, runtime: Runtime) -> None:
    runtime.start(getattr(reactor, "_asyncioEventloop", None) or asyncio.get_event_loop())


def _report(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the peer dialer stopped", exc_info=task.exception())


def _stop(runtime: Runtime):
    if runtime.loop is None:
        return None
    from twisted.internet.defer import Deferred

    future = runtime.loop.create_task(asyncio.wait_for(runtime.stop(), STOP_TIMEOUT))
    return Deferred.fromFuture(future)
