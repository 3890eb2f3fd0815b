"""The calendar's "now" for the owner: which day is today, where the week's
now line goes, what "tomorrow" in a quick-add phrase means.

It is the real time, unless settings.CALENDAR_NOW (the CALENDAR_NOW
environment variable) holds an ISO datetime: then that fixed moment, for tests
and demos. A value without an offset ("2026-11-29T10:00") is a wall-clock time
in the zone asked about; one with an offset is that instant, seen in the zone.

Only the owner's views of the calendar use this clock. Entry timestamps,
pairing and invite expiry and the feeds keep the real time.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def fixed_now() -> datetime | None:
    """CALENDAR_NOW as a datetime (naive when given without an offset), or None."""
    value = getattr(settings, "CALENDAR_NOW", "") or ""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"CALENDAR_NOW {value!r} is not an ISO datetime") from None


def now(tz: str | ZoneInfo) -> datetime:
    """The current time in the zone `tz` (aware), or the fixed CALENDAR_NOW."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    fixed = fixed_now()
    if fixed is None:
        return datetime.now(zone)
    if fixed.tzinfo is None:
        return fixed.replace(tzinfo=zone)
    return fixed.astimezone(zone)


def today(tz: str | ZoneInfo) -> date:
    """Today's date in the zone `tz`."""
    return now(tz).date()
