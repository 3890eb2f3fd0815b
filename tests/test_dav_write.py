"""CalDAV PUT and DELETE: ordinary calendar operations, preconditions, and what is refused."""

from datetime import date

import pytest
from icalendar import Calendar

from dav import passwords
from devtools.dav_client import DavClient, personal
from events import calendar, log, throttle
from events.index.history import register_of
from events.index.query import query

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def personal_calendar(db):
    """A new instance has its Personal calendar (events.setup makes it on first start)."""
    from events.calendars import own

    own.ensure_own_entries()



def ics(*vevents: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{v.strip()}\r\nEND:VEVENT\r\n" for v in vevents)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


STANDUP = """UID:standup@phone
DTSTAMP:20261101T090000Z
DTSTART;TZID=Europe/Berlin:20261102T093000
DTEND;TZID=Europe/Berlin:20261102T094500
RRULE:FREQ=DAILY;COUNT=5
SUMMARY:Standup
X-MOZ-GENERATION:1
TRANSP:OPAQUE"""


@pytest.fixture
def phone(owner):
    throttle.reset()
    passwords.forget()
    return DavClient(passwords.create("Phone").password)


def occurrences(day_from=date(2026, 11, 1), day_to=date(2026, 11, 10)):
    return [
        (o.uid, o.title, o.start.isoformat())
        for o in query(day_from, day_to, "Europe/Berlin").occurrences
    ]


def test_a_put_creates_a_signed_series_that_the_calendar_shows(phone):
    before = log.last_arrival()
    response = phone.put(personal() + "standup.ics", ics(STANDUP), HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 201 and "ETag" not in response
    assert log.last_arrival() == before + 1
    assert len(occurrences()) == 5 and occurrences()[0] == (
        "standup@phone",
        "Standup",
        "2026-11-02T09:30:00+01:00",
    )
    body = phone.get(personal() + "standup.ics")
    [event] = Calendar.from_ical(body.content).walk("VEVENT")
    assert (
        str(event["X-MOZ-GENERATION"]) == "1" and str(event["TRANSP"]) == "OPAQUE"
    )  # kept, not dropped


def test_if_none_match_star_refuses_to_overwrite(phone):
    phone.put(personal() + "standup.ics", ics(STANDUP))
    assert (
        phone.put(personal() + "standup.ics", ics(STANDUP), HTTP_IF_NONE_MATCH="*").status_code == 412
    )


def test_if_match_guards_an_edit(phone):
    phone.put(personal() + "standup.ics", ics(STANDUP))
    etag = phone.get(personal() + "standup.ics")["ETag"]
    renamed = ics(STANDUP.replace("SUMMARY:Standup", "SUMMARY:Daily"))
    assert phone.put(personal() + "standup.ics", renamed, HTTP_IF_MATCH='"old"').status_code == 412
    assert phone.put(personal() + "standup.ics", renamed, HTTP_IF_MATCH=etag).status_code == 204
    assert {t for _, t, _ in occurrences()} == {"Daily"}
    assert phone.get(personal() + "standup.ics")["ETag"] != etag


def test_moving_one_occurrence_writes_an_override(phone):
    phone.put(personal() + "standup.ics", ics(STANDUP))
    moved = """UID:standup@phone
DTSTAMP:20261101T090000Z
RECURRENCE-ID;TZID=Europe/Berlin:20261104T093000
DTSTART;TZID=Europe/Berlin:20261104T110000
DTEND;TZID=Europe/Berlin:20261104T111500
SUMMARY:Standup (late)"""
    assert phone.put(personal() + "standup.ics", ics(STANDUP, moved)).status_code == 204
    register = register_of("standup@phone", "2026-11-04T09:30:00")
    assert register is not None and register.shown_event()["title"] == "Standup (late)"
    assert ("standup@phone", "Standup (late)", "2026-11-04T11:00:00+01:00") in occurrences()
    assert len(occurrences()) == 5


def test_a_new_exdate_cancels_the_occurrence_as_the_page_does(phone):
    phone.put(personal() + "standup.ics", ics(STANDUP))
    without = STANDUP + "\r\nEXDATE;TZID=Europe/Berlin:20261103T093000"
    assert phone.put(personal() + "standup.ics", ics(without)).status_code == 204
    register = register_of("standup@phone", "2026-11-03T09:30:00")
    assert register is not None and register.deleted
    assert len(occurrences()) == 4
    body = Calendar.from_ical(phone.get(personal() + "standup.ics").content)
    assert [e.get("EXDATE") is not None for e in body.walk("VEVENT")] == [True]


def test_delete_writes_a_delete_entry(phone):
    phone.put(personal() + "standup.ics", ics(STANDUP))
    etag = phone.get(personal() + "standup.ics")["ETag"]
    assert phone.delete(personal() + "standup.ics", HTTP_IF_MATCH='"stale"').status_code == 412
    assert phone.delete(personal() + "standup.ics", HTTP_IF_MATCH=etag).status_code == 204
    assert register_of("standup@phone", None).deleted and occurrences() == []
    assert phone.get(personal() + "standup.ics").status_code == 404
    assert phone.delete(personal() + "standup.ics").status_code == 404


def test_an_event_made_on_the_page_is_edited_and_deleted_over_dav(phone):
    made = calendar.create_event(
        title="dentist", start="2026-11-05T15:00:00", end="2026-11-05T16:00:00", tz="Europe/Berlin"
    )
    from dav.changes import default_name

    href = personal() + default_name(made.uid)
    body = phone.get(href).content.decode().replace("SUMMARY:dentist", "SUMMARY:dentist (moved)")
    assert phone.put(href, body).status_code == 204
    assert register_of(made.uid, None).shown_event()["title"] == "dentist (moved)"
    assert phone.delete(href).status_code == 204


def test_the_same_uid_under_a_second_name_is_refused(phone):
    phone.put(personal() + "standup.ics", ics(STANDUP))
    response = phone.put(personal() + "other.ics", ics(STANDUP))
    assert response.status_code == 403 and b"no-uid-conflict" in response.content


@pytest.mark.parametrize(
    "extra, why",
    [
        ("ATTENDEE:mailto:a@example.com", b"ATTENDEE"),
        ("ORGANIZER:mailto:a@example.com", b"ORGANIZER"),
        ("RDATE;TZID=Europe/Berlin:20261120T093000", b"RDATE"),
        (
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nDESCRIPTION:x\r\nEND:VALARM",
            b"VALARM",
        ),
    ],
)
def test_what_cannot_be_kept_is_refused_with_a_dav_error(phone, extra, why):
    response = phone.put(personal() + "standup.ics", ics(f"{STANDUP}\r\n{extra}"))
    assert response.status_code == 403 and why in response.content
    assert b"<d:error" in response.content and b"valid-calendar-object-resource" in response.content
    assert occurrences() == []


def test_a_todo_is_refused(phone):
    todo = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t\r\nSUMMARY:milk\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    response = phone.put(personal() + "todo.ics", todo)
    assert response.status_code == 403 and b"supported-calendar-component" in response.content


def test_not_icalendar_is_refused(phone):
    response = phone.put(personal() + "x.ics", "hello")
    assert response.status_code == 403 and b"valid-calendar-data" in response.content


def test_a_title_too_long_to_keep_is_refused_not_shortened(phone):
    response = phone.put(
        personal() + "standup.ics", ics(STANDUP.replace("SUMMARY:Standup", "SUMMARY:" + "x" * 501))
    )
    assert response.status_code == 403 and b"at most 500 characters" in response.content


def test_an_override_with_its_own_rule_is_refused(phone):
    moved = "UID:standup@phone\r\nRECURRENCE-ID;TZID=Europe/Berlin:20261104T093000\r\nDTSTART;TZID=Europe/Berlin:20261104T110000\r\nRRULE:FREQ=DAILY\r\nSUMMARY:x"
    response = phone.put(personal() + "standup.ics", ics(STANDUP, moved))
    assert response.status_code == 403 and b"cannot have its own RRULE" in response.content
