"""iCalendar export as strict readers and subscribed clients need it: time
zone definitions that reach past today, text without control characters, an
exact VEVENT count, and a feed whose Last-Modified never goes back."""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from django.core.management import call_command
from django.test import override_settings
from icalendar import Calendar

from events import calendar
from events.ics import export
from events.ics.feed import rotate_feed
from tests.test_ics_export import Peer

pytestmark = pytest.mark.django_db(databases=["default", "index"])

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def test_an_old_weekly_series_has_its_zone_defined_through_the_horizon():
    calendar.create_event(
        title="choir", start="2005-03-01T19:00:00", end="2005-03-01T21:00:00", tz="Europe/Berlin", rrule="FREQ=WEEKLY;BYDAY=TU", uid="choir"
    )
    body = export.export_calendar(now=NOW)
    [zone] = Calendar.from_ical(body).walk("VTIMEZONE")
    # Read as a client that has only the file's definition: summer time in 2040 is +02:00.
    own = zone.to_tz(lookup_tzid=False)
    assert datetime(2040, 7, 3, 19, 0).replace(tzinfo=own).utcoffset() == timedelta(hours=2)
    assert datetime(2040, 1, 3, 19, 0).replace(tzinfo=own).utcoffset() == timedelta(hours=1)
    assert export.export_calendar(now=NOW) == body  # the same day gives the same bytes


def test_text_holds_no_control_characters():
    calendar.create_event(
        title="bell\x07 and\x1b escape", start="2025-05-02", end="2025-05-03", all_day=True, description="one\r\ntwo\x00\rthree\tfour", uid="ctl"
    )
    body = export.export_calendar(now=NOW)
    for line in body.split(b"\r\n"):
        assert not CONTROL.search(line), line
    [event] = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["SUMMARY"]) == "bell and escape"
    assert str(event["DESCRIPTION"]) == "one\ntwo\nthree\tfour"


def test_export_ics_counts_the_vevents_it_wrote(tmp_path, capsys):
    calendar.create_event(title="BEGIN:VEVENT", start="2025-05-02", end="2025-05-03", all_day=True, description="BEGIN:VEVENT\nBEGIN:VEVENT")
    out = tmp_path / "cal.ics"
    call_command("export_ics", "-o", str(out))
    assert "wrote 1 VEVENTs" in capsys.readouterr().err
    assert export.count_vevents(out.read_bytes()) == len(Calendar.from_ical(out.read_bytes()).walk("VEVENT")) == 1


@pytest.fixture
def feed_path():
    export._cache.clear()  # a fresh process
    return f"/feed/{rotate_feed().token}.ics"


def _modified(response) -> datetime:
    return parsedate_to_datetime(response["Last-Modified"])


@override_settings(CALENDAR_NOW="2026-11-29T12:00:00+00:00")
def test_last_modified_moves_forward_when_the_newest_event_is_deleted(client, feed_path):
    calendar.create_event(title="old", start="2025-05-02", end="2025-05-03", all_day=True, uid="old")
    calendar.create_event(title="new", start="2025-05-04", end="2025-05-05", all_day=True, uid="new")
    first = client.get(feed_path)
    calendar.delete_event("new")
    second = client.get(feed_path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert second.status_code == 200 and b"SUMMARY:new" not in second.content
    assert _modified(second) > _modified(first)
    assert client.get(feed_path, HTTP_IF_MODIFIED_SINCE=second["Last-Modified"]).status_code == 304


@override_settings(CALENDAR_NOW="2026-11-29T12:00:00+00:00")
def test_last_modified_moves_forward_when_an_older_entry_replicates_in(client, feed_path):
    calendar.create_event(title="here", start="2025-05-02", end="2025-05-03", all_day=True, uid="here")
    first = client.get(feed_path)
    event = {"title": "from a peer", "start": "2025-05-06", "end": "2025-05-07", "all_day": True, "tz": None, "rrule": None, "exdates": []}
    Peer().write({"type": "event.put", "uid": "peer", "recurrence_id": None, "event": event}, time=1_600_000_000_000)
    second = client.get(feed_path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert second.status_code == 200 and b"SUMMARY:from a peer" in second.content
    assert _modified(second) > _modified(first)
