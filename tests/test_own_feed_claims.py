"""Claims about our own feed (docs/PROTOCOL.md section 3.3) and fork evidence in `manage.py peers`.

A peer's `have` naming our own feed beyond what we hold makes us ask for the
entries; only our own entries, verified under our key, make it hold local
writes, and then only until we have caught up or that peer stops delivering.
The owner sees every claim and can clear it; unpairing or blocking the peer
drops it.
"""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from events import log
from events.models import ForkEvidence, OwnFeedClaim
from sync import pairing, protocol
from sync.models import Peer
from tests.peer_client import db, feed

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]

MAX_SEQ = 2**63 - 1


def peers_output(*args) -> str:
    out = io.StringIO()
    call_command("peers", *args, stdout=out)
    return out.getvalue()


async def connected_with_our_entries(paired_peer, n):
    """Our feed of `n` entries, and a session with the peer that has received them."""
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(n)]
    c, _ = await paired_peer.session()
    await c.recv_type("entries")
    await c.send(protocol.ack({mine[0].author: n}))
    return mine, c


def our_later_entries(mine, count):
    """Entries of our own feed after `mine`, signed with our key but not stored here:
    what a peer holds when this instance was restored from an older backup."""
    return feed(log.signing_key(), count, start=len(mine) + 1, prev=mine[-1].hash)


async def test_a_bare_have_at_the_largest_seq_does_not_hold_local_writes(paired_peer):
    mine, c = await connected_with_our_entries(paired_peer, 2)
    await c.send(protocol.have({mine[0].author: MAX_SEQ}))
    want = await c.recv_type("want")
    assert want["feeds"] == {mine[0].author: 2}  # it asks, nothing more
    written = await db(log.append_local, {"type": "note", "n": "after"})
    assert written.seq == 3
    assert await db(log.writes_held_reason) is None
    text = await db(peers_output)
    assert f"up to {MAX_SEQ}" in text and "writes not held" in text
    await c.close()


async def test_a_claim_backed_by_our_own_signed_entries_holds_writes_until_caught_up(paired_peer):
    mine, c = await connected_with_our_entries(paired_peer, 2)
    later = await db(our_later_entries, mine, 3)
    await c.send(protocol.have({mine[0].author: 5}))
    assert (await c.recv_type("want"))["feeds"] == {mine[0].author: 2}
    await c.entries(later[:2])
    assert (await c.recv_type("ack"))["feeds"] == {mine[0].author: 4}
    with pytest.raises(log.WriteQueued, match="restored"):
        await db(log.append_local, {"type": "note", "n": "waits"})
    reason = await db(log.writes_held_reason)
    assert "5" in reason and paired_peer.name in reason and "--save-waiting" in reason
    assert "holds local writes" in await db(peers_output)
    await c.entries(later[2:])
    assert (await c.recv_type("ack"))["feeds"] == {mine[0].author: 5}
    pushed = await c.recv_type("entries")  # the write that waited, signed once we caught up
    assert [(e["seq"], e["body"]) for e in pushed["entries"]] == [(6, {"type": "note", "n": "waits"})]
    assert await db(log.writes_held_reason) is None
    assert (await db(log.append_local, {"type": "note"})).seq == 7
    assert await db(log.fork_evidence) == []
    await c.close()


async def test_the_owner_clears_a_held_write(paired_peer):
    mine, c = await connected_with_our_entries(paired_peer, 2)
    later = await db(our_later_entries, mine, 3)
    await c.send(protocol.have({mine[0].author: 5}))
    await c.recv_type("want")
    await c.entries(later[:1])
    await c.recv_type("ack")
    with pytest.raises(log.WriteQueued):
        await db(log.append_local, {"type": "note"})
    out = await db(peers_output, "--clear-held")
    assert "forgot 1 claim" in out and "saved 1 waiting change" in out  # signed at 4, nothing holds it any more
    assert await db(log.writes_held_reason) is None
    assert (await db(log.append_local, {"type": "note"})).seq == 5
    await c.close()


@pytest.mark.parametrize("drop", ["unpair", "block"])
async def test_unpairing_or_blocking_the_claiming_peer_drops_its_claim(paired_peer, drop):
    mine, c = await connected_with_our_entries(paired_peer, 2)
    later = await db(our_later_entries, mine, 3)
    await c.send(protocol.have({mine[0].author: MAX_SEQ}))
    await c.recv_type("want")
    await c.entries(later[:1])
    await c.recv_type("ack")
    assert await db(log.writes_held_reason) is not None
    await c.close()
    await db(getattr(pairing, drop), paired_peer.id)
    assert await db(OwnFeedClaim.objects.count) == 0
    assert await db(log.writes_held_reason) is None
    assert (await db(log.append_local, {"type": "note"})).seq == 4


def test_a_backed_claim_stops_holding_when_the_peer_stops_delivering():
    log.append_local({"type": "note"})
    log.note_own_feed_seen(MAX_SEQ, peer="ab" * 32, peer_name="laptop")
    assert log.note_own_entries_backed("ab" * 32)
    OwnFeedClaim.objects.update(backed_at=timezone.now() - log.CLAIM_STALL - dt.timedelta(seconds=1))
    assert log.writes_held_reason() is None
    assert log.append_local({"type": "note"}).seq == 2


def test_peers_shows_fork_evidence_with_names_stripped_of_control_characters():
    author = "cd" * 32
    Peer.objects.create(author=author, name="mallory\x1b[2J\x07", state=Peer.PAIRED)
    ForkEvidence.objects.create(author=author, seq=7, held_hash="11" * 32, offered_hash="22" * 32, offered_raw="{}")
    text = peers_output()
    line = next(line for line in text.splitlines() if line.startswith("FORK"))
    assert author[:16] in line and "seq 7" in line and "11" * 32 in line and "22" * 32 in line
    assert "mallory[2J" in line and "\x1b" not in text and "\x07" not in text
    data = json.loads(peers_output("--json"))
    [fork] = data["forks"]
    assert fork["author"] == author and fork["seq"] == 7
    assert fork["held_hash"] == "11" * 32 and fork["offered_hash"] == "22" * 32 and fork["recorded_at"]
