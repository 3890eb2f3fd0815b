"""Whether two event values mean the same, as iCalendar can carry them.

Pure module: no Django. Import writes only what differs from what the
calendar shows, so importing a file twice writes nothing the second time.
"""

from __future__ import annotations

from datetime import datetime

from events.recurrence.rrule import parse_rule
from events.recurrence.timing import RecurrenceError, format_local, get_zone, parse_local


def _plain(text) -> str | None:
    """Text as iCalendar can carry it: line breaks are one \\n (RFC 5545 3.3.11);
    blank text is absent, as `_text` reads it."""
    if not text or not str(text).strip():
        return None
    return str(text).replace("\r\n", "\n").replace("\r", "\n")


def _times(values) -> set[str]:
    out = set()
    for v in values or ():
        try:
            out.add(format_local(parse_local(v)))
        except RecurrenceError:
            out.add(str(v))
    return out


def _rule(event: dict):
    if not event.get("rrule"):
        return None
    try:
        start = parse_local(event["start"])
        if not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day)
        zone = None if event.get("all_day") or not event.get("tz") else get_zone(event["tz"])
        return parse_rule(event["rrule"], start, zone=zone)
    except RecurrenceError:
        return event["rrule"]


def same_event(a: dict | None, b: dict | None) -> bool:
    """Whether two event values mean the same (rules compared by meaning,
    exdates as sets, empty text as absent); unknown fields are ignored."""
    if a is None or b is None:
        return a is b
    if a.get("all_day") != b.get("all_day"):
        return False
    for name in ("title", "location", "description"):
        if _plain(a.get(name)) != _plain(b.get(name)):
            return False
    if (None if a.get("all_day") else a.get("tz")) != (None if b.get("all_day") else b.get("tz")):
        return False
    if _times([a.get("start")]) != _times([b.get("start")]):
        return False
    if _times([a.get("end") or a.get("start")]) != _times([b.get("end") or b.get("start")]):
        return False
    if _times(a.get("exdates")) != _times(b.get("exdates")):
        return False
    return _rule(a) == _rule(b)
