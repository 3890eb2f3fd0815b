"""iCalendar export: an independent parser (recurring_ical_events) must find
in our export exactly the occurrences our own index finds."""

from datetime import UTC, date, datetime

import pytest
import recurring_ical_events
from icalendar import Calendar

from devtools.feeds import FeedWriter
from events import calendar, log
from events.ics import export
from events.index.fold import catch_up, rebuild
from events.index.history import register_of
from events.index.query import query

pytestmark = pytest.mark.django_db(databases=["default", "index"])

WINDOW = (date(2025, 1, 1), date(2027, 1, 1))


class Peer(FeedWriter):
    """Another instance writing its own feed, delivered with log.receive."""

    def write(self, body, *, time, links=()):
        entry = super().write(body, time=time, links=links)
        assert [o.result for o in log.receive([entry])] == ["stored"]
        catch_up()
        return entry


def timed(title, start, end, tz, **more):
    return {"title": title, "start": start, "end": end, "tz": tz, "all_day": False, **more}


def make_every_kind():
    """A calendar with every kind of event the export has to carry."""
    c = calendar.create_event
    c(timed("dentist", "2025-05-02T09:00:00", "2025-05-02T10:00:00", "Europe/Bucharest"), uid="single")
    c(title="holiday", start="2025-07-04", end="2025-07-05", all_day=True, uid="allday")
    c(title="trip", start="2025-08-10", end="2025-08-14", all_day=True, uid="multiday")
    c(timed("wake up", "2025-06-01T07:00:00", "2025-06-01T07:30:00", None), uid="floating")
    c(timed("stretch", "2025-06-01T06:30:00", "2025-06-01T06:45:00", None, rrule="FREQ=DAILY;COUNT=5"), uid="floating-daily")
    c(
        timed("lunch", "2025-03-04T12:00:00", "2025-03-04T13:00:00", "Europe/Bucharest", rrule="FREQ=WEEKLY;BYDAY=TU,TH"),
        uid="weekly-dst",
    )
    c(
        timed("board", "2025-01-02T18:00:00", "2025-01-02T19:30:00", "America/New_York", rrule="FREQ=MONTHLY;BYDAY=1TH"),
        uid="monthly-1th",
    )
    c(title="birthday", start="2025-02-14", end="2025-02-15", all_day=True, rrule="FREQ=YEARLY", uid="yearly")
    c(
        timed("course", "2025-03-01T10:00:00", "2025-03-01T12:00:00", "America/New_York", rrule="FREQ=WEEKLY;UNTIL=20250510T100000"),
        uid="until-local",
    )
    c(
        timed("sprint", "2025-10-20T09:00:00", "2025-10-20T09:15:00", "Europe/Bucharest", rrule="FREQ=DAILY;UNTIL=20251105T070000Z"),
        uid="until-utc",
    )
    c(
        timed("physio", "2025-10-01T08:00:00", "2025-10-01T09:00:00", "America/New_York", rrule="FREQ=WEEKLY;COUNT=10"),
        uid="count",
    )
    c(
        timed(
            "standup",
            "2025-01-06T09:00:00",
            "2025-01-06T09:15:00",
            "Europe/Bucharest",
            rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=40",
            exdates=["2025-01-08T09:00:00", "2025-01-10T09:00:00"],
        ),
        uid="exdates",
    )
    c(title="plants", start="2025-04-01", end="2025-04-02", all_day=True, rrule="FREQ=WEEKLY;COUNT=8", exdates=["2025-04-08"], uid="allday-weekly")
    c(
        timed("review", "2025-02-03T15:00:00", "2025-02-03T16:00:00", "Europe/Bucharest", rrule="FREQ=WEEKLY;COUNT=12"),
        uid="overridden",
    )
    calendar.edit_occurrence("overridden", "2025-02-10T15:00:00", start="2025-02-11T10:00:00", end="2025-02-11T11:30:00", title="review (moved)")
    calendar.edit_occurrence("overridden", "2025-02-24T15:00:00", start="2025-02-24T18:00:00", end="2025-02-24T19:00:00", tz="America/New_York")
    calendar.cancel_occurrence("overridden", "2025-03-03T15:00:00")
    calendar.cancel_occurrence("allday-weekly", "2025-04-15")
    calendar.cancel_occurrence("floating-daily", "2025-06-03T06:30:00")
    gone = c(timed("deleted", "2025-05-05T09:00:00", "2025-05-05T10:00:00", "UTC"))
    calendar.delete_event(gone.uid)
    # A conflict: another instance edited the same event without seeing our edit. The event is
    # in the legacy calendar, which every peer may write (Personal is ours alone).
    made = c(timed("planning", "2025-09-01T10:00:00", "2025-09-01T11:00:00", "Europe/Bucharest"), uid="conflict", calendar="")
    calendar.edit_series("conflict", title="planning (room 1)")
    peer = Peer()
    peer.write(
        {
            "type": "event.put",
            "uid": "conflict",
            "recurrence_id": None,
            "event": {**made.event, "title": "planning (room 2)", "start": "2025-09-01T14:00:00", "end": "2025-09-01T15:00:00"},
        },
        time=made.entry.time + 10**9,
        links=[made.entry.hash],
    )


def _normal(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating: our UTC query shows it at its wall time in UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    return value


def oracle_occurrences(body: bytes):
    cal = Calendar.from_ical(body)
    found = recurring_ical_events.of(cal).between(WINDOW[0], WINDOW[1])
    return sorted(
        (str(e["UID"]), _normal(e.decoded("DTSTART")), _normal(e.decoded("DTEND") if "DTEND" in e else e.decoded("DTSTART")), str(e["SUMMARY"]))
        for e in found
    )


def our_occurrences():
    result = query(WINDOW[0], WINDOW[1], "UTC", limit=5000)
    assert not result.truncated
    return sorted((o.uid, _normal(o.start), _normal(o.end), o.title) for o in result.occurrences)


def test_an_independent_parser_finds_exactly_our_occurrences():
    make_every_kind()
    body = export.export_calendar()
    theirs, ours = oracle_occurrences(body), our_occurrences()
    assert len(ours) > 150
    assert theirs == ours
    uids = {o[0] for o in ours}
    assert "SUMMARY:deleted" not in body.decode() and len(uids) == 15


def test_conflicts_export_the_primary_value():
    make_every_kind()
    cal = Calendar.from_ical(export.export_calendar())
    [event] = [e for e in cal.walk("VEVENT") if e["UID"] == "conflict"]
    assert register_of("conflict").conflict
    assert str(event["SUMMARY"]) == "planning (room 2)"  # the head with the greatest (time, hash)
    assert event.decoded("DTSTART").hour == 14


def test_it_writes_every_property_the_event_has():
    make_every_kind()
    cal = Calendar.from_ical(export.export_calendar())
    by_uid = {}
    for e in cal.walk("VEVENT"):
        by_uid.setdefault(str(e["UID"]), []).append(e)
    [single] = by_uid["single"]
    assert single["DTSTART"].params["TZID"] == "Europe/Bucharest"
    assert single.decoded("DTSTART") == datetime(2025, 5, 2, 9, 0).replace(tzinfo=single.decoded("DTSTART").tzinfo)
    [allday] = by_uid["allday"]
    assert allday.decoded("DTSTART") == date(2025, 7, 4) and allday.decoded("DTEND") == date(2025, 7, 5)
    [floating] = by_uid["floating"]
    assert "TZID" not in floating["DTSTART"].params and floating.decoded("DTSTART").tzinfo is None
    series, moved, other_zone = by_uid["overridden"]
    assert series["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=12"
    assert [d.dt.replace(tzinfo=None) for d in series["EXDATE"].dts] == [datetime(2025, 3, 3, 15)]
    assert moved.decoded("RECURRENCE-ID").replace(tzinfo=None) == datetime(2025, 2, 10, 15)
    assert moved["RECURRENCE-ID"].params["TZID"] == "Europe/Bucharest"
    assert other_zone["DTSTART"].params["TZID"] == "America/New_York"
    [exd] = by_uid["exdates"]
    assert sorted(d.dt.day for d in exd["EXDATE"].dts) == [8, 10]
    [until] = by_uid["until-local"]
    assert until["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20250510T140000Z"  # 10:00 EDT, in UTC as RFC 5545 asks
    # SEQUENCE counts revisions from the history: created, then two edits by two writers.
    assert by_uid["conflict"][0]["SEQUENCE"] == 2
    assert by_uid["overridden"][0]["SEQUENCE"] == 1  # one cancelled occurrence
    assert {tz.tz_name for tz in cal.timezones} == {"Europe/Bucharest", "America/New_York"}
    assert cal.get_missing_tzids() == set()


def test_stamps_come_from_the_log_so_the_same_log_gives_the_same_bytes():
    made = calendar.create_event(timed("dentist", "2025-05-02T09:00:00", "2025-05-02T10:00:00", "Europe/Bucharest"))
    first = export.export_calendar()
    assert export.export_calendar() == first
    [event] = Calendar.from_ical(first).walk("VEVENT")
    assert event.decoded("DTSTAMP") == datetime.fromtimestamp(made.entry.time // 1000, UTC)
    assert event.decoded("LAST-MODIFIED") == event.decoded("DTSTAMP")
    rebuild()
    assert export.export_calendar() == first


def test_a_title_cannot_inject_lines_or_components():
    title = "lunch\r\nBEGIN:VALARM\r\nACTION:AUDIO\r\nEND:VALARM\nDTSTART:19990101T000000Z;x,y"
    made = calendar.create_event(timed(title, "2025-05-02T09:00:00", "2025-05-02T10:00:00", "UTC"), location="a\rb")
    body = export.export_calendar()
    lines = body.decode().split("\r\n")
    assert not any(line.startswith(("BEGIN:VALARM", "ACTION:", "END:VALARM")) for line in lines)
    assert sum(line.startswith("DTSTART") for line in lines) == 1
    cal = Calendar.from_ical(body)
    [event] = cal.walk("VEVENT")
    assert not event.subcomponents and list(cal.walk("VALARM")) == []
    assert str(event["SUMMARY"]) == title.replace("\r\n", "\n")
    assert export.export_event(made.uid).count(b"BEGIN:VEVENT") == 1


def test_one_event_alone():
    make_every_kind()
    body = export.export_event("overridden")
    cal = Calendar.from_ical(body)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == ["overridden"] * 3
    assert [tz.tz_name for tz in cal.timezones] == ["America/New_York", "Europe/Bucharest"]
    assert export.export_event("no-such-uid") is None
    assert export.export_event("single") is not None


def test_an_empty_calendar_is_a_valid_file():
    cal = Calendar.from_ical(export.export_calendar())
    assert cal["VERSION"] == "2.0" and list(cal.walk("VEVENT")) == []


def test_a_rule_written_in_lower_case_by_another_writer_exports():
    calendar.create_event(timed("yoga", "2025-03-04T18:00:00", "2025-03-04T19:00:00", "Europe/Bucharest", rrule="freq=weekly;until=20250401t000000z"), uid="lower")
    [event] = Calendar.from_ical(export.export_calendar()).walk("VEVENT")
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20250401T000000Z"
    assert oracle_occurrences(export.export_calendar()) == our_occurrences()
