"""RRULE values (RFC 5545 section 3.3.10): the rule tables, parsing for
expansion, and the edit form's view of a rule (split into fields, built back,
described in words).

Pure module: no Django. `parse_rule` makes every value dateutil would take
from DTSTART explicit, so DTSTART can move forward without changing the
occurrences (see `events.recurrence.expansion`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from dateutil import rrule as du

from events.recurrence.timing import FIRST_YEAR, LAST_YEAR, OutOfRange, RecurrenceError
from events.recurrence.walk import BoundedRule

MAX_BYDAY_N = 53

# --- the rule tables -------------------------------------------------------------

# RRULE day codes in Python's (and dateutil's) weekday order: DAY_CODES[0] is Monday.
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAYS = {code: number for number, code in enumerate(DAY_CODES)}
DAY_NAMES = {
    "MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
    "FR": "Friday", "SA": "Saturday", "SU": "Sunday",
}
FREQS = {
    "YEARLY": du.YEARLY,
    "MONTHLY": du.MONTHLY,
    "WEEKLY": du.WEEKLY,
    "DAILY": du.DAILY,
    "HOURLY": du.HOURLY,
    "MINUTELY": du.MINUTELY,
    "SECONDLY": du.SECONDLY,
}
# The frequencies of a calendar's "Repeat" choice, which `describe_rrule` puts in words.
CALENDAR_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
UNIT_FREQ = {"minute": "MINUTELY", "hour": "HOURLY", "day": "DAILY", "week": "WEEKLY",
             "month": "MONTHLY", "year": "YEARLY"}
FREQ_UNIT = {freq: unit for unit, freq in UNIT_FREQ.items()}

_BYDAY = re.compile(rf"([+-]?\d{{1,2}})?({'|'.join(DAY_CODES)})\Z")
_INT = re.compile(r"[+-]?\d{1,10}\Z")
_INT_LISTS = {
    # part: (dateutil keyword, lowest, highest, may be negative)
    "BYSETPOS": ("bysetpos", 1, 366, True),
    "BYMONTH": ("bymonth", 1, 12, False),
    "BYMONTHDAY": ("bymonthday", 1, 31, True),
    "BYYEARDAY": ("byyearday", 1, 366, True),
    "BYWEEKNO": ("byweekno", 1, 53, True),
    "BYHOUR": ("byhour", 0, 23, False),
    "BYMINUTE": ("byminute", 0, 59, False),
    "BYSECOND": ("bysecond", 0, 59, False),
}


@dataclass(frozen=True)
class Rule:
    """A parsed RRULE with every value dateutil would take from DTSTART made
    explicit, so DTSTART can move without changing the occurrences."""

    freq: int
    interval: int
    count: int | None
    until: datetime | None  # naive, in the event's wall time
    wkst: int
    by: dict = field(hash=False)  # dateutil keyword arguments (BYxxx parts)
    simple: tuple | None = None  # see _simple_shape: rules expanded by arithmetic

    def build(self, dtstart: datetime, *, count: int | None = None, budget: int | None = None) -> du.rrule:
        """dateutil's rrule from `dtstart`; with `budget`, one whose walk
        raises WalkTooLong after that many steps without an occurrence."""
        kind = du.rrule if budget is None else BoundedRule
        extra = {} if budget is None else {"budget": budget}
        return kind(
            self.freq,
            dtstart=dtstart,
            interval=self.interval,
            count=self.count if count is None else count,
            until=self.until,
            wkst=self.wkst,
            **self.by,
            **extra,
        )


def _int(text: str, part: str) -> int:
    if not _INT.match(text):
        raise RecurrenceError(f"RRULE {part}={text!r} is not an integer")
    return int(text)


def _parse_until(text: str, zone: tzinfo | None) -> datetime:
    try:
        if re.fullmatch(r"\d{8}", text):
            return datetime.strptime(text, "%Y%m%d")
        if re.fullmatch(r"\d{8}T\d{6}Z?", text):
            value = datetime.strptime(text[:15], "%Y%m%dT%H%M%S")
        else:
            raise ValueError("not YYYYMMDD or YYYYMMDDTHHMMSS[Z]")
    except ValueError as e:
        raise RecurrenceError(f"RRULE UNTIL={text!r}: {e}") from None
    if text.endswith("Z") and zone is not None and FIRST_YEAR <= value.year <= LAST_YEAR:
        # only in range: the year 9999 in UTC may be the year 10000 in the zone
        value = value.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    return value


def parse_rule(text: object, dtstart: datetime, *, zone: tzinfo | None = None) -> Rule:
    """Parse an RRULE value (RFC 5545 3.3.10) for a series starting at the wall
    time `dtstart`; raise RecurrenceError on anything unparseable or absurd."""
    if not isinstance(text, str) or not text.strip():
        raise RecurrenceError("rrule must be a non-empty string")
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    if len(value) > 1000 or "\n" in value:
        raise RecurrenceError("rrule is too long or has several lines")
    parts: dict[str, str] = {}
    for pair in value.upper().split(";"):
        name, eq, val = pair.partition("=")
        if not eq or not val:
            raise RecurrenceError(f"RRULE part {pair!r} is not NAME=VALUE")
        if name in parts:
            raise RecurrenceError(f"RRULE part {name} appears twice")
        parts[name] = val
    freq = FREQS.get(parts.pop("FREQ", ""))
    if freq is None:
        raise RecurrenceError(f"RRULE needs FREQ, one of {', '.join(FREQS)}")
    if freq == du.SECONDLY:
        raise RecurrenceError("FREQ=SECONDLY is not a calendar frequency")
    interval = _int(parts.pop("INTERVAL", "1"), "INTERVAL")
    if not 1 <= interval <= 10_000:
        raise RecurrenceError("RRULE INTERVAL must be between 1 and 10000")
    count = until = None
    if "COUNT" in parts:
        count = _int(parts.pop("COUNT"), "COUNT")
        if count < 1:
            raise RecurrenceError("RRULE COUNT must be at least 1")
    if "UNTIL" in parts:
        if count is not None:
            raise RecurrenceError("RRULE cannot have both COUNT and UNTIL")
        until = _parse_until(parts.pop("UNTIL"), zone)
    wkst = DAYS.get(parts.pop("WKST", "MO"))
    if wkst is None:
        raise RecurrenceError("RRULE WKST must be a day (MO..SU)")
    by: dict = {}
    if "BYDAY" in parts:
        days = []
        for item in parts.pop("BYDAY").split(","):
            m = _BYDAY.match(item)
            if not m:
                raise RecurrenceError(f"RRULE BYDAY item {item!r} is not like MO, 2TU or -1FR")
            n = int(m.group(1)) if m.group(1) else None
            if n is not None and not (1 <= abs(n) <= MAX_BYDAY_N):
                raise RecurrenceError(f"RRULE BYDAY item {item!r}: n must be 1..53 or -53..-1")
            days.append(du.weekday(DAYS[m.group(2)], n))
        by["byweekday"] = days
    for part, (keyword, low, high, signed) in _INT_LISTS.items():
        if part in parts:
            values = [_int(v, part) for v in parts.pop(part).split(",")]
            for v in values:
                if not (low <= v <= high or (signed and -high <= v <= -low)):
                    raise RecurrenceError(f"RRULE {part} value {v} is out of range")
            by[keyword] = values
    if parts:
        raise RecurrenceError(f"RRULE has unknown part(s) {', '.join(sorted(parts))}")
    _make_explicit(freq, by, dtstart)
    simple = _simple_shape(freq, by, dtstart, wkst, count)
    rule = Rule(freq=freq, interval=interval, count=count, until=until, wkst=wkst, by=by, simple=simple)
    try:
        rule.build(dtstart)
    except (ValueError, TypeError) as e:
        raise RecurrenceError(f"RRULE {text!r}: {e}") from None
    # Checked last, so that only a rule valid in every other way breaks the
    # rule `bounds` of docs/PROTOCOL.md section 5.2 for it.
    if until is not None and not FIRST_YEAR <= until.year <= LAST_YEAR:
        raise OutOfRange(f"RRULE UNTIL is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return rule


def _make_explicit(freq: int, by: dict, dtstart: datetime) -> None:
    """Add the BYxxx values dateutil would otherwise take from DTSTART."""
    if not any(k in by for k in ("byweekno", "byyearday", "bymonthday", "byweekday")):
        if freq == du.YEARLY:
            by.setdefault("bymonth", [dtstart.month])
            by["bymonthday"] = [dtstart.day]
        elif freq == du.MONTHLY:
            by["bymonthday"] = [dtstart.day]
        elif freq == du.WEEKLY:
            by["byweekday"] = [dtstart.weekday()]
    if freq < du.HOURLY:
        by.setdefault("byhour", [dtstart.hour])
    if freq < du.MINUTELY:
        by.setdefault("byminute", [dtstart.minute])
    if freq < du.SECONDLY:
        by.setdefault("bysecond", [dtstart.second])


def _simple_shape(freq: int, by: dict, dtstart: datetime, wkst: int, count: int | None) -> tuple | None:
    """The shape of a rule whose occurrences are plain arithmetic (one time of
    day, the one DTSTART has; no BYSETPOS or BYxxxDAY lists; an nth weekday
    only alone in a monthly rule), or None.

    ("daily",) | ("weekly", day offsets from WKST) | ("monthly", day)
    | ("monthly-nth", weekday, n) | ("yearly", month, day)
    """
    time_keys = {"byhour", "byminute", "bysecond"}
    if [by.get(k) for k in ("byhour", "byminute", "bysecond")] != [[dtstart.hour], [dtstart.minute], [dtstart.second]]:
        return None
    rest = set(by) - time_keys
    if freq == du.DAILY and not rest:
        return ("daily",)
    if freq == du.WEEKLY and rest == {"byweekday"}:
        days = []
        for d in by["byweekday"]:
            if isinstance(d, du.weekday):
                if d.n:
                    return None
                d = d.weekday
            days.append(d)
        return ("weekly", tuple(sorted({(d - wkst) % 7 for d in days})))
    if freq == du.MONTHLY and rest == {"bymonthday"} and len(by["bymonthday"]) == 1:
        day = by["bymonthday"][0]
        if day > 0 and (count is None or day <= 28):
            return ("monthly", day)
    if freq == du.MONTHLY and rest == {"byweekday"} and len(by["byweekday"]) == 1:
        d = by["byweekday"][0]
        # the nth weekday of the month; COUNT needs one in every month (|n| <= 4)
        if isinstance(d, du.weekday) and d.n and abs(d.n) <= (5 if count is None else 4):
            return ("monthly-nth", d.weekday, d.n)
    if freq == du.YEARLY and rest == {"bymonth", "bymonthday"}:
        if len(by["bymonth"]) == 1 and len(by["bymonthday"]) == 1 and by["bymonthday"][0] > 0:
            month, day = by["bymonth"][0], by["bymonthday"][0]
            if count is None or (month, day) != (2, 29):
                return ("yearly", month, day)
    return None


# --- the edit form's view of a rule ----------------------------------------------


@dataclass
class Repeat:
    freq: str = ""  # "" for no repetition
    interval: int = 1
    byday: list[str] = field(default_factory=list)
    until: str = ""  # YYYY-MM-DD or a full RFC 5545 UNTIL value
    count: int | None = None
    extra: dict[str, str] = field(default_factory=dict)  # parts the form does not edit, kept as they are


def split_rrule(rrule: str | None) -> Repeat:
    if not rrule:
        return Repeat()
    parts = dict(p.split("=", 1) for p in rrule.upper().split(";") if "=" in p)
    repeat = Repeat(freq=parts.pop("FREQ", ""))
    if "INTERVAL" in parts:
        try:
            repeat.interval = max(1, int(parts.pop("INTERVAL")))
        except ValueError:
            repeat.interval = 1
    if "BYDAY" in parts:
        days = parts.pop("BYDAY").split(",")
        if all(d in DAYS for d in days):
            repeat.byday = days
        else:
            repeat.extra["BYDAY"] = ",".join(days)
    if "UNTIL" in parts:
        value = parts.pop("UNTIL")
        repeat.until = f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value) >= 8 and value[:8].isdigit() else value
    if "COUNT" in parts:
        try:
            repeat.count = int(parts.pop("COUNT"))
        except ValueError:
            pass
    repeat.extra.update(parts)
    return repeat


def join_rrule(repeat: Repeat, *, until_time: str | None = None) -> str | None:
    """The RRULE value for `repeat`; `until_time` (HHMMSS) makes UNTIL a date-time."""
    if not repeat.freq:
        return None
    parts = [f"FREQ={repeat.freq}"]
    if repeat.interval > 1:
        parts.append(f"INTERVAL={repeat.interval}")
    if repeat.byday:
        parts.append("BYDAY=" + ",".join(d for d in DAY_CODES if d in repeat.byday))
    parts += [f"{k}={v}" for k, v in repeat.extra.items() if not (k == "BYDAY" and repeat.byday)]
    if repeat.until:
        value = repeat.until.replace("-", "")
        parts.append(f"UNTIL={value}T{until_time}" if until_time and "T" not in value else f"UNTIL={value}")
    elif repeat.count:
        parts.append(f"COUNT={repeat.count}")
    return ";".join(parts)


def describe_rrule(rrule: str | None) -> str:
    """"every Tuesday", "every 2 weeks on Monday, Wednesday", "daily, 5 times"."""
    if not rrule:
        return "once"
    repeat = split_rrule(rrule)
    if repeat.freq not in CALENDAR_FREQS:
        return rrule
    unit = FREQ_UNIT[repeat.freq]
    if repeat.freq == "WEEKLY" and repeat.byday and repeat.interval == 1:
        text = "every " + _names(repeat.byday)
    else:
        text = repeat.freq.lower()
        if repeat.interval > 1:
            text = f"every {repeat.interval} {unit}s"
        if repeat.byday:
            text += " on " + _names(repeat.byday)
        elif "BYDAY" in repeat.extra:
            text += f" ({repeat.extra['BYDAY']})"
    if repeat.until:
        text += f" until {repeat.until[:10]}"
    elif repeat.count:
        text += f", {repeat.count} times"
    return text


def _names(days: list[str]) -> str:
    return ", ".join(DAY_NAMES[d] for d in DAY_CODES if d in days)
