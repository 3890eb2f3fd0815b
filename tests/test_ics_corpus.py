"""Real-world .ics files (tests/data/ics/corpus, see its ORIGINS.md) give the
same occurrences after import and export as `recurring_ical_events` gives for
the original file.

Each file is imported into an empty calendar (a savepoint rolled back after
the file), exported, and both files are expanded by `recurring_ical_events`
over a fixed window. An occurrence is its start, its end and its title, times
in UTC (floating times and dates as they are), so a zone mapped wrongly, a
date left out or an override lost all show. The share of files that match
must stay at or above PASS_SHARE; the files that cannot match are listed, with
the reason, in NOT_COMPARABLE.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import recurring_ical_events
from django.db import transaction
from icalendar import Calendar
from icalendar.timezone import tzp

from events.ics import export
from events.ics.importing import import_calendar
from events.ics.write import UNTITLED
from events.routers import INDEX_DB

pytestmark = pytest.mark.django_db(databases=["default", "index"])

CORPUS = Path(__file__).resolve().parent / "data" / "ics" / "corpus"
WINDOW = (date(1990, 1, 1), date(2031, 1, 1))
PASS_SHARE = 0.97
MAX_TITLE = 500

# Files whose occurrences cannot be the same, and why. Paths are relative to CORPUS.
NOT_COMPARABLE: dict[str, str] = {
    'icalendar/alarms/example.ics': 'holds no VEVENT',
    'icalendar/alarms/rfc_5545_absolute_alarm_example.ics': 'holds no VEVENT',
    'icalendar/alarms/rfc_5545_end.ics': 'holds no VEVENT',
    'icalendar/alarms/start_date.ics': 'holds no VEVENT',
    'icalendar/availabilities/rfc_7953_1.ics': 'holds no VEVENT (AVAILABLE, VAVAILABILITY only)',
    'icalendar/availabilities/rfc_7953_2.ics': 'holds no VEVENT (AVAILABLE, VAVAILABILITY only)',
    'icalendar/calendars/bom_calendar.ics': 'holds no VEVENT',
    'icalendar/calendars/broken_dtstart.ics': "recurring_ical_events cannot read it (BrokenCalendarProperty: Cannot access 'dt' on broken property 'DTSTART' (expected 'v)",
    'icalendar/calendars/calendar_with_unicode.ics': 'holds no VEVENT',
    'icalendar/calendars/empty.ics': 'holds no VEVENT',
    'icalendar/calendars/empty_RDATE.ics': 'holds no VEVENT',
    'icalendar/calendars/fuzz_testcase_0_char_in_component_name.ics': 'holds no VEVENT',
    'icalendar/calendars/fuzz_testcase_invalid_month.ics': "recurring_ical_events cannot read it (ValueError: Invalid month: '')",
    'icalendar/calendars/fuzz_testcase_vtimezone_lone_cr.ics': 'recurring_ical_events cannot read it (ValueError: not enough values to unpack (expected 2, got 1))',
    'icalendar/calendars/invalid_duration.ics': "recurring_ical_events cannot read it (BrokenCalendarProperty: Cannot access 'dt' on broken property 'DURATION' (expected ')",
    'icalendar/calendars/issue_104_broken_calendar.ics': "recurring_ical_events cannot read it (ValueError: Content line could not be parsed into parts: 'X': Invalid co)",
    'icalendar/calendars/issue_1050_empty_calendar.ics': 'holds no VEVENT',
    'icalendar/calendars/issue_1050_timezone_only_calendar.ics': 'holds no VEVENT',
    'icalendar/calendars/issue_1081_freebusy_comma_separated.ics': 'holds no VEVENT (VFREEBUSY only)',
    'icalendar/calendars/issue_1081_invalid_rrule_freq.ics': 'recurring_ical_events cannot read it (BadRuleStringFormat: UNTIL parameter is missing: FREQ=INVALID_TYPE_CAUSES_ERROR)',
    'icalendar/calendars/issue_1081_invalid_start_and_end.ics': "recurring_ical_events cannot read it (BrokenCalendarProperty: Cannot access 'dt' on broken property 'DTSTART' (expected 'v)",
    'icalendar/calendars/issue_1081_invalid_start_valid_end.ics': "recurring_ical_events cannot read it (BrokenCalendarProperty: Cannot access 'dt' on broken property 'DTSTART' (expected 'v)",
    'icalendar/calendars/issue_1238.ics': 'holds no VEVENT',
    'icalendar/calendars/issue_1633_freebusy_with_dates.ics': 'holds no VEVENT (VFREEBUSY only)',
    'icalendar/calendars/issue_165_missing_event.ics': 'recurring_ical_events cannot read it (BadRuleStringFormat: UNTIL parameter has a bad format: FREQ=DAILY\\;UNTIL=20150722)',
    'icalendar/calendars/issue_178_component_with_invalid_name_represented.ics': 'holds no VEVENT (MYCOMP only)',
    'icalendar/calendars/issue_178_custom_component_inside_other.ics': 'holds no VEVENT (UNKNOWN only)',
    'icalendar/calendars/issue_27_multiple_periods_in_freebusy_multiple_freebusies.ics': 'holds no VEVENT (VFREEBUSY only)',
    'icalendar/calendars/issue_27_multiple_periods_in_freebusy_one_freebusy.ics': 'holds no VEVENT (VFREEBUSY only)',
    'icalendar/calendars/issue_798_freebusy.ics': 'holds no VEVENT (VFREEBUSY only)',
    'icalendar/calendars/multiple_timezones.ics': "recurring_ical_events cannot read it (TypeError: '<' not supported between instances of 'datetime.datetime' a)",
    'icalendar/calendars/parsing_error.ics': "recurring_ical_events cannot read it (BrokenCalendarProperty: Cannot access 'dts' on broken property 'EXDATE' (expected 'v)",
    'icalendar/calendars/parsing_error_in_UTC_offset.ics': 'recurring_ical_events cannot read it (ValueError: Offset must be less than 24 hours, was +5744)',
    'icalendar/calendars/rfc_7265_example_1.ics': 'holds no VEVENT',
    'icalendar/calendars/rfc_7529.ics': 'recurring_ical_events cannot read it (BadRuleStringFormat: UNTIL parameter is missing: RSCALE=CHINESE;FREQ=YEARLY)',
    'icalendar/calendars/rfc_7953_3.ics': 'holds no VEVENT (AVAILABLE, VAVAILABILITY only)',
    'icalendar/calendars/rfc_7986_properties.ics': 'holds no VEVENT',
    'icalendar/calendars/time.ics': 'holds no VEVENT',
    'icalendar/events/event_with_recurrence.ics': 'floating DTSTART with UTC EXDATEs: recurring_ical_events turns every occurrence into UTC',
    'icalendar/events/issue_464_invalid_rdate.ics': "recurring_ical_events cannot read it (BrokenCalendarProperty: Cannot access 'dts' on broken property 'RDATE' (expected 'vD)",
    'icalendar/freebusy/example.ics': 'holds no VEVENT (VFREEBUSY only)',
    'icalendar/journals/example.ics': 'holds no VEVENT (VJOURNAL only)',
    'icalendar/timezones/issue_237_brazilia_standard.ics': 'holds no VEVENT',
    'icalendar/timezones/issue_53_tzid_parsed_properly.ics': 'holds no VEVENT',
    'icalendar/timezones/issue_55_parse_error_on_utc_offset_with_seconds.ics': 'holds no VEVENT',
    'icalendar/timezones/pacific_fiji.ics': 'holds no VEVENT',
    'icalendar/todos/example.ics': 'holds no VEVENT (VTODO only)',
    'khal/event_dtr_no_tz_exdatez.ics': 'DTSTART in a zone nothing defines (read as floating) with UTC EXDATEs: recurring_ical_events turns every occurrence into UTC',
    'khal/invalid_tzoffset.ics': 'recurring_ical_events cannot read it (ValueError: Offset must be less than 24 hours, was +5328)',
    'khal/non_dst_error.ics': 'recurring_ical_events cannot read it (InvalidCalendar: Invalid iCalendar duration: PT-2H)',
    'khal/tz_windows_format.ics': "its VTIMEZONE named 'New Zealand Standard Time' has Central European offsets; the Windows name is read as Pacific/Auckland",
    'recurring-ical-events/bad_rrule_missing_until_event.ics': 'recurring_ical_events cannot read it (BadRuleStringFormat: UNTIL parameter is missing: FREQ=WEEKLY;BYDAY=TH;WKST=SU;UNT)',
    'recurring-ical-events/issue_201_mixed_datetime_and_date.ics': 'DATE start with a date-time end (RFC 5545 3.8.2.2 forbids): read as all-day, recurring_ical_events makes it timed from midnight',
    'recurring-ical-events/issue_201_test_matrix.ics': 'DATE starts with date-time ends or hour durations (RFC 5545 3.8.2.2 forbids): read as all-day, recurring_ical_events makes them timed',
    'recurring-ical-events/issue_97_simple_journal.ics': 'holds no VEVENT (VJOURNAL only)',
    'recurring-ical-events/issue_97_simple_todo.ics': 'holds no VEVENT (VTODO only)',
    'recurring-ical-events/issue_97_todo_nodtstart.ics': 'holds no VEVENT (VTODO only)',
    'recurring-ical-events/no_events.ics': 'holds no VEVENT',
}


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.ics"))


def _instant(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return ("floating", value.replace(microsecond=0))
        return ("utc", value.astimezone(UTC).replace(tzinfo=None, microsecond=0))
    return ("date", value)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _title(component) -> str:
    text = str(component.get("SUMMARY") or "")
    text = " ".join(_CONTROL.sub("", text).split())
    return (text or UNTITLED)[: MAX_TITLE - 1]


def _has_start(component) -> bool:
    return component.name != "VEVENT" or isinstance(getattr(component.get("DTSTART"), "dt", None), date)


def _drop_startless(component) -> None:
    """A VEVENT without a readable DTSTART has no occurrence (RFC 5545
    3.6.1 requires one); recurring_ical_events would fail the whole file."""
    component.subcomponents = [c for c in component.subcomponents if _has_start(c)]
    for child in component.subcomponents:
        _drop_startless(child)


def _as_calendar(component) -> Calendar:
    """A file holding a bare VEVENT (no VCALENDAR) is read as a calendar of it."""
    if component.name == "VCALENDAR":
        return component
    cal = Calendar()
    cal.add_component(component)
    return cal


def occurrences(body: bytes) -> Counter:
    """The VEVENT occurrences `recurring_ical_events` finds in WINDOW, as a
    multiset of (start, end, title); cancelled ones are not occurrences.
    An all-day occurrence ending on its start date lasts that day (as RFC
    5545 3.6.1 has a DATE start without an end last one day)."""
    out: Counter = Counter()
    tzp.use_zoneinfo()  # forget VTIMEZONEs earlier files defined: each file is read alone
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cal in map(_as_calendar, Calendar.from_ical(body, multiple=True)):
            _drop_startless(cal)
            for occ in recurring_ical_events.of(cal, components=["VEVENT"]).between(*WINDOW):
                if str(occ.get("STATUS", "")).upper() == "CANCELLED":
                    continue
                start = occ["DTSTART"].dt
                end = occ["DTEND"].dt if "DTEND" in occ else start
                if not isinstance(start, datetime) and not isinstance(end, datetime) and end <= start:
                    end = start + timedelta(days=1)
                out[(_instant(start), _instant(end), _title(occ))] += 1
    return out


def round_trip(body: bytes) -> tuple[bytes, str]:
    """Import `body` into an empty calendar and export it; nothing is kept."""
    with transaction.atomic(using=INDEX_DB), transaction.atomic():
        report = import_calendar(body, source="corpus")
        exported = export.export_calendar()
        transaction.set_rollback(True)
        transaction.set_rollback(True, using=INDEX_DB)
    return exported, report.as_text()


def compare(path: Path) -> str | None:
    """None when the file's occurrences survive import and export, else why not."""
    body = path.read_bytes()
    try:
        wanted = occurrences(body)
    except Exception as e:  # the oracle cannot read the original
        return f"recurring_ical_events cannot read the original: {type(e).__name__}: {e}"
    exported, report = round_trip(body)
    got = occurrences(exported)
    if got == wanted:
        return None
    missing, extra = wanted - got, got - wanted
    return (
        f"{sum(missing.values())} missing, e.g. {sorted(missing, key=str)[:2]}; "
        f"{sum(extra.values())} extra, e.g. {sorted(extra, key=str)[:2]}\n    {report[:600]}"
    )


def test_the_corpus_keeps_its_occurrences_through_import_and_export():
    files = [p for p in corpus_files() if str(p.relative_to(CORPUS)) not in NOT_COMPARABLE]
    failures = {}
    for path in files:
        if (why := compare(path)) is not None:
            failures[str(path.relative_to(CORPUS))] = why
    share = 1 - len(failures) / len(files)
    summary = f"{len(files) - len(failures)} of {len(files)} files ({share:.1%}) give the same occurrences"
    print(summary)
    for name, why in sorted(failures.items()):
        print(f"  {name}: {why}")
    assert share >= PASS_SHARE, summary


def test_every_file_listed_as_not_comparable_is_in_the_corpus():
    present = {str(p.relative_to(CORPUS)) for p in corpus_files()}
    assert set(NOT_COMPARABLE) <= present
