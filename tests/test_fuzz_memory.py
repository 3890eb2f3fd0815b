"""Bounded memory per peer (docs/reliability.md, "Memory per peer").

In process: the consumer's inbox closes a connection whose waiting frames
pass the bound, before any of them is parsed; `have`, `ack` and `want`
naming millions of made-up authors do not grow a session's maps. Against a
real daphne (marked slow): a paired peer floods 1 MiB frames (64 MiB here,
`FLOOD_MIB=500` for the figure in docs/reliability.md) and sends `have`
frames naming a million made-up authors; the server's resident memory is
printed before, during and after, and must come back down.
"""

import asyncio
import json
import os
import time

import pytest

from devtools.instances import check_log
from events import log
from sync import consumers, protocol, streams
from tests.peer_client import db, feed
from tests.test_hostile_peer import answers_http, invited_again, invited_client, rss_kb

db_marks = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]


async def test_the_inbox_closes_a_connection_whose_waiting_frames_pass_the_bound():
    incoming: asyncio.Queue = asyncio.Queue()
    sent = []

    async def close():
        sent.append({"type": "websocket.close", "code": 4008})

    inbox = consumers.BoundedInbox(incoming.get, close, max_bytes=10_000, max_frames=50)
    pump = asyncio.ensure_future(inbox.pump())
    await incoming.put({"type": "websocket.connect"})
    assert (await inbox.get())["type"] == "websocket.connect"
    for _ in range(30):  # nobody reads them: 30 KB waiting
        await incoming.put({"type": "websocket.receive", "text": "x" * 1000})
    await asyncio.sleep(0.05)
    assert sent == [{"type": "websocket.close", "code": 4008}]
    assert inbox.bytes <= 10_000 and len(inbox.waiting) == 1
    assert (await inbox.get()) == {"type": "websocket.disconnect", "code": 4008}
    await incoming.put({"type": "websocket.receive", "text": "y" * 5000})  # after the overflow: dropped
    await incoming.put({"type": "websocket.disconnect", "code": 1006})
    assert (await inbox.get())["type"] == "websocket.disconnect"
    await asyncio.wait_for(pump, 1)
    assert inbox.bytes == 0 and len(sent) == 1


async def test_the_inbox_passes_frames_through_in_order_below_the_bound():
    incoming: asyncio.Queue = asyncio.Queue()
    inbox = consumers.BoundedInbox(incoming.get, None, max_bytes=10_000, max_frames=50)
    pump = asyncio.ensure_future(inbox.pump())
    texts = [f"frame {i} é" for i in range(200)]
    for text in texts:
        await incoming.put({"type": "websocket.receive", "text": text})
        assert (await inbox.get())["text"] == text
    await incoming.put({"type": "websocket.disconnect", "code": 1000})
    assert (await inbox.get())["type"] == "websocket.disconnect"
    await asyncio.wait_for(pump, 1)
    assert inbox.bytes == 0 and not inbox.overflowed


@pytest.mark.django_db(transaction=True, databases=["default", "index"])
@pytest.mark.usefixtures("flushable_log")
async def test_made_up_authors_in_have_ack_and_want_do_not_grow_the_session(paired_peer, monkeypatch):
    monkeypatch.setattr(streams, "MAX_UNKNOWN_FEEDS", 500)
    mine = await db(log.append_local, {"type": "note"})
    c, _ = await paired_peer.session()
    await c.recv_type("entries")
    for round_ in range(6):
        made_up = {f"{round_:02x}{i:062x}": 5 for i in range(2000)}
        await c.send(protocol.have(made_up))
        await c.send(protocol.ack(made_up))
        await c.send(protocol.want(made_up))
    await c.send(protocol.ack({mine.author: 1}))
    await c.send(protocol.want({mine.author: 0}))
    frame = await c.recv_type("entries")  # still answers what is real
    assert [e["seq"] for e in frame["entries"]] == [1]
    from calendar_p2p.asgi import replication

    session = replication.hub.sessions[paired_peer.id]
    assert len(session.their_vec) <= 502 and len(session.sent_upto) <= 502 and len(session.their_have) <= 502
    await c.close()


# --- a real daphne: a flood of 1 MiB frames, a million made-up authors ------------------------

MIB = 1024 * 1024


def one_mib_frame(key) -> str:
    """An `entries` frame of nearly 1 MiB: 760 valid entries of the peer's own feed, which the
    server must verify (and, the first time, store) before it reads the next frame. Sent again
    and again, it keeps the session busy while the socket brings more."""
    entries = feed(key, 760, body={"type": "note", "text": "x" * 1000})
    text = json.dumps({"type": "entries", "entries": [json.loads(e.raw) for e in entries]}, separators=(",", ":"))
    assert len(text) < MIB - 1024
    return text


async def flood(inst, key, mib: int, figures: dict) -> None:
    """Send `mib` 1 MiB frames as fast as the socket takes them, dialing again when cut off."""
    sent = connections = 0
    peak = rss_kb(inst.pid)
    started = time.monotonic()
    frame = one_mib_frame(key)
    while sent < mib and time.monotonic() - started < 600:
        c = await invited_again(inst, key)
        connections += 1
        try:
            while sent < mib:
                await c.ws.send(frame)
                sent += 1
                if sent % 16 == 0:
                    peak = max(peak, rss_kb(inst.pid))
        except Exception:  # cut off (the inbox bound or the rate limit): dial again
            pass
        finally:
            await c.ws.close()
        peak = max(peak, rss_kb(inst.pid))
    figures.update(flood_mib=sent, flood_connections=connections, flood_rss_peak_kb=peak,
                   flood_seconds=round(time.monotonic() - started, 1))


async def made_up_authors(inst, key, authors: int, figures: dict) -> None:
    """`have`, `ack` and `want` frames naming `authors` made-up feeds (14,000 a frame, under 1 MiB)."""
    c = await invited_again(inst, key)
    peak = rss_kb(inst.pid)
    per_frame = 14_000
    for start in range(0, authors, per_frame):
        feeds = {f"{i:064x}": 7 for i in range(start, start + per_frame)}
        for frame in (protocol.have(feeds), protocol.ack(feeds), protocol.want(feeds)):
            try:
                await c.send(frame)
            except Exception:  # cut off by the rate limit: dial again
                c = await invited_again(inst, key)
        if start % (per_frame * 10) == 0:
            await asyncio.wait_for(await c.ws.ping(), 30)
            peak = max(peak, rss_kb(inst.pid))
    await c.ws.close()
    figures.update(made_up_authors=authors, authors_rss_peak_kb=peak)


@pytest.mark.slow
def test_a_real_instance_bounds_memory_per_peer(spawn):
    inst = spawn("target")
    inst.append("ours")
    figures = {}

    async def attack():
        hostile = await invited_client(inst, "hostile")
        await hostile.ws.close()
        await asyncio.sleep(0.5)
        figures["rss_before_kb"] = rss_kb(inst.pid)
        await flood(inst, hostile.key, int(os.environ.get("FLOOD_MIB", "64")), figures)
        await asyncio.sleep(2)
        figures["rss_after_flood_kb"] = rss_kb(inst.pid)
        await made_up_authors(inst, hostile.key, int(os.environ.get("MADE_UP_AUTHORS", "1000000")), figures)
        await asyncio.sleep(2)
        figures["rss_after_authors_kb"] = rss_kb(inst.pid)
        friend = await invited_client(inst, "friend")  # still serves a peer
        frame = await friend.recv_type("entries", timeout=10)
        assert frame["entries"][0]["author"] == inst.author()
        await friend.ws.close()

    asyncio.run(attack())
    assert answers_http(inst)
    assert check_log(inst) >= 1
    print("memory figures", json.dumps(figures))
    assert "Traceback" not in inst.log_text()
    # what a closed connection held is gone: the server is back near where it started
    assert figures["rss_after_authors_kb"] - figures["rss_before_kb"] < 80_000, figures
