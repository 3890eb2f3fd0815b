"""The server's replication runtime (sync/runtime.py): it owns a hub and a dialer,
serves the /ws/sync/ consumer with that hub, and `stop` ends every task it started."""

import asyncio

import pytest
from channels.routing import URLRouter

from devtools.instances import free_port
from sync.models import Peer
from sync.routing import websocket_urlpatterns
from sync.runtime import Runtime
from tests.peer_client import db
from tests.support.personas import eventually

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]


async def test_stopping_the_runtime_ends_every_task_it_started(paired_peer):
    # a paired peer nobody answers for: the dialer keeps a connection task retrying it
    unreachable = await db(lambda: Peer.objects.create(author="cd" * 32, name="away", url=f"http://127.0.0.1:{free_port()}"))
    before = asyncio.all_tasks()
    runtime = Runtime()
    runtime.start()
    await eventually(lambda: unreachable.author in runtime.dialer.tasks, message="the dialer dials the unreachable peer")
    # a peer dials in through the runtime's own application: its session joins the runtime's hub
    c = paired_peer.client()
    await c.connect(runtime.serve(URLRouter(websocket_urlpatterns)))
    assert (await c.handshake())["type"] == "have"
    await c.send({"type": "have", "feeds": {}})
    await eventually(lambda: runtime.hub.connected(paired_peer.id), message="the dialing peer is admitted")
    session = runtime.hub.sessions[paired_peer.id]
    await eventually(lambda: len(session.tasks), equals=4, message="watchdog, verify, store and send tasks")

    started = runtime.tasks()
    assert runtime.hub._task in started and runtime.dialer.tasks[unreachable.author][1] in started
    assert set(session.tasks) <= set(started)

    await runtime.stop()
    assert all(t.done() for t in started)
    assert runtime.tasks() == [] and not runtime.hub.open and session.closed
    assert (await c.closed())["code"] == 1001
    await c.close()  # the test's side of the socket (Channels' own tasks for the consumer end with it)
    left = asyncio.all_tasks() - before - {asyncio.current_task()}
    assert not left, f"still running after stop: {left}"


async def test_the_consumer_needs_a_runtime_in_its_scope(paired_peer):
    from channels.testing import WebsocketCommunicator

    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/sync/")
    with pytest.raises(RuntimeError, match="Runtime.serve"):
        await comm.connect()
