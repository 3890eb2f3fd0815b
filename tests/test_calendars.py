"""Calendars in the fold (docs/PROTOCOL.md section 6): who reads, who writes,
what a forged, tampered or late write does, and that the order entries
arrive in does not change the calendar."""

import json
from datetime import date

import pytest

from devtools.calendars import Remote, receive
from events import calendar, log
from events.calendars import manage, own, state
from events.calendars.bodies import ref
from events.calendars.keys import EpochKeys
from events.index.fold import catch_up, rebuild
from events.index.history import history
from events.index.query import query
from events.models import IndexKey
from events.sealing import SealError, context, decrypt, encrypt, seal, unseal

pytestmark = pytest.mark.django_db(databases=["default", "index"])

CAL = "0123456789abcdef0123456789abcdef"
VECTORS = [json.loads(line) for line in open("tests/data/vectors/calendars.jsonl")]


def shown():
    return sorted((o.title, o.busy) for o in query(date(2026, 12, 1), date(2026, 12, 8), "UTC").occurrences)


def rows():
    return sorted(IndexKey.objects.using("index").values_list("calendar", "uid", "rid", "state", "shown", "busy"))


@pytest.fixture
def me():
    own.ensure_own_entries()
    return log.my_author_id()


@pytest.fixture
def alice():
    remote = Remote("alice")
    remote.publish()
    return remote


def my_key() -> bytes:
    return bytes.fromhex(state.my_public_key())


# -- the constructions: test vectors (docs/PROTOCOL.md section 6.7) ---------------


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_calendar_vectors(vector):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    aad = vector["context"].encode()
    if vector["op"] == "seal":
        recipient = X25519PrivateKey.from_private_bytes(bytes.fromhex(vector["recipient_private"]))
        ephemeral = X25519PrivateKey.from_private_bytes(bytes.fromhex(vector["ephemeral_private"]))
        out = seal(recipient.public_key().public_bytes_raw(), bytes.fromhex(vector["plaintext"]), aad, ephemeral=ephemeral)
        assert out.hex() == vector["output"]
        assert unseal(recipient, out, aad).hex() == vector["plaintext"]
    elif vector["op"] == "encrypt":
        out = encrypt(bytes.fromhex(vector["key"]), bytes.fromhex(vector["plaintext"]), aad, nonce=bytes.fromhex(vector["nonce"]))
        assert out.hex() == vector["output"]
        assert decrypt(bytes.fromhex(vector["key"]), out, aad).hex() == vector["plaintext"]
    elif vector["op"] == "unseal":
        recipient = X25519PrivateKey.from_private_bytes(bytes.fromhex(vector["recipient_private"]))
        with pytest.raises(SealError):
            unseal(recipient, bytes.fromhex(vector["input"]), aad)
    else:
        with pytest.raises(SealError):
            decrypt(bytes.fromhex(vector["key"]), bytes.fromhex(vector["input"]), aad)


def test_a_context_is_canonical_json():
    assert context(part="busy", epoch=0) == b'{"epoch":0,"part":"busy"}'


# -- our own calendars ----------------------------------------------------------------


def test_a_new_instance_has_a_personal_calendar_shared_with_nobody(me):
    [personal] = state.visible()
    assert (personal.name, personal.owner, personal.public, personal.my_role) == ("Personal", me, False, "owner")
    assert json.loads(personal.members) == {}
    own.ensure_own_entries()  # a second time writes nothing
    assert log.vector()[me] == 2


def test_events_of_a_private_calendar_are_sealed_in_the_log(me):
    calendar.create_event({"title": "dentist appointment", "start": "2026-12-01T09:00:00", "tz": "UTC"})
    raws = [e.raw for e in log.read_feed(me)]
    assert not any(b"dentist" in raw for raw in raws)
    assert shown() == [("dentist appointment", False)]


def test_a_public_calendar_is_written_in_the_clear(me):
    club = own.create("Club", public=True)
    calendar.create_event({"title": "club meetup", "start": "2026-12-02T19:00:00", "tz": "UTC"}, calendar=club)
    assert any(b"club meetup" in e.raw for e in log.read_feed(me))


def test_moving_an_event_out_of_the_legacy_calendar(me):
    old = calendar.create_event({"title": "old lunch", "start": "2026-12-03T12:00:00", "tz": "UTC"}, calendar="")
    personal = manage.default_calendar()
    calendar.move_event(old.uid, personal, calendar="")
    assert shown() == [("old lunch", False)]
    assert IndexKey.objects.using("index").get(calendar="", uid=old.uid).deleted


def test_sharing_refuses_what_cannot_be_done(me, alice):
    personal = manage.default_calendar()
    with pytest.raises(own.CalendarRefused, match="has not published an encryption key"):
        manage.share(personal, Remote("nobody").id, "details")
    receive(*alice.entries)
    with pytest.raises(own.CalendarRefused, match="role must be one of"):
        manage.share(personal, alice.id, "admin")
    alice_cal = receive(alice.calendar(CAL, {me: "details"}, seal_to={me: my_key()})) and ref(alice.id, CAL)
    with pytest.raises(own.CalendarRefused, match="only its owner shares it"):
        manage.share(alice_cal, alice.id, "details")
    with pytest.raises(calendar.CalendarError, match="you may only read"):
        calendar.create_event({"title": "x", "start": "2026-12-01T09:00:00", "tz": "UTC"}, calendar=alice_cal)


# -- a friend's calendars -------------------------------------------------------------


def test_details_and_busy_members_see_what_their_role_allows(me, alice):
    keys_entry = alice.calendar(CAL, {me: "details"}, seal_to={me: my_key()})
    keys = alice.epochs[CAL][0]
    receive(*alice.entries)
    receive(alice.put(alice.id, CAL, "u1", "planning", "2026-12-01T09:00:00", keys=keys))
    assert shown() == [("planning", False)]
    assert state.get(ref(alice.id, CAL)).name == "Team"
    receive(alice.calendar(CAL, {me: "busy"}, epoch=1, seal_to={me: my_key()}))
    receive(alice.put(alice.id, CAL, "u2", "therapy", "2026-12-02T09:00:00", epoch=1, keys=alice.epochs[CAL][1]))
    # lowered to busy: the new event is a busy block; what was readable before stays readable
    assert shown() == [("Busy", True), ("planning", False)]
    assert keys_entry.hash


def test_a_box_sealed_to_someone_else_gives_nothing(me, alice):
    stranger = Remote("stranger")
    alice.calendar(CAL, {stranger.id: "details"}, seal_to={stranger.id: stranger.public})
    receive(*alice.entries)
    receive(alice.put(alice.id, CAL, "u1", "secret", "2026-12-01T09:00:00", keys=alice.epochs[CAL][0]))
    assert shown() == []
    assert state.get(ref(alice.id, CAL)).my_role == ""


def test_a_write_without_rights_is_kept_but_not_applied(me, alice):
    mallory = Remote("mallory")
    mallory.publish()
    alice.calendar(CAL, {me: "details", mallory.id: "details"}, seal_to={me: my_key(), mallory.id: mallory.public})
    keys = alice.epochs[CAL][0]
    original = alice.put(alice.id, CAL, "u1", "board meeting", "2026-12-01T09:00:00", keys=keys)
    # mallory can read, so it can seal; but it is no editor
    forged = mallory.put(alice.id, CAL, "u1", "cancelled, stay home", "2026-12-01T09:00:00", keys=keys, links=[original.hash])
    receive(*alice.entries, *mallory.entries)
    assert shown() == [("board meeting", False)]
    changes = history("u1", calendar=ref(alice.id, CAL))
    refused = [c for c in changes if c.hash == forged.hash]
    assert refused and refused[0].not_applied == f"{mallory.id[:12]} may not edit this calendar"


def test_a_write_in_another_calendar_cannot_touch_an_event(me, alice):
    mallory = Remote("mallory")
    mallory.publish()
    alice.calendar(CAL, {me: "details"}, seal_to={me: my_key()})
    original = alice.put(alice.id, CAL, "u1", "board meeting", "2026-12-01T09:00:00", keys=alice.epochs[CAL][0])
    mallory.calendar(CAL, {me: "details"}, seal_to={me: my_key()}, name="Mallory's")
    mallory.sign({"type": "event.del", "uid": "u1", "recurrence_id": None}, links=[original.hash])
    receive(*alice.entries, *mallory.entries)
    assert shown() == [("board meeting", False)]


def test_a_tampered_ciphertext_is_left_out_and_breaks_nothing(me, alice):
    alice.calendar(CAL, {me: "details"}, seal_to={me: my_key()})
    keys = alice.epochs[CAL][0]
    good = alice.put(alice.id, CAL, "u1", "kept", "2026-12-01T09:00:00", keys=keys)
    body = dict(alice.put(alice.id, CAL, "u2", "tampered", "2026-12-02T09:00:00", keys=keys).body)
    alice.entries.pop()
    body["details"] = body["details"][:-8] + ("A" if body["details"][-8] != "A" else "B") + body["details"][-7:]
    alice.sign(body)
    receive(*alice.entries)
    assert shown() == [("kept", False)] and good.hash


def test_a_removed_editor_counts_up_to_the_owners_bound_in_any_order(me, alice):
    bob = Remote("bob")
    bob.publish()
    alice.calendar(CAL, {me: "details", bob.id: "editor"}, seal_to={me: my_key(), bob.id: bob.public})
    keys = alice.epochs[CAL][0]
    before = bob.put(alice.id, CAL, "b1", "before removal", "2026-12-01T09:00:00", keys=keys)
    after = bob.put(alice.id, CAL, "b2", "after removal", "2026-12-02T09:00:00", keys=keys)
    removal = alice.calendar(CAL, {me: "details"}, epoch=1, until={bob.id: before.seq}, seal_to={me: my_key()})
    # the removal first, then bob's writes: the same calendar as the other way round
    receive(*alice.entries)
    receive(*bob.entries)
    assert shown() == [("before removal", False)]
    one = rows()
    rebuild()
    assert rows() == one
    refused = [c for c in history("b2", calendar=ref(alice.id, CAL)) if c.hash == after.hash]
    assert refused[0].not_applied and removal.hash


def test_writes_that_arrive_before_their_calendar_wait_for_it(me, alice):
    bob = Remote("bob")
    bob.publish()
    alice.calendar(CAL, {me: "details", bob.id: "editor"}, seal_to={me: my_key(), bob.id: bob.public})
    bob.put(alice.id, CAL, "b1", "bob's event", "2026-12-01T09:00:00", keys=alice.epochs[CAL][0])
    receive(*bob.entries)  # bob's write first: its calendar is not known yet
    assert shown() == []
    receive(*alice.entries)
    assert shown() == [("bob's event", False)]
    folded = rows()
    rebuild()
    assert rows() == folded


def test_the_audience_of_a_feed(me, alice):
    bob = Remote("bob")
    bob.publish()
    alice.calendar(CAL, {me: "details", bob.id: "editor"}, seal_to={me: my_key(), bob.id: bob.public})
    receive(*alice.entries, *bob.entries)
    audiences = state.audiences()
    assert audiences[alice.id] == {me, bob.id}
    assert audiences[bob.id] == {alice.id, me}  # an editor's feed goes where the calendar goes
    assert state.audience("ff" * 32) is None  # never published a key: relayed as in version 1


def test_epoch_keys_round_trip():
    keys = EpochKeys.new()
    assert EpochKeys.from_json(keys.to_json()) == keys
    assert keys.for_role("busy").details is None
    catch_up()


def test_deleting_a_calendar_hides_its_events_and_keeps_the_last_one(me):
    work = own.create("Work")
    calendar.create_event({"title": "standup", "start": "2026-12-01T09:00:00", "tz": "UTC"}, calendar=work)
    assert shown() == [("standup", False)]
    manage.delete(work)
    assert shown() == [] and work not in {r.ref for r in state.visible()}
    with pytest.raises(own.CalendarRefused, match="only calendar"):
        manage.delete(state.visible()[0].ref)
    with pytest.raises(calendar.CalendarError, match="does not exist"):
        calendar.create_event({"title": "late", "start": "2026-12-02T09:00:00", "tz": "UTC"}, calendar=work)


def test_a_moved_series_exports_with_its_edited_occurrence(me):
    from events.ics import export

    series = calendar.create_event({"title": "yoga", "start": "2026-12-01T18:00:00", "tz": "UTC",
                                    "rrule": "FREQ=WEEKLY;COUNT=4"}, calendar="")
    calendar.edit_occurrence(series.uid, "2026-12-08T18:00:00", calendar="", title="yoga outdoors")
    calendar.cancel_occurrence(series.uid, "2026-12-15T18:00:00", calendar="")
    calendar.move_event(series.uid, manage.default_calendar(), calendar="")
    [moved] = list(export.live_events())
    assert moved.calendar == manage.default_calendar()
    assert [o.event["title"] for o in moved.overrides] == ["yoga outdoors"]
    assert [c.rid for c in moved.cancelled] == ["2026-12-15T18:00:00"]
    titles = [o.title for o in query(date(2026, 12, 1), date(2027, 1, 1), "UTC").occurrences]
    assert titles == ["yoga", "yoga outdoors", "yoga"]


def test_a_conflict_is_resolved_in_its_own_calendar(me):
    """One uid in Personal and, with a conflict, in the legacy calendar: resolving touches only the latter."""
    from events.log import append_local

    mine = calendar.create_event({"title": "mine", "start": "2026-12-01T09:00:00", "tz": "UTC"}, uid="same@x")
    shared = calendar.create_event({"title": "shared", "start": "2026-12-02T09:00:00", "tz": "UTC"}, uid="same@x",
                                   calendar="")
    for title in ("shared A", "shared B"):
        append_local({"type": "event.put", "uid": "same@x", "recurrence_id": None,
                      "event": {**shared.event, "title": title}}, links=[shared.entry.hash])
    catch_up()
    before = log.vector()[me]
    calendar.resolve_conflict("same@x", calendar="")
    assert log.vector()[me] == before + 1
    assert not IndexKey.objects.using("index").filter(conflict=True).exists()
    assert IndexKey.objects.using("index").get(calendar=mine.calendar, uid="same@x").shown == mine.entry.hash
