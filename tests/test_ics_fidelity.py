"""iCalendar import of what real files hold that our events have no field
for: each file must give the occurrences `recurring_ical_events` finds in it."""

from datetime import date

import pytest
from django.db import transaction

from events import calendar
from events.ics import export, importing
from events.index.history import register_of
from events.routers import INDEX_DB
from tests.test_ics_corpus import occurrences

pytestmark = pytest.mark.django_db(databases=["default", "index"])

BERLIN_RULES = """BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
"""


def ics(*parts: str) -> bytes:
    body = "".join(p.strip() + "\n" for p in parts)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}END:VCALENDAR\n".replace("\n", "\r\n").encode()


def vevent(uid: str, *lines: str) -> str:
    return "\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250101T000000Z", *lines, "END:VEVENT"])


def shown(uid: str, rid: str | None = None) -> dict | None:
    register = register_of(uid, rid)
    return register.shown_event() if register is not None else None


def assert_same_occurrences(data: bytes) -> importing.ImportReport:
    report = importing.import_calendar(data)
    assert report.ok, report.error
    assert occurrences(export.export_calendar()) == occurrences(data), report.as_text()
    return report


def test_rdates_become_events_of_their_own_beside_the_series():
    data = ics(
        vevent(
            "club@example.com",
            "SUMMARY:Book club",
            "DTSTART;TZID=Europe/Berlin:20250106T190000",
            "DTEND;TZID=Europe/Berlin:20250106T200000",
            "RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=1MO",
            # an extra date, one the rule gives anyway, and a period with its own end
            "RDATE;TZID=Europe/Berlin:20250115T190000,20250203T190000",
            "RDATE;VALUE=PERIOD:20250220T180000Z/20250220T210000Z",
        )
    )
    report = assert_same_occurrences(data)
    assert report.created == 3
    extra = shown("club@example.com/rdate/20250115T190000")
    assert (extra["start"], extra["end"], extra["tz"], extra["rrule"]) == ("2025-01-15T19:00:00", "2025-01-15T20:00:00", "Europe/Berlin", None)
    period = shown("club@example.com/rdate/20250220T190000")
    assert (period["start"], period["end"]) == ("2025-02-20T19:00:00", "2025-02-20T22:00:00")
    assert shown("club@example.com/rdate/20250203T190000") is None
    assert importing.import_calendar(data).entries_written == 0


def test_an_event_with_rdates_and_no_rule_happens_on_each_of_them():
    data = ics(vevent("days@example.com", "SUMMARY:Open days", "DTSTART;VALUE=DATE:20250301", "RDATE;VALUE=DATE:20250405,20250510"))
    assert assert_same_occurrences(data).created == 3


def test_a_windows_zone_name_without_vtimezone_is_its_iana_zone():
    data = ics(vevent("w@example.com", "SUMMARY:Review", "DTSTART;TZID=W. Europe Standard Time:20250707T090000", "RRULE:FREQ=WEEKLY;COUNT=30"))
    assert_same_occurrences(data)
    assert shown("w@example.com")["tz"] == "Europe/Berlin"


def test_a_zone_is_found_in_another_case_or_with_a_trailing_space():
    data = ics(
        f"BEGIN:VTIMEZONE\nTZID:Office Time\n{BERLIN_RULES}END:VTIMEZONE",
        vevent("a@example.com", "SUMMARY:A", 'DTSTART;TZID="office time ":20250707T090000', "RRULE:FREQ=WEEKLY;COUNT=30"),
        vevent("b@example.com", "SUMMARY:B", "DTSTART;TZID=europe/paris:20250707T100000"),
    )
    report = importing.import_calendar(data)
    assert report.created == 2 and not report.skipped
    assert (shown("a@example.com")["tz"], shown("b@example.com")["tz"]) == ("Europe/Berlin", "Europe/Paris")
    # Weekly at 09:00 on both sides of the October change: the zone's rules came along.
    spelled_right = data.replace(b'"office time "', b"Office Time").replace(b"europe/paris", b"Europe/Paris")
    assert occurrences(export.export_calendar()) == occurrences(spelled_right)


def test_a_tzid_nothing_defines_is_read_as_floating_with_a_note():
    report = importing.import_calendar(ics(vevent("f@example.com", "SUMMARY:F", "DTSTART;TZID=Mars/Olympus_Mons:20250707T090000")))
    assert report.created == 1 and shown("f@example.com")["tz"] is None
    assert any("Mars/Olympus_Mons" in n and "floating" in n for n in report.notes)


@pytest.mark.parametrize("order", ["older first", "newer first"])
def test_of_two_copies_of_one_event_the_newest_is_kept(order):
    old = vevent("two@example.com", "SEQUENCE:1", "SUMMARY:Old", "DTSTART:20250707T090000Z")
    new = vevent("two@example.com", "SEQUENCE:2", "SUMMARY:New", "DTSTART:20250708T090000Z")
    report = importing.import_calendar(ics(old, new) if order == "older first" else ics(new, old))
    assert shown("two@example.com")["title"] == "New" and not report.skipped
    assert any("the newer" in n for n in report.notes)


def test_with_equal_sequences_last_modified_then_dtstamp_decide():
    a = vevent("lm@example.com", "LAST-MODIFIED:20250301T000000Z", "SUMMARY:Later", "DTSTART:20250707T090000Z")
    b = vevent("lm@example.com", "LAST-MODIFIED:20250201T000000Z", "SUMMARY:Earlier", "DTSTART:20250707T090000Z")
    importing.import_calendar(ics(a, b))
    assert shown("lm@example.com")["title"] == "Later"


def test_an_empty_rrule_leaves_an_event_that_happens_once():
    report = importing.import_calendar(ics(vevent("e@example.com", "SUMMARY:Holiday", "DTSTART;VALUE=DATE:20250101", "RRULE:")))
    assert report.created == 1 and shown("e@example.com")["rrule"] is None
    assert any("empty RRULE" in n for n in report.notes)


def test_this_and_future_changes_every_later_occurrence():
    data = ics(
        vevent(
            "tf@example.com",
            "SUMMARY:Standup",
            "DTSTART;TZID=Europe/Berlin:20250303T090000",
            "DTEND;TZID=Europe/Berlin:20250303T091500",
            "RRULE:FREQ=WEEKLY;COUNT=10",
            "EXDATE;TZID=Europe/Berlin:20250414T090000",
        ),
        vevent(
            "tf@example.com",
            "SUMMARY:Standup (later)",
            "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20250317T090000",
            "DTSTART;TZID=Europe/Berlin:20250317T100000",
            "DTEND;TZID=Europe/Berlin:20250317T101500",
        ),
    )
    assert_same_occurrences(data)
    later = shown("tf@example.com/from/20250317T080000Z")
    assert (later["start"], later["exdates"]) == ("2025-03-17T10:00:00", ["2025-04-14T10:00:00"])
    assert (later["rrule"], shown("tf@example.com")["rrule"]) == ("FREQ=WEEKLY;COUNT=8", "FREQ=WEEKLY;UNTIL=20250317T085959")


def test_a_date_exdate_on_a_timed_series_removes_that_days_occurrence():
    data = ics(
        vevent("x@example.com", "SUMMARY:Gym", "DTSTART;TZID=Europe/Berlin:20250707T180000", "RRULE:FREQ=DAILY;COUNT=5", "EXDATE;VALUE=DATE:20250709")
    )
    assert_same_occurrences(data)
    assert shown("x@example.com")["exdates"] == ["2025-07-09T18:00:00"]


def test_a_malformed_line_does_not_drop_its_event():
    data = ics(vevent("m@example.com", "SUMMARY:Apple", "DTSTART:20150905T090000Z", "X-APPLE-RADIUS=49.9"))
    report = importing.import_calendar(data)
    assert report.created == 1 and not report.skipped


def test_tasks_and_journal_entries_are_named_in_the_report():
    data = ics(
        "BEGIN:VTODO\nUID:t1\nDTSTAMP:20250101T000000Z\nSUMMARY:Buy milk\nEND:VTODO",
        "BEGIN:VJOURNAL\nUID:j1\nDTSTAMP:20250101T000000Z\nSUMMARY:Notes\nEND:VJOURNAL",
    )
    text = importing.import_calendar(data).as_text()
    assert "1 VTODO (task) component(s) were not imported" in text and "1 VJOURNAL (journal entry)" in text


def test_a_bare_vevent_without_vcalendar_is_read():
    report = importing.import_calendar(b"BEGIN:VEVENT\r\nUID:bare\r\nDTSTART;VALUE=DATE:20250101\r\nSUMMARY:Bare\r\nEND:VEVENT\r\n")
    assert report.created == 1 and any("without a VCALENDAR" in n for n in report.notes)


def test_an_end_before_the_start_is_read_as_the_span_between_them():
    data = ics(vevent("swap@example.com", "SUMMARY:Swap", "DTSTART:20231218T224500Z", "DTEND:20231218T223000Z"))
    importing.import_calendar(data)
    assert (shown("swap@example.com")["start"], shown("swap@example.com")["end"]) == ("2023-12-18T22:30:00", "2023-12-18T22:45:00")


def _without_stamps(body: bytes) -> list[bytes]:
    """The export's lines but the times its entries were written."""
    return [line for line in body.split(b"\r\n") if not line.startswith((b"DTSTAMP:", b"LAST-MODIFIED:"))]


def test_a_cancelled_occurrence_stays_cancelled_after_export_and_import():
    with transaction.atomic(using=INDEX_DB), transaction.atomic():
        calendar.create_event(
            title="yoga", start="2025-05-05T18:00:00", end="2025-05-05T19:00:00", tz="Europe/Berlin", rrule="FREQ=WEEKLY;COUNT=6", uid="yoga", exdates=["2025-05-19T18:00:00"]
        )
        calendar.cancel_occurrence("yoga", "2025-05-12T18:00:00")
        body = export.export_calendar()
        transaction.set_rollback(True)
        transaction.set_rollback(True, using=INDEX_DB)
    assert register_of("yoga") is None  # an empty calendar again
    report = importing.import_calendar(body)
    assert (report.created, report.occurrences_cancelled) == (1, 1)
    assert register_of("yoga", "2025-05-12T18:00:00").deleted
    assert shown("yoga")["exdates"] == ["2025-05-19T18:00:00"]
    assert _without_stamps(export.export_calendar()) == _without_stamps(body)
    assert importing.import_calendar(body).entries_written == 0


def test_a_cancellation_marker_whose_exdate_another_client_removed_is_ignored():
    with transaction.atomic(using=INDEX_DB), transaction.atomic():
        calendar.create_event(title="run", start="2025-05-05", end="2025-05-06", all_day=True, rrule="FREQ=DAILY;COUNT=3", uid="run")
        calendar.cancel_occurrence("run", "2025-05-06")
        body = export.export_calendar()
        transaction.set_rollback(True)
        transaction.set_rollback(True, using=INDEX_DB)
    edited = body.replace(b"EXDATE;VALUE=DATE:20250506\r\n", b"")
    assert edited != body
    importing.import_calendar(edited)
    assert register_of("run", "2025-05-06") is None
    assert [o[0][1] for o in occurrences(export.export_calendar())] == [date(2025, 5, 5), date(2025, 5, 6), date(2025, 5, 7)]


def test_each_rrule_after_the_first_becomes_a_series_of_its_own():
    data = ics(
        vevent(
            "two-rules@example.com",
            "SUMMARY:Clinic",
            "DTSTART;TZID=Europe/London:20230112T100000",
            "DTEND;TZID=Europe/London:20230112T120000",
            "RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=20",
            "RRULE:FREQ=MONTHLY;BYDAY=2MO;COUNT=2",
        )
    )
    assert assert_same_occurrences(data).created == 2
    assert shown("two-rules@example.com/rrule/2")["rrule"] == "FREQ=MONTHLY;COUNT=2;BYDAY=2MO"
