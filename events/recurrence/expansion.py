"""When an event happens: an event's times validated, and the occurrences of
its rule in a window (RFC 5545 3.8.5).

Pure module: no Django. Everything is computed in the event's own wall time
and only then placed in a zone (see `events.recurrence.timing`), so "every
tuesday 12:00 Europe/Bucharest" stays at 12:00 local on both sides of a DST
change.

Expansion never walks from the first occurrence: `iter_starts` moves DTSTART
forward by whole periods (a multiple of INTERVAL) to just before the window,
having first made every value dateutil would take from DTSTART explicit.
COUNT rules cannot be moved that way (the count depends on every earlier
occurrence); for those `checkpoints` records, once, where every n-th
occurrence falls, and expansion restarts from the nearest one.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as du

from events.recurrence.rrule import Rule, parse_rule
from events.recurrence.timing import (
    OutOfRange,
    RecurrenceError,
    format_local,
    get_zone,
    parse_local,
)
from events.recurrence.walk import WalkTooLong

MAX_OCCURRENCES = 1000  # per series per query
CHECKPOINT_EVERY = 100  # COUNT rules: remember every n-th occurrence
CHECKPOINT_LIMIT = 5_000  # ... up to this many occurrences, computed once
WALK_BUDGET = 10_000  # COUNT rules: occurrences walked past before giving up
# dateutil steps (about days looked at, see events.recurrence.rrule.BoundedRule)
# a walk may take without reaching an occurrence: enough for any rule to cover
# FIRST_WITHIN, a few milliseconds for one that never occurs.
WALK_STEPS = 5_000
FIRST_WITHIN = timedelta(days=3653)  # a rule's first occurrence is at most ten years after its start


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _simple_starts(rule: Rule, dtstart: datetime, lo: datetime, hi: datetime) -> Iterator[datetime]:
    """What dateutil yields for a simple rule, by arithmetic from the window:
    the cost depends on the window, never on how long ago the series began."""
    shape, step, until, count = rule.simple, rule.interval, rule.until, rule.count
    assert shape is not None
    at = dtstart.time()

    last = hi if until is None or until > hi else until
    most = count if count is not None else 1 << 62

    if shape[0] == "daily":
        lag = lo - dtstart
        n = max(0, _ceil_div(lag.days * 86400 + lag.seconds, step * 86400))
        delta = timedelta(days=step)
        occ = dtstart + n * delta
        while occ <= last and n < most:
            yield occ
            n += 1
            occ += delta
        return
    if shape[0] == "weekly":
        offsets = [timedelta(days=o) for o in shape[1]]
        week0 = datetime.combine(dtstart.date(), at) - timedelta(days=(dtstart.weekday() - rule.wkst) % 7)
        first = [week0 + o for o in offsets if week0 + o >= dtstart]
        for n, occ in enumerate(first):
            if occ > last or n >= most:
                return
            if occ >= lo:
                yield occ
        k = max(1, (lo - week0).days // (7 * step))
        per_week = len(offsets)
        stride = timedelta(days=7 * step)
        week = week0 + k * stride
        n = len(first) + (k - 1) * per_week
        while week <= last:
            for o in offsets:
                occ = week + o
                if occ > last or n >= most:
                    return
                if occ >= lo:
                    yield occ
                n += 1
            week += stride
        return
    if shape[0] in ("monthly", "monthly-nth"):
        day_in = _month_day if shape[0] == "monthly" else _nth_weekday
        base = dtstart.year * 12 + dtstart.month - 1
        first_day = day_in(shape, dtstart.year, dtstart.month)
        shift = 0 if first_day is not None and first_day >= dtstart.day else 1  # month 0's is before DTSTART
        k = max(0, (lo.year * 12 + lo.month - 1 - base) // step)
        while True:
            year, month = divmod(base + k * step, 12)
            if year > 9999 or datetime(year, month + 1, 1) > hi:
                return
            day = day_in(shape, year, month + 1)
            if day is not None:
                occ = datetime.combine(date(year, month + 1, day), at)
                if occ >= dtstart:
                    if occ > last or k - shift >= most:
                        return
                    if occ >= lo:
                        yield occ
            k += 1
    month, day = shape[1], shape[2]
    shift = 0 if (month, day) >= (dtstart.month, dtstart.day) else 1
    k = max(0, (lo.year - dtstart.year) // step)
    while True:
        year = dtstart.year + k * step
        if year > 9999 or datetime(year, 1, 1) > hi:
            return
        if day <= _days_in_month(year, month):
            occ = datetime.combine(date(year, month, day), at)
            if occ >= dtstart:
                if occ > last or k - shift >= most:
                    return
                if occ >= lo:
                    yield occ
        k += 1


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    """calendar.monthrange(year, month)[1], without working out a weekday."""
    return 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month]


def _month_day(shape: tuple, year: int, month: int) -> int | None:
    """("monthly", day): that day, if the month has it."""
    day = shape[1]
    return day if day <= _days_in_month(year, month) else None


def _nth_weekday(shape: tuple, year: int, month: int) -> int | None:
    """("monthly-nth", weekday, n): the day of the month's nth (from the end
    if negative) such weekday, if the month has one."""
    _, weekday, n = shape
    first, days = calendar.monthrange(year, month)
    if n > 0:
        day = 1 + (weekday - first) % 7 + 7 * (n - 1)
    else:
        last = (first + days - 1) % 7
        day = days - (last - weekday) % 7 + 7 * (n + 1)
    return day if 1 <= day <= days else None


def _period_start(freq: int, moment: datetime, wkst: int) -> datetime:
    if freq == du.YEARLY:
        return datetime(moment.year, 1, 1)
    if freq == du.MONTHLY:
        return datetime(moment.year, moment.month, 1)
    day = datetime(moment.year, moment.month, moment.day)
    if freq == du.WEEKLY:
        return day - timedelta(days=(moment.weekday() - wkst) % 7)
    if freq == du.DAILY:
        return day
    if freq == du.HOURLY:
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(second=0, microsecond=0)


def _periods_between(freq: int, a: datetime, b: datetime) -> int:
    """Whole periods from period start `a` to period start `b`."""
    if freq == du.YEARLY:
        return b.year - a.year
    if freq == du.MONTHLY:
        return (b.year - a.year) * 12 + b.month - a.month
    if freq == du.WEEKLY:
        return (b - a).days // 7
    if freq == du.DAILY:
        return (b - a).days
    seconds = int((b - a).total_seconds())
    return seconds // 3600 if freq == du.HOURLY else seconds // 60


def _add_periods(freq: int, start: datetime, n: int) -> datetime:
    if freq == du.YEARLY:
        return start.replace(year=start.year + n)
    if freq == du.MONTHLY:
        months = start.month - 1 + n
        return start.replace(year=start.year + months // 12, month=months % 12 + 1)
    if freq == du.WEEKLY:
        return start + timedelta(weeks=n)
    if freq == du.DAILY:
        return start + timedelta(days=n)
    if freq == du.HOURLY:
        return start + timedelta(hours=n)
    return start + timedelta(minutes=n)


def fast_forward(rule: Rule, dtstart: datetime, before: datetime) -> datetime:
    """The latest DTSTART at most `before`, a whole number of INTERVALs of
    periods after `dtstart`'s period, giving the same occurrences from there on."""
    first = _period_start(rule.freq, dtstart, rule.wkst)
    target = _period_start(rule.freq, before, rule.wkst)
    steps = _periods_between(rule.freq, first, target) // rule.interval
    if steps <= 0:
        return dtstart
    try:
        return _add_periods(rule.freq, first, steps * rule.interval)
    except (ValueError, OverflowError):
        return dtstart


def checkpoints(rule: Rule, dtstart: datetime) -> tuple[list[tuple[int, datetime]], datetime | None]:
    """For a COUNT rule: every CHECKPOINT_EVERY-th occurrence as (index, start)
    and, when the rule ends within CHECKPOINT_LIMIT occurrences, its last one."""
    marks: list[tuple[int, datetime]] = []
    last = None
    limit = min(rule.count or CHECKPOINT_LIMIT, CHECKPOINT_LIMIT)
    n = -1
    try:
        for n, start in enumerate(rule.build(dtstart, count=limit, budget=WALK_STEPS)):
            if n % CHECKPOINT_EVERY == 0 and n:
                marks.append((n, start))
            last = start
    except (WalkTooLong, ValueError):  # no later occurrence within a bounded walk
        pass
    finished = rule.count is not None and n + 1 >= rule.count
    return marks, (last if finished else None)


def first_start(rule: Rule, dtstart: datetime) -> datetime:
    """The rule's first occurrence; OutOfRange unless one falls within
    FIRST_WITHIN of `dtstart` (docs/PROTOCOL.md section 5.2, rule `bounds`).
    Costs at most WALK_STEPS of dateutil's walk."""
    try:
        first = next(iter(rule.build(dtstart, budget=WALK_STEPS)), None)
    except (WalkTooLong, ValueError):  # ValueError: dateutil found the rule empty as it walked
        first = None
    if first is None or first - dtstart > FIRST_WITHIN:
        raise OutOfRange(f"the repeat rule has no occurrence within {FIRST_WITHIN.days // 365} years of the start")
    return first


class GaveUp(Exception):
    """A COUNT rule would need too long a walk to reach the window."""


def iter_starts(
    rule: Rule,
    dtstart: datetime,
    lo: datetime,
    hi: datetime,
    *,
    marks: list[tuple[int, datetime]] | None = None,
) -> Iterator[datetime]:
    """Occurrence starts (wall times) with lo <= start <= hi, ascending.
    Raises GaveUp when a COUNT rule is more than WALK_BUDGET occurrences
    past its nearest checkpoint.

    Not itself a generator: handing back the arithmetic generator saves a
    `yield from` hop per occurrence, which shows in month queries."""
    if rule.simple is not None:
        return _simple_starts(rule, dtstart, lo, hi)
    return _walk_starts(rule, dtstart, lo, hi, marks)


def _walk_starts(
    rule: Rule, dtstart: datetime, lo: datetime, hi: datetime, marks: list[tuple[int, datetime]] | None
) -> Iterator[datetime]:
    """iter_starts for rules dateutil expands: from a fast-forwarded DTSTART,
    or for COUNT rules from the nearest checkpoint."""
    if rule.count is None:
        source = rule.build(fast_forward(rule, dtstart, lo), budget=WALK_STEPS)
        budget = None
    else:
        index, restart = 0, dtstart
        for n, start in marks or ():
            if start > lo:
                break
            index, restart = n, start
        source = rule.build(restart, count=rule.count - index, budget=WALK_STEPS)
        budget = WALK_BUDGET
    walked = 0
    try:
        for start in source:
            if start > hi:
                return
            if start >= lo:
                yield start
            elif budget is not None:
                walked += 1
                if walked > budget:
                    raise GaveUp(f"more than {budget} occurrences to walk before {lo}")
    except (WalkTooLong, ValueError) as e:  # a rule with no next occurrence within a bounded walk
        raise GaveUp(str(e)) from None


# --- an event's times -----------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When an event happens, validated. start/end are wall times (datetime)
    or dates (all-day); zone is None for all-day and floating events."""

    start: date | datetime
    end: date | datetime
    all_day: bool
    zone: ZoneInfo | None
    rule: Rule | None = None
    exdates: frozenset = frozenset()

    duration: timedelta = field(init=False)
    floating: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "duration", as_datetime(self.end) - as_datetime(self.start))
        object.__setattr__(self, "floating", self.zone is None and not self.all_day)


def as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)


def parse_timing(event: dict) -> Timing:
    """Validate the time fields of an event (docs/PROTOCOL.md section 5.2: start, end, tz,
    all_day, rrule, exdates); raise RecurrenceError naming the problem."""
    all_day = event.get("all_day", False)
    if not isinstance(all_day, bool):
        raise RecurrenceError("all_day must be true or false")
    start = parse_local(event.get("start"), what="start")
    end_text = event.get("end")
    if all_day:
        if isinstance(start, datetime):
            raise RecurrenceError("an all-day event starts on a date (YYYY-MM-DD)")
        end = start + timedelta(days=1) if end_text is None else parse_local(end_text, what="end")
        if isinstance(end, datetime):
            raise RecurrenceError("an all-day event ends on a date (YYYY-MM-DD)")
        zone = None
    else:
        if not isinstance(start, datetime):
            raise RecurrenceError("a timed event starts at YYYY-MM-DDTHH:MM:SS (or set all_day)")
        end = start if end_text is None else parse_local(end_text, what="end")
        if not isinstance(end, datetime):
            raise RecurrenceError("a timed event ends at YYYY-MM-DDTHH:MM:SS")
        tz = event.get("tz")
        zone = None if tz is None else get_zone(tz)
    if end < start:
        raise RecurrenceError(f"end {format_local(end)} is before start {format_local(start)}")
    rule = None
    if event.get("rrule") is not None:
        rule = parse_rule(event["rrule"], as_datetime(start), zone=zone)
        first_start(rule, as_datetime(start))
    exdates = event.get("exdates") or []
    if not isinstance(exdates, list) or len(exdates) > 10_000:
        raise RecurrenceError("exdates must be a list")
    parsed = frozenset(as_datetime(parse_local(x, what="exdate")) for x in exdates)
    return Timing(start=start, end=end, all_day=all_day, zone=zone, rule=rule, exdates=parsed)
