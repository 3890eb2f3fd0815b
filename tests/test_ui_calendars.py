"""The Calendars page and calendars on the other pages, as the owner uses them."""

import json

import pytest

from devtools.calendars import Remote, receive
from events import calendar
from events.calendars import own, state
from events.calendars.bodies import ref
from events.models import IndexKey
from sync.models import Peer

pytestmark = pytest.mark.django_db(databases=["default", "index"])

CAL = "0123456789abcdef0123456789abcdef"
MONTH = "/?d=2026-12-01"


@pytest.fixture
def friend(db):
    """A paired friend whose encryption key has arrived."""
    remote = Remote("bob")
    remote.publish()
    receive(*remote.entries)
    Peer.objects.create(author=remote.id, name="bob", state=Peer.PAIRED)
    return remote


def add(title, day=1, **options):
    return calendar.create_event({"title": title, "start": f"2026-12-0{day}T09:00:00", "tz": "UTC"}, **options)


def test_the_page_lists_personal_and_makes_a_calendar(owner_client):
    page = owner_client.get("/calendars/").content.decode()
    assert "Personal" in page and "quick-add puts new events here" in page
    response = owner_client.post("/calendars/create/", {"name": "Climbing club", "public": "on"}, follow=True)
    assert "Created “Climbing club”" in response.content.decode()
    [club] = [r for r in state.visible() if r.name == "Climbing club"]
    assert club.public and club.my_role == "owner"


def test_sharing_with_a_friend_and_removing_them(owner_client, friend):
    own.ensure_own_entries()
    personal = state.visible()[0].ref
    page = owner_client.get("/calendars/").content.decode()
    assert f'<option value="{friend.id}">bob</option>' in page
    response = owner_client.post("/calendars/share/", {"calendar": personal, "peer": friend.id, "role": "busy"}, follow=True)
    assert "Personal is shared with bob: see only free/busy." in response.content.decode()
    assert json.loads(state.get(personal).members) == {friend.id: "busy"}
    response = owner_client.post("/calendars/unshare/", {"calendar": personal, "peer": friend.id}, follow=True)
    text = response.content.decode()
    assert "cannot read anything written from now on" in text and "already received stays with them" in text
    assert state.get(personal).epoch == 1


def test_a_refused_action_is_a_message_not_an_error(owner_client, friend):
    own.ensure_own_entries()
    personal = state.visible()[0].ref
    response = owner_client.post("/calendars/share/", {"calendar": personal, "peer": friend.id, "role": "admin"}, follow=True)
    assert response.status_code == 200 and "role must be one of" in response.content.decode()
    response = owner_client.post("/calendars/share/", {"calendar": "nope", "peer": friend.id, "role": "busy"}, follow=True)
    assert "No such calendar." in response.content.decode()


def test_hiding_a_calendar_hides_its_events(owner_client):
    add("dentist")
    personal = state.visible()[0].ref
    assert "dentist" in owner_client.get(MONTH).content.decode()
    owner_client.post("/calendars/visibility/", {"calendar": personal, "shown": "off"})
    assert "dentist" not in owner_client.get(MONTH).content.decode()
    owner_client.post("/calendars/visibility/", {"calendar": personal, "shown": "on"})
    assert "dentist" in owner_client.get(MONTH).content.decode()


def test_quick_add_uses_the_chosen_calendar(owner_client):
    work = own.create("Work")
    owner_client.post("/calendars/default/", {"calendar": work})
    response = owner_client.post("/quick/add/", {"text": "standup dec 2 at 9am"})
    assert response.status_code == 201
    assert IndexKey.objects.using("index").filter(calendar=work, deleted=False).count() == 1


def test_moving_an_event_out_of_the_shared_legacy_calendar(owner_client):
    own.ensure_own_entries()
    old = add("old lunch", calendar="")
    page = owner_client.get("/event/", {"uid": old.uid}).content.decode()
    assert "Shared with every peer" in page and "Move to" in page
    personal = state.visible()[0].ref
    response = owner_client.post("/event/move/", {"uid": old.uid, "to": personal}, follow=True)
    assert "Copies peers already received stay with them." in response.content.decode()
    assert IndexKey.objects.using("index").get(calendar=personal, uid=old.uid).kind == "single"


def test_a_friends_busy_block_and_a_write_that_was_not_applied(owner_client, friend):
    me = state.my_public_key()
    from events import log

    mine = log.my_author_id()
    mallory = Remote("mallory")
    mallory.publish()
    friend.calendar(CAL, {mine: "busy", mallory.id: "details"}, seal_to={mine: bytes.fromhex(me), mallory.id: mallory.public})
    original = friend.put(friend.id, CAL, "u1", "therapy", "2026-12-03T09:00:00", keys=friend.epochs[CAL][0])
    mallory.put(friend.id, CAL, "u1", "forged", "2026-12-03T09:00:00", keys=friend.epochs[CAL][0], links=[original.hash])
    receive(*friend.entries[1:], *mallory.entries)
    month = owner_client.get(MONTH).content.decode()
    assert "Busy" in month and "therapy" not in month and "forged" not in month
    page = owner_client.get("/event/", {"uid": "u1"}).content.decode()
    assert "shares only when they are busy" in page and 'id="event-form"' not in page
    assert "Not applied:" in page and "may not edit this calendar" in page
    assert ref(friend.id, CAL) == state.visible()[-1].ref
