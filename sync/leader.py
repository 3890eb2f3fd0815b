"""Which server process dials peers, when several serve one instance.

Two daphne processes behind one PostgreSQL database both accept peers'
connections, but only one may dial out, or every peer would be dialed twice
and see duplicate connections. That one holds a PostgreSQL session-level
advisory lock on a connection of its own, outside Django's per-thread
connections that come and go. When the holding process dies its connection
closes and PostgreSQL releases the lock at once; the others try again every
TRY_INTERVAL seconds, so one of them dials within about a second. The holder
checks its connection every CHECK_INTERVAL seconds and stops dialing when it
is gone (the lock went with it).

With SQLite there is one server process per DATA_DIR: it always dials.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

logger = logging.getLogger(__name__)

DIALER_LOCK = 0x6469616C6572  # an arbitrary 64-bit key; advisory locks are per database
TRY_INTERVAL = 1.0
CHECK_INTERVAL = 1.0
APPLICATION_NAME = "calendar-p2p dialer"


class DialerLock:
    """The dialer's lock: `acquire` waits until this process holds it, `lost`
    returns when it no longer does, `release` gives it up."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self.shared = connections[alias].vendor == "postgresql"
        self._conn = None  # the psycopg connection holding the lock
        # One thread owns the connection: psycopg connections are not shared between threads.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dialer-lock") if self.shared else None

    @property
    def held(self) -> bool:
        return not self.shared or self._conn is not None

    def _try(self) -> bool:
        wrapper = connections[self.alias]
        # Named, so that `pg_stat_activity` shows which process dials.
        params = {**wrapper.get_connection_params(), "application_name": f"{APPLICATION_NAME} (pid {os.getpid()})"}
        conn = wrapper.get_new_connection(params)
        conn.autocommit = True
        if conn.execute("SELECT pg_try_advisory_lock(%s)", [DIALER_LOCK]).fetchone()[0]:
            self._conn = conn
            return True
        conn.close()
        return False

    def _check(self) -> bool:
        try:
            self._conn.execute("SELECT 1")
            return True
        except Exception:
            logger.warning("the connection holding the dialer's lock is gone; this process stops dialing")
            self._close()
            return False

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()  # closing the session releases its advisory locks
            except Exception:
                logger.exception("closing the dialer lock's connection failed")

    async def _run(self, fn):
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    async def acquire(self) -> None:
        """Return once this process holds the lock (at once on SQLite)."""
        waiting, failure = False, ""
        while not self.held:
            try:
                if await self._run(self._try):
                    logger.info("this process dials peers now (it holds the dialer's lock)")
                    return
            except Exception as e:  # the database is unreachable for now: keep trying, say it once
                if str(e) != failure:
                    failure = str(e)
                    logger.warning("cannot take the dialer's lock (trying again every %.0f s): %s", TRY_INTERVAL, e)
                await asyncio.sleep(TRY_INTERVAL)
                continue
            if not waiting:
                logger.info("another process dials peers; waiting for the dialer's lock")
                waiting = True
            await asyncio.sleep(TRY_INTERVAL)

    async def lost(self) -> None:
        """Return when the lock is no longer held (never on SQLite)."""
        if not self.shared:
            await asyncio.Event().wait()
        while self._conn is not None and await self._run(self._check):
            await asyncio.sleep(CHECK_INTERVAL)

    async def release(self) -> None:
        if self.shared:
            await self._run(self._close)
