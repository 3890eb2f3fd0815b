"""/ws/live/: only the owner's own pages may listen."""

import itertools

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from events import log
from events.live import live_application

pytestmark = pytest.mark.django_db(transaction=True)

HOST = b"testserver"


@database_sync_to_async
def session_cookie() -> bytes:
    user = get_user_model().objects.create_user("owner", password="correct horse battery")
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def communicator(headers):
    return WebsocketCommunicator(live_application(), "/ws/live/", headers=[(b"host", HOST), *headers])


async def test_it_refuses_anonymous_pages():
    comm = communicator([(b"origin", b"http://testserver")])
    connected, _ = await comm.connect()
    assert not connected


async def test_it_refuses_a_foreign_origin():
    cookie = await session_cookie()
    comm = communicator([(b"origin", b"http://evil.example"), (b"cookie", cookie)])
    connected, _ = await comm.connect()
    assert not connected


async def test_it_refuses_a_missing_origin():
    cookie = await session_cookie()
    comm = communicator([(b"cookie", cookie)])
    connected, _ = await comm.connect()
    assert not connected


async def test_it_tells_the_owner_when_the_index_changes():
    cookie = await session_cookie()
    comm = communicator([(b"origin", b"http://testserver"), (b"cookie", cookie)])
    connected, _ = await comm.connect()
    assert connected
    await get_channel_layer().group_send("live", {"type": "index.changed"})
    assert await comm.receive_json_from(timeout=2) == {"type": "index.changed"}
    await comm.disconnect()


async def test_it_notices_writes_from_other_processes(monkeypatch):
    # Another process appending moves the log's arrival counter; faked here, since
    # the append-only log cannot be flushed after a transactional test.
    arrivals = itertools.count()
    monkeypatch.setattr(log, "last_arrival", lambda: next(arrivals))
    cookie = await session_cookie()
    comm = communicator([(b"origin", b"http://testserver"), (b"cookie", cookie)])
    connected, _ = await comm.connect()
    assert connected
    assert await comm.receive_json_from(timeout=3) == {"type": "index.changed"}
    await comm.disconnect()


@pytest.mark.usefixtures("flushable_log")
async def test_an_entry_stored_from_a_peer_tells_the_pages_at_once(monkeypatch):
    from devtools.feeds import FeedWriter
    from events import live
    from sync import store

    monkeypatch.setattr(live, "POLL_SECONDS", 3600)  # only the message stored entries send can tell
    cookie = await session_cookie()
    comm = communicator([(b"origin", b"http://testserver"), (b"cookie", cookie)])
    connected, _ = await comm.connect()
    assert connected
    entry = FeedWriter().write({"type": "note"}, time=1_795_000_000_000)
    [stored] = await store.store(await store.verified(await store.verify([entry.as_dict()])))
    assert stored.stored
    assert await comm.receive_json_from(timeout=2) == {"type": "index.changed"}
    assert await store.store(await store.verified(await store.verify([entry.as_dict()]))) and await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()
