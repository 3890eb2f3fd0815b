"""iCalendar time values and TZIDs as docs/PROTOCOL.md section 5.2 keeps times: a date, or a wall
time with an IANA zone name (None: floating).

Pure module: no Django. Windows zone names and "/vendor/Olson" TZIDs are
mapped (RFC 5545 3.2.19); a zone only the file's VTIMEZONE defines is read
as UTC. `local_recurrence_id` places an override's RECURRENCE-ID in its series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from icalendar.prop import vBroken
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from events.recurrence.timing import format_local


class ComponentSkipped(ValueError):
    """A VEVENT that cannot become an event; the message says why."""


_KNOWN_ZONES: set[str] | None = None


def zone_name(tzid: str) -> str | None:
    """An IANA zone name for a TZID: itself, the zone of a Windows name
    ("W. Europe Standard Time"), or the Olson tail of "/vendor/Olson/Name"."""
    global _KNOWN_ZONES
    if _KNOWN_ZONES is None:
        _KNOWN_ZONES = available_timezones()
    tzid = tzid.strip().strip('"')
    cleaned = tzid.strip("/")
    if cleaned in _KNOWN_ZONES:
        return cleaned
    if cleaned in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[cleaned]
    parts = cleaned.split("/")
    for i in range(1, len(parts)):
        if "/".join(parts[i:]) in _KNOWN_ZONES:
            return "/".join(parts[i:])
    if cleaned.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    return None


@dataclass(frozen=True)
class When:
    """A time property as we keep it: a date, or a wall time with a zone
    name (None: floating)."""

    value: date | datetime
    tz: str | None
    from_zone: str | None = None  # a TZID known only from the file's VTIMEZONE, converted to UTC

    @property
    def is_date(self) -> bool:
        return not isinstance(self.value, datetime)

    def aware(self) -> datetime | None:
        if self.is_date or self.tz is None:
            return None
        return self.value.replace(tzinfo=ZoneInfo(self.tz), fold=0)  # type: ignore[union-attr]


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
        zone = zone_name(str(tzid))
        if zone is None:
            own = (zones or {}).get(str(tzid))
            if own is not None:
                # Defined only by a VTIMEZONE in the file (Outlook's "Customized
                # Time Zone"): the instant is known, the zone's name is not.
                utc = wall.replace(tzinfo=own).astimezone(UTC).replace(tzinfo=None, microsecond=0)
                return When(utc, "UTC", from_zone=str(tzid)[:80])
            raise ComponentSkipped(f"{name} has an unknown time zone TZID={str(tzid)[:80]!r}")
        return When(wall, zone)
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
