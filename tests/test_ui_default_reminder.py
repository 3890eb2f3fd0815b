"""A default reminder per calendar, set on the Calendars page: events made on
the pages (quick-add, a slot of the grid) get it when they name none;
CalDAV PUTs keep what the phone sent."""

from datetime import date

import pytest
import recurring_ical_events
from icalendar import Calendar

from dav import passwords
from devtools.dav_client import DavClient, personal
from events import calendar, throttle
from events.calendars import own
from events.calendars.default_reminders import default_reminder, set_default_reminder
from events.calendars.manage import default_calendar
from events.index.history import register_of

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def fixed_now(settings, db):
    settings.CALENDAR_NOW = "2026-11-29T10:00"
    settings.CALENDAR_TIME_ZONE = "UTC"
    own.ensure_own_entries()


def shown(uid):
    return register_of(uid).shown_event()


def test_the_calendars_page_sets_a_default_reminder_and_quick_add_gives_it(owner_client):
    mine = default_calendar()
    page = owner_client.get("/calendars/").content.decode()
    assert "New events get a reminder" in page and "10 minutes before" in page
    response = owner_client.post("/calendars/reminder/", {"calendar": mine, "minutes": "10"}, follow=True)
    assert "get a reminder 10 minutes before" in response.content.decode()
    assert '<option value="10" selected>' in owner_client.get("/calendars/").content.decode()
    added = owner_client.post("/quick/add/", {"text": "dentist tomorrow at 9"}).json()
    assert shown(added["uid"])["reminders"] == [10]
    page = owner_client.get("/event/", {"uid": added["uid"]}).content.decode()
    assert 'name="reminders" value="10"' in page
    exported = Calendar.from_ical(owner_client.get("/calendar.ics").content)
    [event] = recurring_ical_events.of(exported).between(date(2026, 11, 30), date(2026, 12, 1))
    [alarm] = event.walk("VALARM")
    assert alarm["TRIGGER"].to_ical() == b"-PT10M" and str(event["SUMMARY"]) == "dentist"


def test_a_new_event_from_a_grid_slot_gets_it_too(owner_client):
    set_default_reminder(default_calendar(), 60)
    answer = owner_client.post("/event/new/", {"title": "call", "day": "2026-12-02", "start": "09:00", "end": "10:00"})
    uid = answer.json()["url"].split("uid=")[1].split("&")[0].replace("%40", "@")
    assert shown(uid)["reminders"] == [60]


def test_none_takes_it_away_and_events_named_with_their_own_reminders_keep_them(owner_client):
    mine = default_calendar()
    set_default_reminder(mine, 10)
    made = calendar.create_event(title="own", start="2026-12-02T09:00:00", reminders=[30], with_default_reminder=True)
    assert shown(made.uid)["reminders"] == [30]
    owner_client.post("/calendars/reminder/", {"calendar": mine, "minutes": ""})
    assert default_reminder(mine) is None
    added = owner_client.post("/quick/add/", {"text": "lunch tomorrow at noon"}).json()
    assert not shown(added["uid"]).get("reminders")


def test_operations_and_phones_are_not_given_it(owner_client):
    set_default_reminder(default_calendar(), 10)
    made = calendar.create_event(title="imported", start="2026-12-02T09:00:00")
    assert not shown(made.uid).get("reminders")
    throttle.reset()
    passwords.forget()
    phone = DavClient(passwords.create("Phone").password)
    vevent = "UID:call@phone\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261202T090000Z\r\nDTEND:20261202T100000Z\r\nSUMMARY:Call"
    body = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n{vevent}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    assert phone.put(personal() + "call.ics", body, HTTP_IF_NONE_MATCH="*").status_code == 201
    assert not shown("call@phone").get("reminders")


@pytest.mark.parametrize("minutes, error", [("7", "choose one of"), ("soon", "a number of minutes")])
def test_a_reminder_the_page_does_not_offer_is_refused_in_one_line(owner_client, minutes, error):
    response = owner_client.post("/calendars/reminder/", {"calendar": default_calendar(), "minutes": minutes}, follow=True)
    assert error in response.content.decode()
    assert default_reminder(default_calendar()) is None


def test_only_a_calendar_of_ones_own_takes_a_default_reminder(owner_client):
    response = owner_client.post("/calendars/reminder/", {"calendar": "someone.else", "minutes": "10"}, follow=True)
    assert "No such calendar" in response.content.decode()
    with pytest.raises(own.CalendarRefused, match="calendar of your own"):
        set_default_reminder("", 10)
