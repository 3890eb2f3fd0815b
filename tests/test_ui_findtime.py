"""Find a time: free slots within working hours, around everyone's busy times."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from devtools.calendars import Remote, receive
from events import calendar, log
from events.calendars import state
from events.index.history import register_of
from events.views.slots import WorkHours, free_slots
from sync.models import Peer

pytestmark = pytest.mark.django_db(databases=["default", "index"])

CAL = "0123456789abcdef0123456789abcdef"
UTC = ZoneInfo("UTC")
HOURS = WorkHours(time(9), time(17), (0, 1, 2, 3, 4))


def at(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def slots(busy, after, minutes=60, limit=4, hours=HOURS):
    found = free_slots(busy, after=after, days=7, hours=hours, duration=timedelta(minutes=minutes), limit=limit)
    return [(s.strftime("%a %d %H:%M"), e.strftime("%H:%M")) for s, e in found]


def test_the_first_slot_of_each_free_stretch_within_working_hours():
    busy = [(at(7, 9), at(7, 10, 30)), (at(7, 12), at(7, 16, 30))]
    assert slots(busy, at(7, 8)) == [("Mon 07 10:30", "11:30"), ("Tue 08 09:00", "10:00"), ("Wed 09 09:00", "10:00"),
                                     ("Thu 10 09:00", "10:00")]


def test_a_stretch_too_short_is_passed_over_and_now_is_rounded_to_the_quarter():
    busy = [(at(7, 10), at(7, 10, 50))]
    assert slots(busy, at(7, 9, 7), minutes=60, limit=2) == [("Mon 07 11:00", "12:00"), ("Tue 08 09:00", "10:00")]


def test_weekends_and_evenings_are_left_out():
    friday_evening = at(11, 16, 30)
    assert slots([], friday_evening, limit=1) == [("Mon 14 09:00", "10:00")]
    weekend = WorkHours(time(10), time(12), (5,))
    assert slots([], friday_evening, limit=1, hours=weekend) == [("Sat 12 10:00", "11:00")]


@pytest.fixture
def friend(db):
    """bob shares only when he is busy: busy on Monday 7 December from 10:00 to 23:00 UTC."""
    remote = Remote("bob")
    remote.publish()
    receive(*remote.entries)
    Peer.objects.create(author=remote.id, name="bob", state=Peer.PAIRED)
    mine = log.my_author_id()
    remote.calendar(CAL, {mine: "busy"}, seal_to={mine: bytes.fromhex(state.my_public_key())})
    remote.put(remote.id, CAL, "u1", "dentist", "2026-12-07T10:00:00", keys=remote.epochs[CAL][0])
    receive(*remote.entries[1:])
    return remote


@pytest.fixture(autouse=True)
def monday_morning(settings, monkeypatch):
    settings.CALENDAR_NOW = "2026-12-07T08:00:00+00:00"
    monkeypatch.setattr("events.views.findtime.viewer_tz", lambda: "UTC")  # whatever zone other tests chose


def proposed(page):
    return re.findall(r'<span class="slot-when">([^<]*)</span>', page)


def test_the_page_proposes_slots_around_my_events_and_my_friends_busy_blocks(owner_client, friend):
    calendar.create_event({"title": "Standup", "start": "2026-12-07T09:00:00", "end": "2026-12-07T09:30:00", "tz": "UTC"})
    calendar.create_event({"title": "Holiday", "start": "2026-12-08", "all_day": True, "tz": None})
    page = owner_client.get("/find-time/").content.decode()
    assert f'value="{friend.id}"' in page and "bob" in page
    alone = owner_client.get("/find-time/", {"minutes": "60"}).content.decode()
    assert proposed(alone)[:2] == ["Mon 7 Dec, 09:30–10:30", "Tue 8 Dec, 09:00–10:00"]  # all-day events block nothing
    together = owner_client.get("/find-time/", {"minutes": "60", "with": friend.id}).content.decode()
    assert "Free for you and bob" in together
    assert proposed(together)[:2] == ["Tue 8 Dec, 09:00–10:00", "Wed 9 Dec, 09:00–10:00"]
    short = owner_client.get("/find-time/", {"minutes": "30", "with": friend.id}).content.decode()
    assert proposed(short)[:2] == ["Mon 7 Dec, 09:30–10:00", "Tue 8 Dec, 09:00–09:30"]


def test_working_hours_are_kept_and_bad_ones_refused(owner_client):
    response = owner_client.post("/find-time/hours/", {"start": "13:00", "end": "15:00", "days": ["0", "2"]}, follow=True)
    assert "Working hours: 13:00–15:00, Mon, Wed." in response.content.decode()
    page = owner_client.get("/find-time/", {"minutes": "120"}).content.decode()
    assert proposed(page)[:2] == ["Mon 7 Dec, 13:00–15:00", "Wed 9 Dec, 13:00–15:00"]
    for fields, said in (({"start": "9am", "end": "17:00", "days": "0"}, "need a start and an end as HH:MM"),
                         ({"start": "17:00", "end": "09:00", "days": "0"}, "must end after they start"),
                         ({"start": "09:00", "end": "17:00"}, "on at least one day")):
        assert said in owner_client.post("/find-time/hours/", fields, follow=True).content.decode()
    assert proposed(owner_client.get("/find-time/", {"minutes": "120"}).content.decode())[0] == "Mon 7 Dec, 13:00–15:00"


def test_a_slot_becomes_an_event_in_one_click(owner_client):
    page = owner_client.get("/find-time/", {"minutes": "30"}).content.decode()
    start, end = re.findall(r'name="start" value="([^"]+)"><input type="hidden" name="end" value="([^"]+)"', page)[0]
    response = owner_client.post("/find-time/book/", {"start": start, "end": end, "title": "Plan the trip"}, follow=True)
    assert "Added “Plan the trip” on Mon 7 Dec at 09:00." in response.content.decode()
    uid = re.search(r"uid=([^&\"]+)", response.redirect_chain[-1][0]).group(1).replace("%40", "@")
    event = register_of(uid).shown_event()
    assert (event["start"], event["end"], event["tz"]) == ("2026-12-07T09:00:00", "2026-12-07T09:30:00", "UTC")
    assert "a start and an end" in owner_client.post("/find-time/book/", {"start": "soon"}, follow=True).content.decode()
