"""The hub: the part of replication its sessions share (docs/PROTOCOL.md sections 3.2, 4.2, 4.5).

It keeps the registry of live sessions (one connection per peer), tails the
log's arrival counter (woken at once by every commit on this machine through
`events.wake`, with a short poll behind it), keeps our vector, wakes the sessions that have something to
push, and saves each peer's status for `manage.py peers` and the web UI.
Watching only the highest arrival is enough because arrivals commit in order,
on PostgreSQL too (docs/architecture.md, "The arrival counter"): no entry
becomes visible below a number already seen, so no write goes unpushed.
Server processes on other machines (one PostgreSQL database) are seen by the poll.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from events import wake
from sync import store

if TYPE_CHECKING:
    from sync.session import Session

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.05
PEERS_INTERVAL = 1.0
STATUS_INTERVAL = 0.3
DUPLICATE_CLOSE = 4001


class Hub:
    """Replication state shared by a process's sessions: the live sessions, our vector, the log tail.

    The server's hub belongs to its `sync.runtime.Runtime`; a one-shot command
    or a test makes its own. Every task the hub starts is kept and stopped by `stop`."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}  # the admitted connection of each peer
        self.open: set[Session] = set()  # every started session that is not closed yet
        self.vector: dict[str, int] = {}
        self.blocked: set[str] = set()
        self.audiences: dict[str, set[str] | None] = {}  # author -> who may receive its feed; absent: anyone
        self.owners: set[str] = set()  # the authors we are the mirror of: they receive every feed
        self.arrival = -1
        self.snapshot: store.Snapshot | None = None
        self.keep_running = False
        self.peers_changed: asyncio.Event | None = None
        self._kick: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: set[asyncio.Task] = set()

    def kick(self) -> None:
        """Something was written in this process: look at the log now."""
        if self._kick is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._kick.set)

    def ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._kick = asyncio.Event()
            self.peers_changed = asyncio.Event()
            self._task = loop.create_task(self._run())

    def attach(self, session: Session) -> None:
        """`session` started: `stop` closes it."""
        self.open.add(session)

    def peers_updated(self) -> None:
        """The paired peers changed in this process: the dialer looks at them now."""
        if self.peers_changed is not None:
            self.peers_changed.set()

    def tasks(self) -> list[asyncio.Task]:
        """The tasks this hub and its open sessions run."""
        tasks = [t for s in self.open for t in s.tasks] + list(self._closing)
        return tasks + ([self._task] if self._task is not None else [])

    def _close_later(self, session: Session, reason: str) -> None:
        task = asyncio.ensure_future(session.close(DUPLICATE_CLOSE, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def authenticated(self, session: Session) -> None:
        """`session` proved its peer's key: an older connection of that peer in the
        same direction is a reconnection's leftover, closed in favour of the new one,
        so a peer holds at most one connection each way (and its frames one share of
        the receive budget, sync/budget.py)."""
        for other in list(self.open):
            if other is not session and not other.closed and other.key == session.key and other.dialer == session.dialer:
                self._close_later(other, "duplicate connection: replaced by a newer one")

    def register(self, session: Session) -> bool:
        """Admit `session` as the one connection to its peer. When both sides
        dialed, the connection dialed by the smaller author id stays."""
        self.ensure_running()
        key = session.key
        existing = self.sessions.get(key)
        if existing is not None and existing is not session and not existing.closed:
            keep = min(session.me, key)
            if existing.dialer_id == keep and session.dialer_id != keep:
                reason = f"duplicate connection: keeping the one dialed by {keep[:12]}"
                self._close_later(session, reason)
                return False
            reason = "duplicate connection: replaced by a newer one" if existing.dialer_id == session.dialer_id else (
                f"duplicate connection: keeping the one dialed by {keep[:12]}"
            )
            self._close_later(existing, reason)
        self.sessions[key] = session
        self.open.add(session)
        return True

    def unregister(self, session: Session) -> None:
        self.open.discard(session)
        if session.key and self.sessions.get(session.key) is session:
            del self.sessions[session.key]
            self.peers_updated()

    def connected(self, key: str) -> bool:
        s = self.sessions.get(key)
        return s is not None and not s.closed

    async def refresh_vector(self) -> dict[str, int]:
        self.snapshot = await store.snapshot(self.snapshot)
        self.arrival, self.vector, self.blocked, self.audiences, self.owners, _ = self.snapshot
        return self.vector

    async def _run(self) -> None:
        last_peers = last_status = 0.0
        listener = wake.Listener(self.kick)
        listener.start()
        try:
            while self.sessions or self.keep_running:
                try:
                    woken = await asyncio.wait_for(self._kick.wait(), POLL_INTERVAL)
                except TimeoutError:
                    woken = False
                self._kick.clear()
                try:
                    # A wake-up says entries were committed: read the snapshot at once;
                    # a poll first asks the arrival counter whether anything changed.
                    before = self.arrival
                    if woken or await store.last_arrival() != before:
                        await self.refresh_vector()
                    elif self.snapshot is not None and self.snapshot.audiences_at != self.arrival:
                        await store.folded_behind()  # pushed before folded: fold now that nothing waits
                        await self.refresh_vector()
                    if self.arrival != before:
                        for s in list(self.sessions.values()):
                            s.status_dirty = True  # how far each side is depends on our vector
                            s.wake.set()
                    now = time.monotonic()
                    if now - last_peers > PEERS_INTERVAL:
                        last_peers = now
                        await self._check_peers()
                    if now - last_status > STATUS_INTERVAL:
                        last_status = now
                        await self.flush_status()
                except Exception:  # e.g. the database stayed locked: log it, back off, go on
                    logger.exception("replication hub: tailing the log failed; retrying in a second")
                    await asyncio.sleep(1.0)
        finally:
            listener.close()
            self._task = None

    async def _check_peers(self) -> None:
        blocked, paired = await store.peer_sets()
        if await store.sign_waiting():  # writes that waited on a claim that has lapsed
            self.kick()
        refused = await store.refused_peers()
        for key, s in self.sessions.items():
            if s.refusals.feeds and not s.refusals.dirty and key not in refused:  # the owner cleared them
                s.refusals.clear()
                s.status_dirty = True
                s.wake.set()
        self.blocked = blocked
        for key, s in list(self.sessions.items()):
            if s.admitted and key not in paired and not s.pair_only:
                await s.close(reason="blocked" if key in blocked else "unpaired")
        self.peers_updated()

    async def flush_status(self) -> None:
        dirty = [s for s in self.sessions.values() if s.admitted and s.status_dirty]
        rows = [s.status_row(connected=True) for s in dirty]
        if not rows:
            return
        try:
            await store.save(rows)
        except BaseException:
            for s, row in zip(dirty, rows, strict=True):
                s.status_not_saved(row)
            raise

    async def stop(self) -> None:
        """Close every open session and end every task this hub and its sessions started."""
        self.keep_running = False
        tasks = self.tasks()
        for s in list(self.open):
            await s.close(1001, "shutting down")
        me = asyncio.current_task()
        tasks = [t for t in tasks + self.tasks() if t is not me]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
