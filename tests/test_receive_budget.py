"""What a peer's frames may take while they wait, over all its connections
(sync/budget.py, docs/PROTOCOL.md section 4.5), and one connection per peer
and direction: a reconnecting peer's old connection is closed for the new."""

import asyncio

import pytest

from events import log
from sync import consumers
from sync.budget import ReceiveBudget
from tests.peer_client import as_obj, db

KEY = "ab" * 32


class Connection:
    """A BoundedInbox fed by hand, as daphne feeds it; nobody reads it."""

    def __init__(self, budget: ReceiveBudget, peer: str | None):
        self.incoming: asyncio.Queue = asyncio.Queue()
        self.closed = False
        self.key = peer

        async def close():
            self.closed = True

        self.inbox = consumers.BoundedInbox(
            self.incoming.get, close, max_bytes=1_000_000, max_frames=1000, budget=budget, peer=lambda: self.key
        )
        self.pump = asyncio.ensure_future(self.inbox.pump())

    async def send(self, n: int, size: int = 1000) -> None:
        for _ in range(n):
            await self.incoming.put({"type": "websocket.receive", "text": "x" * size})
        await asyncio.sleep(0.02)

    async def end(self) -> None:
        await self.incoming.put({"type": "websocket.disconnect", "code": 1000})
        while (await self.inbox.get())["type"] != "websocket.disconnect":
            pass
        await asyncio.wait_for(self.pump, 1)


async def test_a_peer_gets_one_share_however_many_connections_it_opens():
    budget = ReceiveBudget(peer_bytes=10_000, peer_frames=100)
    first, second, third = (Connection(budget, KEY) for _ in range(3))
    await first.send(6)
    await second.send(3)
    assert not first.closed and not second.closed
    assert budget.waiting(KEY) == (9_000, 9)
    await third.send(2)  # 11 KB waiting for one peer: past its share, though each connection is far below its own
    assert third.closed and not first.closed and not second.closed
    assert budget.waiting(KEY) == (9_000, 9)
    other = Connection(budget, "cd" * 32)
    await other.send(6)  # another peer has a share of its own
    assert not other.closed
    for c in (first, second, third, other):
        await c.end()
    assert budget.waiting(KEY) == (0, 0) and budget.bytes == 0 and budget.frames == 0


async def test_connections_not_authenticated_share_one_peers_room_and_a_claimed_key_is_charged_nothing():
    """Strangers opening many connections get one share between them: the room
    of the peers that are syncing stays theirs."""
    budget = ReceiveBudget(peer_bytes=5_000, total_bytes=20_000)
    strangers = [Connection(budget, None) for _ in range(3)]
    await strangers[0].send(3)
    await strangers[1].send(2)
    assert not any(c.closed for c in strangers)
    assert budget.waiting(None) == (5_000, 5) and budget.waiting(KEY) == (0, 0)
    await strangers[2].send(1)  # past the strangers' one share, though far below the total
    assert strangers[2].closed and not strangers[0].closed
    peers = [Connection(budget, KEY), Connection(budget, "cd" * 32)]
    for peer in peers:
        await peer.send(5)  # each peer still has its whole share
    assert not any(peer.closed for peer in peers)
    for c in [*strangers, *peers]:
        await c.end()
    assert budget.bytes == 0 and budget.frames == 0 and budget.waiting(None) == (0, 0)


async def test_a_frame_read_gives_its_room_back():
    budget = ReceiveBudget(peer_bytes=3_000)
    c = Connection(budget, KEY)
    for _ in range(10):  # 10 KB in all, never more than 1 KB waiting
        await c.send(1)
        assert (await c.inbox.get())["type"] == "websocket.receive"
    assert not c.closed and budget.waiting(KEY) == (0, 0)
    await c.end()


@pytest.mark.django_db(transaction=True, databases=["default", "index"])
@pytest.mark.usefixtures("flushable_log")
async def test_a_reconnecting_peer_replaces_its_old_connection(paired_peer):
    mine = await db(log.append_local, {"type": "note"})
    connections = []
    for _ in range(3):
        c, _ = await paired_peer.session()
        connections.append(c)
    for old in connections[:-1]:
        while (out := await old.comm.receive_output(3))["type"] != "websocket.close":
            assert out["type"] == "websocket.send"  # what it was sent before the next one came
        assert out["code"] == 4001  # replaced by a newer one
    newest = connections[-1]
    frame = await newest.recv_type("entries")
    assert frame["entries"] == [as_obj(mine)]  # the newest one replicates
    await newest.close()
    await asyncio.sleep(0.1)
    assert consumers.RECEIVE_BUDGET.waiting(paired_peer.id) == (0, 0)
