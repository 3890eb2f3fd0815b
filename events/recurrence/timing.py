"""An event's times: wall times, zones and recurrence ids (RFC 5545 3.3.5);
also the one limit on an event's title, which every writer and reader checks.

Pure module: no Django. Times are wall times (naive datetimes, or dates for
all-day events) in the event's own zone and are only then placed in it.
Placing a wall time uses fold=0, which is what RFC 5545 3.3.5 asks: an
ambiguous time is the first of the two, and a time in a DST gap is read with
the offset from before the gap, which moves it forward by the length of the gap.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The longest title an event may have (docs/PROTOCOL.md section 5.2): the index refuses longer ones, the
# iCalendar import shortens them, the event form and the quick-add parser never make them.
MAX_TITLE = 500


class RecurrenceError(ValueError):
    """An event's times or rule make no sense; the message says what and where."""


class OutOfRange(RecurrenceError):
    """An event's time or rule lies outside what every reader can place
    (docs/PROTOCOL.md section 5.2, rule `bounds`)."""


# Local dates and wall times lie in these years (docs/PROTOCOL.md section 5.2): every
# zone is within a day of UTC, so their instants stay inside Python's years 1..9999
# with room for the index's margins, and range queries cover the same years.
FIRST_YEAR, LAST_YEAR = 2, 9998


def check_year(value: date | datetime, what: str = "time") -> None:
    """Raise OutOfRange unless `value` lies in FIRST_YEAR..LAST_YEAR."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise OutOfRange(f"{what} {format_local(value)} is outside the years {FIRST_YEAR} to {LAST_YEAR}")


# --- local times -------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?\Z")


def parse_local(text: object, *, what: str = "time") -> date | datetime:
    """`YYYY-MM-DD` -> date; `YYYY-MM-DDTHH:MM[:SS]` -> naive datetime.
    OutOfRange (a RecurrenceError) for a valid time outside FIRST_YEAR..LAST_YEAR."""
    value = parse_local_unchecked(text, what=what)
    check_year(value, what)
    return value


def parse_local_unchecked(text: object, *, what: str = "time") -> date | datetime:
    """`parse_local` without the range of years: for the bounds check itself."""
    if not isinstance(text, str):
        raise RecurrenceError(f"{what} must be a string, not {type(text).__name__}")
    try:
        if _DATE.match(text):
            return date.fromisoformat(text)
        if _DATETIME.match(text):
            return datetime.fromisoformat(text)
    except ValueError as e:
        raise RecurrenceError(f"{what} {text!r} is not a valid date: {e}") from None
    raise RecurrenceError(f"{what} {text!r} is neither YYYY-MM-DD nor YYYY-MM-DDTHH:MM:SS")


def format_local(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0).isoformat()
    return value.isoformat()


def is_zone(name: object) -> TypeGuard[str]:
    """Whether `name` is an IANA time zone: the one check of a zone name.
    Paths ("/etc/localtime", "../x") and directories ("Europe") are not zones."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return False
    if name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def get_zone(name: object) -> ZoneInfo:
    if not is_zone(name):
        raise RecurrenceError(f"unknown time zone {name!r}")
    return ZoneInfo(name)


def recurrence_key(text: object) -> str:
    """Normalize a recurrence_id so equal instants of one series compare equal."""
    if not isinstance(text, str):
        raise RecurrenceError("recurrence_id must be a string")
    return format_local(parse_local(text, what="recurrence_id"))
