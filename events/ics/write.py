"""Our events into iCalendar (RFC 5545), with the `icalendar` library.

Pure module: no Django. `to_vevent` turns one register's value into a VEVENT
(a series, a single event or, with `recurrence_id`, an override) and
`build_calendar` wraps VEVENTs into one VCALENDAR with the VTIMEZONEs they
use. Times are written as docs/PROTOCOL.md section 5.2 keeps them: all-day events as DATE
values, floating times without TZID, others as wall times in their zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vRecur

from events.recurrence.timing import get_zone, parse_local

PRODID = "-//calendar-p2p//calendar-p2p 1//EN"
CANCELLED_PROPERTY = "X-CALENDAR-P2P-CANCELLED"  # recurrence ids of cancelled occurrences, space-separated
UNTITLED = "(no title)"
MAX_REMINDER = 4 * 7 * 24 * 60  # minutes: four weeks before


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str | None) -> str | None:
    """Text as RFC 5545 3.3.11 lets a TEXT value hold it: line breaks as one
    LF (written as \\n), no other control characters, which strict parsers
    refuse, failing the whole file."""
    if not text:
        return text
    return _CONTROLS.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def _zone_of(event: dict) -> ZoneInfo | None:
    return None if event.get("all_day") or not event.get("tz") else get_zone(event["tz"])


def ical_time(text: str, *, all_day: bool, zone: tzinfo | None) -> date | datetime:
    """A local time of docs/PROTOCOL.md section 5.2 as the value iCalendar writes: a date for
    all-day events, a naive datetime when floating, else an aware one."""
    value = parse_local(text)
    if all_day:
        return value.date() if isinstance(value, datetime) else value
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=zone, fold=0) if zone is not None else value


def _rrule_for_export(rrule: str, *, all_day: bool, zone: tzinfo | None) -> vRecur:
    """The RRULE with UNTIL in the form RFC 5545 3.3.10 asks: a DATE for
    all-day series, UTC for zoned ones, local for floating ones. Our rule
    text may hold a local UNTIL; its meaning (a wall time in the event's
    zone) is kept."""
    text = rrule.strip().upper()  # our rules are read case-insensitively, vRecur's are not
    recur = vRecur.from_ical(text[6:] if text.startswith("RRULE:") else text)
    until = recur.get("UNTIL")
    if until:
        value = until[0] if isinstance(until, list) else until
        if all_day:
            value = value.date() if isinstance(value, datetime) else value
        elif zone is not None:
            if not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day)
            if value.tzinfo is None:
                value = value.replace(tzinfo=zone, fold=0)
            value = value.astimezone(UTC)
        else:
            if not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day)
            value = value.replace(tzinfo=None)
        recur["UNTIL"] = [value]
    return recur


def to_vevent(
    uid: str,
    event: dict,
    *,
    stamp: datetime,
    sequence: int = 0,
    recurrence_id: str | None = None,
    series: dict | None = None,
    cancelled: Iterable[str] = (),
) -> Event:
    """One VEVENT for a register's value. `recurrence_id` (with its `series`
    value) makes an override; `cancelled` holds recurrence ids of cancelled
    occurrences, written as EXDATE beside the event's own exdates."""
    all_day = bool(event.get("all_day"))
    zone = _zone_of(event)
    start = ical_time(event["start"], all_day=all_day, zone=zone)
    end = ical_time(event["end"], all_day=all_day, zone=zone) if event.get("end") else None
    vevent = Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("sequence", sequence)
    vevent.add("summary", printable(event.get("title")) or UNTITLED)
    vevent.add("dtstart", start)
    if end is not None and end != start:
        vevent.add("dtend", end)
    elif all_day:
        vevent.add("dtend", start + timedelta(days=1))
    if recurrence_id is not None:
        owner = series or event
        vevent.add(
            "recurrence-id",
            ical_time(recurrence_id, all_day=bool(owner.get("all_day")), zone=_zone_of(owner)),
        )
    elif event.get("rrule"):
        vevent.add("rrule", _rrule_for_export(event["rrule"], all_day=all_day, zone=zone))
        excluded = {ical_time(x, all_day=all_day, zone=zone) for x in [*(event.get("exdates") or []), *cancelled]}
        if excluded:
            vevent.add("exdate", sorted(excluded))
        if cancelled:
            # Clients see EXDATEs; an import here tells a cancelled occurrence
            # (a register of its own) from an exdate of the series by this.
            vevent.add(CANCELLED_PROPERTY, " ".join(sorted(cancelled)))
    for name in ("location", "description"):
        if printable(event.get(name)):
            vevent.add(name, printable(event[name]))
    for minutes in _reminders(event):  # docs/PROTOCOL.md section 5.2; RFC 5545 section 3.6.6
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", printable(event.get("title")) or UNTITLED)
        alarm.add("trigger", timedelta(minutes=-minutes))
        vevent.add_component(alarm)
    return vevent


def _reminders(event: dict) -> list[int]:
    """The event's reminders that make sense (the field is optional and unchecked)."""
    value = event.get("reminders")
    if not isinstance(value, list):
        return []
    return sorted({m for m in value if isinstance(m, int) and not isinstance(m, bool) and 0 <= m <= MAX_REMINDER})


def build_calendar(vevents: Iterable[Event], *, name: str | None = None, horizon: date | None = None) -> Calendar:
    """A VCALENDAR holding `vevents` in the given order, with a VTIMEZONE for
    every zone they use, covering the years they happen in: a series without
    an end through `horizon` at least (clients such as libical place a time
    after a VTIMEZONE's last change by that last change, so a definition
    that stops early puts summer occurrences an hour off). The bytes are a
    function of the events and `horizon` only."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", name)
    first: date | None = None
    last: date | None = None
    for vevent in vevents:
        cal.add_component(vevent)
        start = vevent.decoded("DTSTART")
        if isinstance(start, datetime) and start.tzinfo is not None and not _is_utc(start):
            day = start.date()
            first = day if first is None or day < first else first
            span = _zoned_until(vevent, day, horizon)
            last = span if last is None or span > last else last
    if first is not None and last is not None:
        cal.add_missing_timezones(
            first_date=date(first.year, 1, 1),
            last_date=date(min(last.year + 1, 9998), 12, 31),
        )
        # add_missing_timezones walks a set: put the VTIMEZONEs in TZID order
        # so the bytes do not depend on the process's hash seed.
        zones = sorted((c for c in cal.subcomponents if c.name == "VTIMEZONE"), key=lambda c: str(c["TZID"]))
        cal.subcomponents = zones + [c for c in cal.subcomponents if c.name != "VTIMEZONE"]
    return cal


OPEN_ENDED_YEARS = 10  # series without an end: VTIMEZONE rules for this many years after they start, at least
HORIZON_YEARS = 20  # ... and through this many years after the export's year


def horizon_of(today: date) -> date:
    """How far VTIMEZONEs reach for series without an end, exported on `today`."""
    return date(min(today.year + HORIZON_YEARS, 9990), 12, 31)


def _zoned_until(vevent: Event, day: date, horizon: date | None) -> date:
    end = vevent.get("DTEND")
    last = end.dt.date() if end is not None and isinstance(end.dt, datetime) else day
    recur = vevent.get("RRULE")
    if recur is not None:
        until = recur.get("UNTIL")
        if until:
            value = until[0]
            last = max(last, value.date() if isinstance(value, datetime) else value)
        else:
            # COUNT or open-ended: a bounded look ahead, the same for every export.
            last = max(last, date(min(day.year + OPEN_ENDED_YEARS, 9990), 12, 31), horizon or last)
    return last


def _is_utc(value: datetime) -> bool:
    return value.utcoffset() == timedelta(0) and getattr(value.tzinfo, "key", "UTC") in ("UTC", "Etc/UTC")
