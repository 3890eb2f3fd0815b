"""RDATE (RFC 5545 3.8.5.2): dates an event happens on besides its DTSTART
and RRULE.

Pure module: no Django. Our events have no RDATE, so each extra date becomes
an event of its own beside the series (the importer names it with
`rdate_uid`): the calendar shows the same occurrences the file describes.
A date the RRULE already gives, the DTSTART itself or an EXDATE is left out,
as the recurrence set of RFC 5545 3.8.5 counts each start once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar.prop import vBroken

from events.ics.times import ComponentSkipped, in_zone_of, when_at
from events.recurrence.expansion import GaveUp, as_datetime, iter_starts
from events.recurrence.rrule import parse_rule
from events.recurrence.timing import RecurrenceError, format_local, get_zone, parse_local

MAX_RDATES = 1000  # per event: more is a generated list, not a calendar


def rdate_uid(uid: str, start: str) -> str:
    """The UID of the event an RDATE of `uid` becomes: the same every import."""
    return f"{uid}/rdate/{start.replace('-', '').replace(':', '')}"


def _values(component) -> list:
    props = component.get("RDATE")
    out = []
    for prop in props if isinstance(props, list) else [props]:
        if isinstance(prop, vBroken) or not hasattr(prop, "dts"):
            raise ComponentSkipped(f"RDATE {str(prop)[:60]!r} does not parse")
        tzid = prop.params.get("TZID")
        out += [(item.dt, tzid or item.params.get("TZID")) for item in prop.dts]
    return out


def occurs_at(event: dict, rid: str) -> bool:
    """Whether a series has an occurrence starting at `rid` (its DTSTART or
    one its RRULE gives): an override of any other time overrides nothing."""
    try:
        at = as_datetime(parse_local(rid))
        return at == as_datetime(parse_local(event["start"])) or bool(_on_rule(event, [at]))
    except RecurrenceError:
        return False


def _on_rule(event: dict, starts: list[datetime]) -> set[datetime]:
    """Which of `starts` the event's RRULE gives already."""
    if not event.get("rrule") or not starts:
        return set()
    first = as_datetime(parse_local(event["start"]))
    zone = None if event["all_day"] or not event.get("tz") else get_zone(event["tz"])
    try:
        rule = parse_rule(event["rrule"], first, zone=zone)
        given = set(iter_starts(rule, first, min(starts), max(starts)))
    except (RecurrenceError, GaveUp):
        return set()
    return given & set(starts)


def rdates_of(component, event: dict, *, exdates: list[str], zones: dict | None = None) -> list[tuple[str, str]]:
    """The event's extra occurrences as (start, end) local times in its own
    form (dates for an all-day event, wall times in its zone otherwise),
    ascending, without those the event has already or excludes. A PERIOD
    value keeps its own end; other values last as long as the event."""
    all_day, tz = event["all_day"], event.get("tz")
    start, end = parse_local(event["start"]), parse_local(event["end"])
    length = end - start
    found: dict[datetime, date | datetime] = {}
    for value, tzid in _values(component)[:MAX_RDATES]:
        until = None
        if isinstance(value, tuple):  # PERIOD: (start, end) or (start, duration)
            value, until = value
        local = in_zone_of(when_at(value, tzid, "RDATE", zones), all_day=all_day, tz=tz)
        if isinstance(until, timedelta):
            finish = local + until
        elif until is not None:
            finish = in_zone_of(when_at(until, tzid, "RDATE", zones), all_day=all_day, tz=tz)
        else:
            finish = local + length
        if finish <= local:
            finish = local + timedelta(days=1) if all_day else local
        found[as_datetime(local)] = finish
    skip = {as_datetime(parse_local(x)) for x in exdates} | {as_datetime(start)}
    skip |= _on_rule(event, sorted(found))
    return [(format_local(_form(at, all_day)), format_local(finish)) for at, finish in sorted(found.items()) if at not in skip]


def _form(at: datetime, all_day: bool) -> date | datetime:
    return at.date() if all_day else at
