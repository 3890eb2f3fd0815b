"""events.index.registers: multi-value registers per key (pure, no database)."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.feeds import FeedWriter as Feed
from events.index.registers import Register, key_of
from tests.support.registers import Registers

ALICE = Ed25519PrivateKey.generate()
BOB = Ed25519PrivateKey.generate()
CAROL = Ed25519PrivateKey.generate()


def put(uid, title, rid=None):
    event = {"title": title, "start": "2024-03-05T12:00:00", "end": "2024-03-05T13:00:00", "tz": "UTC"}
    return {"type": "event.put", "uid": uid, "recurrence_id": rid, "event": event}


def delete(uid, rid=None):
    return {"type": "event.del", "uid": uid, "recurrence_id": rid}


def test_it_keys_series_and_occurrences():
    assert key_of(put("a", "x")) == ("", "a", "")
    assert key_of(put("a", "x"), "cal") == ("cal", "a", "")
    assert key_of(put("a", "x", "2024-03-05T12:00")) == ("", "a", "2024-03-05T12:00:00")
    assert key_of({"type": "peer.intro", "uid": "a"}) is None
    assert key_of({"type": "event.put", "uid": ""}) is None
    assert key_of({"type": "event.put", "uid": "a", "recurrence_id": "someday"}) is None


def test_it_flags_concurrent_edits_and_picks_the_same_primary():
    alice, bob = Feed(ALICE), Feed(BOB)
    first = alice.write(put("u", "lunch"), time=1)
    a2 = alice.write(put("u", "lunch at noon"), time=5, links=[first.hash])
    b2 = bob.write(put("u", "brunch"), time=3, links=[first.hash])
    one, two = Register(), Register()
    for e in (first, a2, b2):
        one.add(e)
    for e in (b2, a2, first):
        two.add(e)
    assert one.conflict and two.conflict
    assert one.primary == two.primary == a2.hash  # greatest time
    assert one.others == [b2.hash]
    assert one.bodies[one.primary]["event"]["title"] == "lunch at noon"


def test_a_write_linking_all_heads_resolves_the_conflict():
    alice, bob = Feed(ALICE), Feed(BOB)
    first = alice.write(put("u", "lunch"), time=1)
    a2 = alice.write(put("u", "A"), time=5, links=[first.hash])
    b2 = bob.write(put("u", "B"), time=3, links=[first.hash])
    fix = bob.write(put("u", "B+A"), time=6, links=[a2.hash, b2.hash])
    reg = Register()
    for e in (first, a2, b2, fix):
        reg.add(e)
    assert not reg.conflict and reg.primary == fix.hash
    assert set(reg.bodies) == {fix.hash}
    assert reg.history == [first.hash, b2.hash, a2.hash, fix.hash]


def test_a_key_is_deleted_only_when_every_head_is_a_del():
    alice, bob = Feed(ALICE), Feed(BOB)
    first = alice.write(put("u", "lunch"), time=1)
    gone = alice.write(delete("u"), time=5, links=[first.hash])
    edit = bob.write(put("u", "still on"), time=3, links=[first.hash])
    reg = Register()
    reg.add(first)
    reg.add(gone)
    assert reg.deleted and reg.shown() is None and reg.shown_event() is None
    reg.add(edit)
    assert not reg.deleted and reg.conflict
    # the primary head is the del; what a reader sees is the edit
    assert reg.primary == gone.hash and reg.shown() == edit.hash
    assert reg.shown_event()["title"] == "still on"


def test_an_entry_arriving_before_what_it_links_to_wins_anyway():
    alice = Feed(ALICE)
    first = alice.write(put("u", "v1"), time=10)
    second = alice.write(put("u", "v2"), time=2, links=[first.hash])  # writer clock went back
    reg = Register()
    reg.add(second)
    reg.add(first)
    assert reg.heads == [second.hash]
    assert not reg.add(first)  # duplicates change nothing


def test_it_round_trips_through_json():
    alice = Feed(ALICE)
    reg = Register()
    reg.add(alice.write(put("u", "v1"), time=1))
    again = Register.from_json(reg.to_json())
    assert again.heads == reg.heads and again.bodies == reg.bodies


# --- any arrival order gives the same state ---------------------------------------


@st.composite
def histories(draw):
    """Entries of three writers over two or three keys, linking earlier entries
    of the same key the writer may (or may not) have seen."""
    feeds = [Feed(k) for k in (ALICE, BOB, CAROL)]
    uids = ["a", "b", "c"][: draw(st.integers(2, 3))]
    written: dict[tuple, list] = {}
    entries = []
    for _ in range(draw(st.integers(1, 14))):
        writer = draw(st.sampled_from(feeds))
        uid = draw(st.sampled_from(uids))
        rid = draw(st.sampled_from([None, None, "2024-03-05T12:00:00"]))
        seen = written.get((uid, rid), [])
        links = [e.hash for e in seen if draw(st.booleans())]
        if draw(st.integers(0, 9)) == 0:
            links.append("f" * 64)  # something never delivered
        body = delete(uid, rid) if draw(st.integers(0, 4)) == 0 else put(uid, f"t{len(entries)}", rid)
        if draw(st.integers(0, 9)) == 0:
            body = {"type": "something.else", "uid": uid}
        entry = writer.write(body, time=draw(st.integers(0, 4)), links=sorted(set(links)))
        written.setdefault((uid, rid), []).append(entry)
        entries.append(entry)
    return entries


@settings(max_examples=150, deadline=None)
@given(entries=histories(), data=st.data())
def test_any_arrival_order_gives_the_same_state(entries, data):
    reference = Registers()
    reference.apply(entries)
    shuffled = data.draw(st.permutations(entries))
    again = Registers()
    again.apply(shuffled)
    again.apply(shuffled[: len(shuffled) // 2])  # redelivery changes nothing
    assert again.snapshot() == reference.snapshot()
