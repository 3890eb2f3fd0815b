"""The grid's own writes (events.views.drag): a new event from a slot, a
move, a resize; one log entry each, and a one-line error for what cannot be done."""

import json

import pytest

from events import calendar, log
from events.index.history import register_of

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def fixed_now(settings):
    settings.CALENDAR_NOW = "2026-11-29T10:00"
    settings.CALENDAR_TIME_ZONE = "UTC"


def shown(uid, rid=None):
    return register_of(uid, rid).shown_event()


def post(client, url, **data):
    response = client.post(url, data)
    return response.status_code, json.loads(response.content)


def test_it_moves_an_event_by_minutes_and_days(owner_client):
    made = calendar.create_event(title="dentist", start="2026-12-01T09:00:00", end="2026-12-01T10:00:00", tz="UTC")
    before = log.vector()[log.my_author_id()]
    status, answer = post(owner_client, "/event/shift/", uid=made.uid, start_by=1440 + 120, end_by=1440 + 120)
    assert status == 200 and answer["ok"]
    assert (shown(made.uid)["start"], shown(made.uid)["end"]) == ("2026-12-02T11:00:00", "2026-12-02T12:00:00")
    assert log.vector()[log.my_author_id()] == before + 1  # one log entry


def test_it_resizes_by_moving_only_the_end(owner_client):
    made = calendar.create_event(title="dentist", start="2026-12-01T09:00:00", end="2026-12-01T10:00:00", tz="UTC")
    post(owner_client, "/event/shift/", uid=made.uid, start_by=0, end_by=30)
    assert (shown(made.uid)["start"], shown(made.uid)["end"]) == ("2026-12-01T09:00:00", "2026-12-01T10:30:00")


def test_it_moves_one_occurrence_or_the_whole_series(owner_client):
    made = calendar.create_event(title="lunch", start="2026-12-01T12:00:00", end="2026-12-01T13:00:00", tz="UTC",
                                 rrule="FREQ=WEEKLY;BYDAY=TU")
    post(owner_client, "/event/shift/", uid=made.uid, rid="2026-12-08T12:00:00", scope="occurrence", start_by=60, end_by=60)
    assert shown(made.uid, "2026-12-08T12:00:00")["start"] == "2026-12-08T13:00:00"
    assert shown(made.uid)["start"] == "2026-12-01T12:00:00"
    post(owner_client, "/event/shift/", uid=made.uid, rid="2026-12-15T12:00:00", scope="series", start_by=-60, end_by=-60)
    assert shown(made.uid)["start"] == "2026-12-01T11:00:00"


@pytest.mark.parametrize(("data", "error"), [
    ({"start_by": "soon"}, "start_by must be a whole number of minutes"),
    ({"start_by": "0", "end_by": "-120"}, "an event must end after it starts"),
    ({"start_by": str(10**9)}, "start_by moves the event by more than a year"),
])
def test_it_refuses_a_move_in_one_line(owner_client, data, error):
    made = calendar.create_event(title="dentist", start="2026-12-01T09:00:00", end="2026-12-01T10:00:00", tz="UTC")
    status, answer = post(owner_client, "/event/shift/", uid=made.uid, **data)
    assert status == 400 and answer == {"ok": False, "error": error}


def test_it_refuses_to_move_what_is_gone_or_all_day(owner_client):
    status, answer = post(owner_client, "/event/shift/", uid="nobody@example", start_by=60, end_by=60)
    assert status == 400 and answer["error"] == "this event no longer exists"
    made = calendar.create_event(title="holiday", start="2026-12-01", end="2026-12-02", all_day=True)
    status, answer = post(owner_client, "/event/shift/", uid=made.uid, start_by=60, end_by=60)
    assert status == 400 and answer["error"] == "all-day events are moved from their page"


def test_it_creates_an_event_in_the_calendars_zone(owner_client, settings):
    settings.CALENDAR_TIME_ZONE = "Europe/Bucharest"
    status, answer = post(owner_client, "/event/new/", title="Tea", day="2026-12-02", start="14:00", end="15:30")
    assert status == 200 and answer["ok"]
    uid = answer["url"].split("uid=")[1].replace("%40", "@")
    assert shown(uid)["start"] == "2026-12-02T14:00:00" and shown(uid)["end"] == "2026-12-02T15:30:00"
    assert shown(uid)["tz"] == "Europe/Bucharest"


@pytest.mark.parametrize(("data", "error"), [
    ({"title": "Tea", "day": "tomorrow", "start": "14:00", "end": "15:00"}, "a day as YYYY-MM-DD and times as HH:MM are needed"),
    ({"title": "  ", "day": "2026-12-02", "start": "14:00", "end": "15:00"}, "type a title for the new event"),
])
def test_it_refuses_a_new_event_in_one_line(owner_client, data, error):
    status, answer = post(owner_client, "/event/new/", **data)
    assert status == 400 and answer == {"ok": False, "error": error}


def test_a_stranger_cannot_write(client, owner):
    assert client.post("/event/new/", {"title": "x", "day": "2026-12-02", "start": "14:00", "end": "15:00"}).status_code == 302
    assert client.post("/event/shift/", {"uid": "x"}).status_code == 302
