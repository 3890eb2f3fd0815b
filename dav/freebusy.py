"""The free-busy-query REPORT (RFC 4791 section 7.10): when the calendar is
busy in a time range, as one VFREEBUSY, from the index's range query (the
occurrences the web page shows, series expanded)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from xml.etree.ElementTree import Element

from django.http import HttpResponse
from icalendar import Calendar, FreeBusy, vPeriod

from dav.filters import bad_filter, utc_time
from dav.xml import CALDAV, tag
from events.index.query import QueryError, query

MAX_RANGE = timedelta(days=366)


def _instant(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(
        value, time(), UTC
    )  # all-day: read in UTC, the zone the query was asked in


def busy_periods(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The busy periods in [start, end), merged where they overlap or touch."""
    try:
        found = query(start, end, "UTC").occurrences
    except QueryError as e:
        raise bad_filter(str(e)) from None
    spans = sorted((max(_instant(o.start), start), min(_instant(o.end), end)) for o in found)
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in spans:
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def free_busy(body: Element, *, stamp: datetime) -> HttpResponse:
    time_range = body.find(tag(CALDAV, "time-range"))
    start = utc_time(time_range.get("start")) if time_range is not None else None
    end = utc_time(time_range.get("end")) if time_range is not None else None
    if start is None or end is None or end <= start:
        raise bad_filter("free-busy-query needs a time-range with a start before its end")
    if end - start > MAX_RANGE:
        raise bad_filter("free-busy-query covers at most a year")
    cal = Calendar()
    cal.add("prodid", "-//calendar-p2p//CalDAV//EN")
    cal.add("version", "2.0")
    vfreebusy = FreeBusy()
    vfreebusy.add("dtstamp", stamp)
    vfreebusy.add("dtstart", start)
    vfreebusy.add("dtend", end)
    for lo, hi in busy_periods(start, end):
        vfreebusy.add("freebusy", vPeriod((lo, hi)))
    cal.add_component(vfreebusy)
    return HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
