"""CALDAV:expand (RFC 4791 section 9.6.5): a series given as one VEVENT per
occurrence in a range, with RECURRENCE-ID, in UTC and without RRULE, for
clients that do not expand recurrences themselves. The occurrences are the
index's range query's, so they are the ones the web page shows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from dav.filters import bad_filter, utc_time
from dav.resources import X_PROPERTIES, add_x_properties, live_events
from dav.xml import CALDAV, tag
from events.entry import time_of
from events.ics.write import build_calendar, to_vevent
from events.index.query import QueryError, query
from events.occurrences import occurrence_of
from events.recurrence.timing import RecurrenceError

TIMES = ("DTSTART", "DTEND", "RECURRENCE-ID")


@dataclass
class Expansion:
    start: datetime
    end: datetime
    by_uid: dict[str, list[str | None]] = field(
        default_factory=dict
    )  # uid -> recurrence ids in range


def requested(body: Element) -> Expansion | None:
    """The <C:expand start end/> inside the report's calendar-data, if any, with its occurrences."""
    element = body.find(f".//{tag(CALDAV, 'calendar-data')}/{tag(CALDAV, 'expand')}")
    if element is None:
        return None
    start, end = utc_time(element.get("start")), utc_time(element.get("end"))
    if start is None or end is None or end <= start:
        raise bad_filter("expand needs a start before its end")
    try:
        found = query(start, end, "UTC").occurrences
    except QueryError as e:
        raise bad_filter(str(e)) from None
    by_uid: dict[str, list[str | None]] = defaultdict(list)
    for occurrence in found:
        by_uid[occurrence.uid].append(occurrence.recurrence_id)
    return Expansion(start, end, dict(by_uid))


def expanded_body(uid: str, expansion: Expansion) -> bytes | None:
    item = live_events([uid]).get(uid)
    if item is None:
        return None
    series = item.series.event
    overrides = {o.rid: o.event for o in item.overrides}
    stamp = time_of(item.series.last_time - item.series.last_time % 1000)
    vevents = []
    for rid in expansion.by_uid.get(uid, []):
        if rid is None or not series.get("rrule"):
            event, vevent = series, to_vevent(uid, series, stamp=stamp)
        else:
            try:
                event = overrides.get(rid) or occurrence_of(series, rid)
            except RecurrenceError:
                continue
            vevent = to_vevent(uid, event, stamp=stamp, recurrence_id=rid, series=series)
        _in_utc(vevent)
        add_x_properties(vevent, {X_PROPERTIES: event.get(X_PROPERTIES)})
        vevents.append(vevent)
    cal = build_calendar([])
    for vevent in vevents:
        cal.add_component(vevent)
    return cal.to_ical()


def _in_utc(vevent) -> None:
    """Zoned times as UTC (section 9.6.5); floating times and dates stay as they are."""
    for name in TIMES:
        if name not in vevent:
            continue
        value = vevent.decoded(name)
        if isinstance(value, datetime) and value.tzinfo is not None:
            del vevent[name]
            vevent.add(name.lower(), value.astimezone(UTC))
