"""The dialer's lock (sync/leader.py): one holder per database at a time, given
up on release, lost with its connection; on SQLite, always held."""

import asyncio

import pytest
from django.db import connection

from sync.leader import DialerLock

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite case")
async def test_on_sqlite_the_one_server_process_always_dials():
    lock = DialerLock()
    await asyncio.wait_for(lock.acquire(), 5)
    assert lock.held
    lost = asyncio.ensure_future(lock.lost())
    await asyncio.sleep(0)
    assert not lost.done()
    lost.cancel()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
async def test_one_holder_at_a_time_and_the_next_one_takes_over_on_release():
    first, second = DialerLock(), DialerLock()
    try:
        await asyncio.wait_for(first.acquire(), 10)
        waiting = asyncio.ensure_future(second.acquire())
        assert not await second._run(second._try)  # taken: the second one keeps waiting
        assert not waiting.done() and not second.held
        await first.release()
        await asyncio.wait_for(waiting, 10)
        assert second.held and not first.held
    finally:
        await first.release()
        await second.release()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
async def test_the_holder_notices_when_its_connection_is_gone():
    lock = DialerLock()
    try:
        await asyncio.wait_for(lock.acquire(), 10)
        await asyncio.to_thread(terminate, lock._conn.info.backend_pid)
        await asyncio.wait_for(lock.lost(), 10)
        assert not lock.held
        other = DialerLock()
        await asyncio.wait_for(other.acquire(), 10)  # the lock went with the connection
        await other.release()
    finally:
        await lock.release()


def terminate(pid: int) -> None:
    """End a database session, as a database restart or a dropped network would."""
    conn = connection.get_new_connection(connection.get_connection_params())
    conn.autocommit = True
    conn.execute("SELECT pg_terminate_backend(%s)", [pid])
    conn.close()
