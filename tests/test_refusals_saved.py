"""A peer that keeps refusing an entry is not sent it in a loop again after a
restart (sync/refusals.py, docs/PROTOCOL.md section 4.2 "Refused entries"):
the refusals are saved with the peer's status, loaded when it connects, and
cleared only by the owner or by the peer showing it holds the entry.

A restart is played by emptying the server's memory of refusals
(`refusals._by_peer`), which is all a new process lacks.
"""

import asyncio
import io

import pytest
from django.core.management import call_command

from events import log
from sync import protocol, refusals
from sync.models import FeedRefusal
from tests.peer_client import db
from tests.test_hostile_peer import invited_again, invited_client

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]


def peers(*args) -> str:
    out = io.StringIO()
    call_command("peers", *args, stdout=out)
    return out.getvalue()


async def refused_until_skipped(paired_peer, mine) -> None:
    """The peer refuses our entry 1 four times: the feed is no longer sent to it."""
    c, _ = await paired_peer.session()
    for _ in range(4):
        frame = await c.recv_type("entries", timeout=3)
        assert frame["entries"][0]["seq"] == 1
        await c.send(protocol.error("bad-entry", "rule bounds: not in my version", mine[0].hash))
        await c.send(protocol.ack({mine[0].author: 0}))
        await c.send(protocol.want({mine[0].author: 0}))
    assert await c.quiet(0.8)
    await c.close()
    await asyncio.sleep(0.2)  # the closing session saves its status


def restart() -> None:
    refusals._by_peer.clear()


async def test_a_refused_feed_stays_held_back_after_a_restart(paired_peer, monkeypatch):
    monkeypatch.setattr(refusals, "RETRY_DELAYS", (0.1, 0.1, 0.1))
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(2)]
    await refused_until_skipped(paired_peer, mine)
    saved = await db(lambda: list(FeedRefusal.objects.values_list("peer", "author", "count", "retry_at")))
    assert saved == [(paired_peer.id, mine[0].author, 4, None)]
    restart()
    c, _ = await paired_peer.session()
    assert await c.quiet(0.8)  # not sent again: the count did not start over
    assert "refused entry 1 4 times" in refusals.of(paired_peer.id).describe()
    text = await db(peers)
    assert "refused entry 1 4 times" in text and "--clear-refusals" in text
    await c.close()


async def test_a_backoff_in_progress_survives_a_restart(paired_peer, monkeypatch):
    monkeypatch.setattr(refusals, "RETRY_DELAYS", (60.0, 60.0, 60.0))
    mine = [await db(log.append_local, {"type": "note"})]
    c, _ = await paired_peer.session()
    await c.recv_type("entries", timeout=3)
    await c.send(protocol.error("bad-entry", "rule bounds: not in my version", mine[0].hash))
    await c.send(protocol.want({mine[0].author: 0}))
    assert await c.quiet(0.3)
    await c.close()
    await asyncio.sleep(0.2)
    restart()
    c, _ = await paired_peer.session()
    assert await c.quiet(0.5)  # still within its 60 s wait
    assert refusals.of(paired_peer.id).feeds[mine[0].author].count == 1
    await c.close()


async def test_the_owner_clears_them_and_the_feed_is_sent_again(paired_peer, monkeypatch):
    monkeypatch.setattr(refusals, "RETRY_DELAYS", (0.1, 0.1, 0.1))
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(2)]
    await refused_until_skipped(paired_peer, mine)
    restart()
    c, _ = await paired_peer.session()
    assert await c.quiet(0.5)
    # while it is connected: the server notices within a second
    assert "cleared 1 held-back feed" in await db(peers, "--clear-refusals")
    frame = await c.recv_type("entries", timeout=3)
    assert frame["entries"][0]["seq"] == 1
    assert not await db(lambda: FeedRefusal.objects.exists())
    assert "not sent for now" not in await db(peers)
    await c.close()


async def test_the_peers_page_offers_them_again(paired_peer, monkeypatch, owner_client):
    monkeypatch.setattr(refusals, "RETRY_DELAYS", (0.1, 0.1, 0.1))
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(2)]
    await refused_until_skipped(paired_peer, mine)
    page = (await db(owner_client.get, "/peers/")).content.decode()
    assert "refused entry 1 4 times" in page and "Send them again" in page
    response = await db(owner_client.post, "/peers/clear-refusals/", {"author": paired_peer.id}, follow=True)
    assert "offered to that peer again" in response.content.decode()
    assert not await db(lambda: FeedRefusal.objects.exists())
    bad = await db(owner_client.post, "/peers/clear-refusals/", {"author": "xyz"}, follow=True)
    assert "at least 8 hex" in bad.content.decode()


@pytest.mark.slow
def test_a_real_server_restart_does_not_start_the_loop_again(spawn):
    inst = spawn("a")
    inst.append("ours")
    asyncio.run(_refuse_twice_then_restart(inst))


async def _refuse_twice_then_restart(inst):
    c = await invited_client(inst, "refuser")
    key = c.key
    for _ in range(2):  # refused twice: the feed now waits 15 s before it is offered again
        frame = await c.recv_type("entries", timeout=10)
        first = frame["entries"][0]
        assert first["seq"] == 1
        await c.send(protocol.error("bad-entry", "rule bounds: not in my version", protocol.entry_hash(first)))
        await c.send(protocol.ack({first["author"]: 0}))
        await c.send(protocol.want({first["author"]: 0}))
    await asyncio.sleep(0.5)  # saved with the peer's status
    await c.close()
    inst.stop()
    inst.start()
    c = await invited_again(inst, key)
    assert await c.quiet(3.0)  # the 15 s wait survived the restart: not offered again at once
    assert "refused entry 1" in inst.manage("peers")
    assert "cleared 1 held-back feed" in inst.manage("peers", "--clear-refusals")
    frame = await c.recv_type("entries", timeout=5)  # offered again within a second
    assert frame["entries"][0]["seq"] == 1
    await c.close()
