"""The relay rule (docs/PROTOCOL.md section 6.6) at the /ws/sync/ consumer: a
paired peer is offered our own feed, its own, and other feeds only when it
is in their audience; what it may not receive is not even in our `have`."""

import pytest

from devtools.calendars import Remote, receive
from events import log
from events.calendars import own, state
from tests.peer_client import db
from tests.support.personas import Persona, pair

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]

CAL = "0123456789abcdef0123456789abcdef"


def hold_alices_calendar(members: dict[str, str], *, public_keys: dict[str, bytes]) -> Remote:
    """Alice's feed, held here: her key and a calendar shared with `members`."""
    own.ensure_own_entries()
    alice = Remote("alice")
    alice.publish()
    alice.calendar(CAL, members, seal_to=public_keys)
    receive(*alice.entries)
    return alice


async def feeds_offered_to(peer: Persona) -> dict[str, int]:
    c, have = await peer.session()
    await c.close()
    return have["feeds"]


async def test_a_feed_is_not_offered_outside_its_audience(paired_peer):
    me = await db(log.my_author_id)
    my_key = bytes.fromhex(await db(state.my_public_key))
    alice = await db(hold_alices_calendar, {me: "details"}, public_keys={me: my_key})
    offered = await feeds_offered_to(paired_peer)
    assert me in offered and alice.id not in offered


async def test_a_member_is_offered_the_owners_feed(paired_peer):
    me = await db(log.my_author_id)
    my_key = bytes.fromhex(await db(state.my_public_key))
    members = {me: "details", paired_peer.id: "busy"}
    alice = await db(hold_alices_calendar, members, public_keys={me: my_key, paired_peer.id: Remote("x").public})
    offered = await feeds_offered_to(paired_peer)
    assert offered[alice.id] == len(alice.entries)


async def test_a_feed_that_never_published_a_key_goes_to_everyone(paired_peer):
    legacy = Remote("legacy")
    legacy.sign({"type": "event.put", "uid": "u1", "recurrence_id": None, "event": {"title": "old", "start": "2026-12-01"}})
    await db(receive, *legacy.entries)
    offered = await feeds_offered_to(paired_peer)
    assert offered[legacy.id] == 1


async def test_a_peer_is_offered_its_own_feed_back():
    carol = await db(pair, Persona("carol"))
    await db(log.receive, carol.feed(2))
    offered = await feeds_offered_to(carol)
    assert offered[carol.id] == 2  # its own feed, e.g. to restore a backup (docs/PROTOCOL.md section 3.3)
