"""events.ics.split: a big file is read in parts on every core, with exactly
the outcome of reading it whole: the same VEVENTs at the same positions, the
same notes, the same refusals."""

from __future__ import annotations

from datetime import date

import pytest

from events import worker_pool
from events.ics import split
from events.ics.grouping import read_vevents
from events.ics.importing import import_calendar
from events.ics.read import NotICalendar, read_calendar
from tests.test_ics_corpus import corpus_files

HEADER = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-TIMEZONE:Europe/Bucharest\r\n"
# A zone only this file defines, a task, and an alarm inside an event: parts must carry them all.
ZONE = (b"BEGIN:VTIMEZONE\r\nTZID:Office Time\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        b"TZOFFSETFROM:+0130\r\nTZOFFSETTO:+0130\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")
TASK = b"BEGIN:VTODO\r\nUID:task-1\r\nSUMMARY:a task\r\nEND:VTODO\r\n"


def vevent(n: int) -> bytes:
    """Events of every kind the reader tells apart, a few of them broken."""
    kind = n % 7
    lines = [b"BEGIN:VEVENT", b"UID:e-%d@test" % (n // 3), b"SUMMARY:event %d" % n, b"DTSTAMP:20260101T000000Z"]
    if kind == 0:
        lines += [b"DTSTART:20260105T090000Z", b"DURATION:PT1H", b"RRULE:FREQ=WEEKLY;COUNT=10"]
    elif kind == 1:
        lines += [b"RECURRENCE-ID:20260112T090000Z", b"DTSTART:20260112T110000Z", b"DTEND:20260112T120000Z"]
    elif kind == 2:
        lines += [b"DTSTART;TZID=Office Time:20260301T100000", b"DTEND;TZID=Office Time:20260301T110000",
                  b"BEGIN:VALARM", b"ACTION:DISPLAY", b"TRIGGER:-PT15M", b"DESCRIPTION:soon", b"END:VALARM"]
    elif kind == 3:
        lines = [b"BEGIN:VEVENT", b"SUMMARY:no uid %d" % n, b"DTSTART;VALUE=DATE:20260401"]
    elif kind == 4:
        lines += [b"DTSTART:2026-bad"]
    elif kind == 5:
        lines += [b"DTSTART:20260501T080000", b"DTEND:20260501T070000", b"LOCATION:floating, backwards"]
    else:
        lines += [b"DTSTART:20260601T080000Z", b"RRULE:FREQ=DAILY;UNTIL=20200101T000000Z"]
    return b"\r\n".join([*lines, b"END:VEVENT"]) + b"\r\n"


def big_file(count: int = 60) -> bytes:
    return HEADER + ZONE + b"".join(vevent(n) for n in range(count // 2)) + TASK + b"".join(
        vevent(n) for n in range(count // 2, count)) + b"END:VCALENDAR\r\n"


def whole(data: bytes):
    """What reading the file in this thread, whole, gives (or the refusal)."""
    try:
        parsed = read_calendar(data)
    except NotICalendar as e:
        return str(e)
    return parsed.notes, read_vevents(parsed.vevents, parsed.zones)


def in_parts(data: bytes):
    try:
        reading = split.read_file(data)
    except NotICalendar as e:
        return str(e)
    return reading.notes, reading.reads


@pytest.fixture
def every_file_split(monkeypatch):
    monkeypatch.setattr(split, "PARALLEL_MIN", 1)


def test_a_file_read_in_parts_reads_as_it_does_whole(every_file_split):
    data = big_file()
    parts = split.split(data, 4)
    assert parts is not None and len(parts) == 4
    assert sum(n for _, n in parts) == 60
    assert all(part.startswith(HEADER + ZONE) and part.endswith(b"END:VCALENDAR\r\n") for part, _ in parts)
    assert [TASK in part for part, _ in parts] == [True, False, False, False]  # noted once, as in the whole file
    expected = whole(data)
    assert in_parts(data) == expected
    assert worker_pool.running()
    notes, reads = expected
    assert [r.position for r in reads] == list(range(1, 61))
    assert any("VTODO" in note for note in notes)
    assert {r.problem is None for r in reads} == {True, False}  # both kinds crossed the process boundary


def test_every_corpus_file_reads_in_parts_as_it_does_whole(every_file_split):
    """Real files: Google's, Outlook's, broken ones, and several calendars in one."""
    differ = [path.name for path in corpus_files() if in_parts(data := path.read_bytes()) != whole(data)]
    assert differ == []


@pytest.mark.parametrize("data", [
    pytest.param(big_file() + HEADER + vevent(0) + b"END:VCALENDAR\r\n", id="two calendars"),
    pytest.param(big_file().replace(TASK, TASK + b"X-STRAY:between components\r\n"), id="text between components"),
    pytest.param(big_file().replace(b"END:VCALENDAR\r\n", b"X-LATE:after\r\nEND:VCALENDAR\r\n"), id="property after components"),
    pytest.param(big_file().replace(TASK, TASK.replace(b"END:VTODO", vevent(1) + b"END:VTODO")), id="a VEVENT inside a task"),
    pytest.param(big_file().replace(b"END:VALARM", b"END:VEVENT", 1), id="an END naming another component"),
    pytest.param(big_file()[:-30], id="cut off"),
    pytest.param(b"garbage\r\n" + big_file(), id="text before the calendar"),
    pytest.param(big_file().replace(b"\r\n", b"\r"), id="old Mac line ends"),
])
def test_a_file_that_is_not_plainly_one_calendar_of_components_is_read_whole(data, every_file_split):
    assert split.split(data, 4) is None
    assert in_parts(data) == whole(data)


def test_a_file_whose_header_and_time_zones_would_be_read_over_and_over_is_read_whole(every_file_split):
    """Each part repeats the header and every VTIMEZONE: a file that is mostly
    those would make the parts together many times the file."""
    zones = b"".join(ZONE.replace(b"Office Time", b"Zone %d" % n) for n in range(200))
    data = big_file().replace(ZONE, ZONE + zones)
    assert split.split(data, 12) is None
    assert in_parts(data) == whole(data)


def test_a_part_that_reads_otherwise_than_it_was_cut_sends_the_file_to_be_read_whole(every_file_split, monkeypatch):
    data = big_file()
    cut = split.split

    def miscounted(data: bytes, count: int):
        return [(part, n + 1) for part, n in cut(data, count)]

    monkeypatch.setattr(split, "split", miscounted)
    assert in_parts(data) == whole(data)


@pytest.mark.django_db(databases=["default", "index"])
def test_an_import_read_in_parts_reports_and_stores_what_a_whole_read_does(every_file_split, monkeypatch):
    from django.db import transaction

    from events.index.query import query

    def imported() -> tuple[dict, list]:
        with transaction.atomic(), transaction.atomic(using="index"):
            report = import_calendar(big_file(), source="big.ics").as_dict()
            shown = [(o.uid, o.recurrence_id, o.title, o.start, o.end) for o in query(date(2025, 1, 1), date(2027, 1, 1)).occurrences]
            transaction.set_rollback(True)
            transaction.set_rollback(True, using="index")
        return report, shown

    in_parts = imported()
    monkeypatch.setattr(split, "PARALLEL_MIN", 10**9)
    assert in_parts == imported()
    assert in_parts[0]["created"] > 0 and in_parts[0]["skipped"]
