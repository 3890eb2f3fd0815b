"""iCalendar time values and TZIDs as docs/PROTOCOL.md section 5.2 keeps times: a date, or a wall
time with an IANA zone name (None: floating).

Pure module: no Django. TZIDs are mapped to IANA zones by `events.ics.zones`;
a zone only the file's VTIMEZONE defines and no IANA zone matches is read as
UTC, and one nothing defines as floating (the wall time is all the file
says). `end_of` and `exdates_of` read an event's end and EXDATEs;
`local_recurrence_id` places an override's RECURRENCE-ID in its series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar.prop import vBroken

from events.ics.zones import normal_tzid, zone_name
from events.recurrence.timing import format_local

__all__ = [
    "ComponentSkipped",
    "When",
    "end_of",
    "exdates_of",
    "in_zone_of",
    "local_recurrence_id",
    "placed_like_end",
    "when_at",
    "when_of",
    "zone_name",
]


class ComponentSkipped(ValueError):
    """A VEVENT that cannot become an event; the message says why."""


@dataclass(frozen=True)
class When:
    """A time property as we keep it: a date, or a wall time with a zone
    name (None: floating)."""

    value: date | datetime
    tz: str | None
    from_zone: str | None = None  # a TZID known only from the file's VTIMEZONE, converted to UTC
    unknown_zone: str | None = None  # a TZID nothing defines: the wall time is kept, floating

    @property
    def is_date(self) -> bool:
        return not isinstance(self.value, datetime)

    def aware(self) -> datetime | None:
        if not isinstance(self.value, datetime) or self.tz is None:
            return None
        return self.value.replace(tzinfo=ZoneInfo(self.tz), fold=0)


def when_of(prop, name: str, zones: dict | None = None) -> When:
    """Read DTSTART, DTEND, RECURRENCE-ID or one EXDATE value."""
    if isinstance(prop, vBroken) or not hasattr(prop, "dt"):
        raise ComponentSkipped(f"{name} {str(prop)[:60]!r} is not a valid date or date-time")
    value = prop.dt
    params = getattr(prop, "params", {}) or {}
    return when_at(value, params.get("TZID"), name, zones)


def when_at(value, tzid, name: str, zones: dict | None = None) -> When:
    if isinstance(value, timedelta) or not isinstance(value, date):
        raise ComponentSkipped(f"{name} is not a date or date-time")
    if not isinstance(value, datetime):
        return When(value, None)
    wall = value.replace(tzinfo=None, microsecond=0)
    if tzid:
        own = (zones or {}).get(normal_tzid(tzid))
        if isinstance(own, str):  # the file's VTIMEZONE, matched to an IANA zone
            return When(wall, own)
        zone = zone_name(str(tzid))
        if zone is not None:
            return When(wall, zone)
        if own is not None:
            # Defined only by a VTIMEZONE in the file that matches no IANA
            # zone: the instant is known, the zone's name is not.
            utc = wall.replace(tzinfo=own).astimezone(UTC).replace(tzinfo=None, microsecond=0)
            return When(utc, "UTC", from_zone=str(tzid)[:80])
        # Nothing defines the zone: the wall time is all the file says, as
        # other readers of the file (icalendar, recurring_ical_events) take it.
        return When(wall, None, unknown_zone=str(tzid)[:80])
    if value.tzinfo is None:
        return When(wall, None)
    key = getattr(value.tzinfo, "key", None)
    if key and zone_name(key):
        return When(wall, zone_name(key))
    if value.utcoffset() == timedelta(0):
        return When(wall, "UTC")
    raise ComponentSkipped(f"{name} uses a time zone with no known name ({value.tzinfo})")


def in_zone_of(when: When, *, all_day: bool, tz: str | None) -> date | datetime:
    """`when` as a local value of an event with (all_day, tz): a date, or a
    wall time in tz (floating when tz is None)."""
    value = when.value
    if all_day:
        return value.date() if isinstance(value, datetime) else value
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    aware = when.aware()
    if aware is not None and tz is not None and when.tz != tz:
        return aware.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return value


def local_recurrence_id(rid: date | datetime, series: dict) -> str:
    """An override's RECURRENCE-ID as our recurrence_id: the original start
    in the series' own form (a date, or a wall time in its zone)."""
    if isinstance(rid, datetime) and rid.tzinfo is not None:
        key = getattr(rid.tzinfo, "key", None)
        name = zone_name(key) if key else None
        if name is None:
            when = When(rid.astimezone(UTC).replace(tzinfo=None), "UTC")
        else:
            when = When(rid.replace(tzinfo=None), name)
    else:
        when = When(rid, None)
    all_day = bool(series.get("all_day"))
    tz = None if all_day else series.get("tz")
    return format_local(in_zone_of(when, all_day=all_day, tz=tz))


def placed_like_end(component, start: When, zones: dict | None) -> When:
    """A floating DTSTART beside a DTEND in a zone: both are in that zone
    (a producer that dropped the TZID of one of them)."""
    if start.is_date or start.tz is not None or "DTEND" not in component:
        return start
    try:
        end = when_of(component["DTEND"], "DTEND", zones)
    except ComponentSkipped:
        return start
    if end.is_date or end.tz is None or end.from_zone is not None:
        return start
    return When(start.value, end.tz)



def end_of(component, start: When, notes: list[str], zones: dict | None) -> date | datetime:
    begin = start.value
    if "DTEND" in component:
        end_when = when_of(component["DTEND"], "DTEND", zones)
        if start.is_date:
            end = end_when.value.date() if isinstance(end_when.value, datetime) else end_when.value
        else:
            end = in_zone_of(end_when, all_day=False, tz=start.tz)
    elif "DURATION" in component:
        duration = component["DURATION"].dt if hasattr(component["DURATION"], "dt") else None
        if not isinstance(duration, timedelta):
            raise ComponentSkipped("DURATION is not a duration")
        if start.is_date:
            duration = timedelta(days=max(duration.days, 1))
        end = begin + duration
    else:
        # RFC 5545 3.6.1: a DATE start without an end lasts one day; a
        # date-time start without one ends when it starts.
        end = begin + timedelta(days=1) if start.is_date else begin
    if end < begin:
        # Written by clients that swap the two (Outlook, some exports); the
        # event is the span between them, as other readers take it.
        notes.append(f"it ends ({format_local(end)}) before it starts ({format_local(begin)}); read as lasting until its start")
        return end  # the caller swaps start and end
    if start.is_date and end == begin:
        end = begin + timedelta(days=1)
        notes.append("an all-day event ending on its start date was read as one day")
    return end



def exdates_of(component, *, all_day: bool, start, tz: str | None, zones: dict | None = None) -> list[str]:
    """The EXDATEs as local times of the series. A date EXDATE on a timed
    series excludes the occurrence starting that day at the series' time."""
    props = component.get("EXDATE")
    if props is None:
        return []
    if not isinstance(props, list):
        props = [props]
    out: set[str] = set()
    for prop in props:
        if isinstance(prop, vBroken) or not hasattr(prop, "dts"):
            raise ComponentSkipped(f"EXDATE {str(prop)[:60]!r} does not parse")
        tzid = prop.params.get("TZID")
        for item in prop.dts:
            when = when_at(item.dt, tzid or item.params.get("TZID"), "EXDATE", zones)
            if when.is_date and not all_day:
                when = When(datetime.combine(when.value, start.time()), tz)
            out.add(format_local(in_zone_of(when, all_day=all_day, tz=tz)))
    return sorted(out)
