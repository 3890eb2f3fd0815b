"""Calendar arithmetic for the schedule parser: phrases to dates and clock times.

Everything here works on local wall-clock values; `localize` and `add_elapsed`
are the only places that meet a time zone, so DST rules live in one spot:
a wall time in the spring-forward gap moves forward by the gap (RFC 5545
section 3.3.5) and durations are elapsed time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from events.schedule.words import DAYPARTS


class DateProblem(ValueError):
    """A phrase names no real date or time; the message quotes it."""


def localize(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The aware instant of wall time `clock` on `day`; gap times move forward."""
    naive = datetime.combine(day, clock)
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def add_elapsed(moment: datetime, delta: timedelta, zone: ZoneInfo) -> datetime:
    return (moment.astimezone(UTC) + delta).astimezone(zone)


def wall(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def next_month_day(month: int, day: int, today: date, text: str) -> date:
    """The first `month`/`day` on or after today (Feb 29 waits for a leap year)."""
    if not 1 <= month <= 12:
        raise DateProblem(f'"{text}" is not a valid date')
    for year in range(today.year, today.year + 9):
        candidate = _safe_date(year, month, day)
        if candidate and candidate >= today:
            return candidate
    raise DateProblem(f'"{text}" is not a valid date')


def next_weekday(weekday: int, today: date, mode: str = "after") -> date:
    """"after": strictly after today; "this": today or later; "next": in next week;
    "after_next": in the week after next ("monday after next")."""
    if mode == "after_next":
        return next_weekday(weekday, today, "next") + timedelta(days=7)
    if mode == "this":
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    if mode == "next":
        return today + timedelta(days=7 - today.weekday() + weekday)
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def nth_weekday(year: int, month: int, n: int, weekday: int) -> date | None:
    if n > 0:
        first = date(year, month, 1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    else:
        last = date(year, month, 1) + relativedelta(months=1, days=-1)
        day = last - timedelta(days=(last.weekday() - weekday) % 7)
    return day if day.month == month else None


def slash_month_day(data: dict[str, Any], day_first: bool) -> tuple[int, int]:
    a, b = data["a"], data["b"]
    month, day = (b, a) if day_first else (a, b)
    if month > 12 and day <= 12:
        month, day = day, month
    return month, day


def resolve_date(data: dict[str, Any], today: date, day_first: bool) -> tuple[date, date]:
    """The first and last day a date phrase names, counting from `today`."""
    text = data.get("text", "")
    kind = data["type"]
    if kind in ("abs", "slash"):
        if kind == "slash":
            month, day = slash_month_day(data, day_first)
        else:
            month, day = data["m"], data["d"]
        if data["y"] is not None:
            found = _safe_date(data["y"], month, day) if 1 <= month <= 12 else None
            if found is None:
                raise DateProblem(f'"{text}" is not a valid date')
        else:
            found = next_month_day(month, day, today, text)
        return found, found
    if kind == "weekday":
        found = next_weekday(data["wd"], today, data["mode"])
        return found, found
    if kind == "rel":
        found = today + timedelta(days=data["days"])
        return found, found
    if kind == "ord":
        day = data["d"]
        if not 1 <= day <= 31:
            raise DateProblem(f'"{text}" is not a valid day of the month')
        for months in range(0, 13):
            first = today.replace(day=1) + relativedelta(months=months)
            candidate = _safe_date(first.year, first.month, day)
            if candidate and candidate >= today:
                return candidate, candidate
        raise DateProblem(f'"{text}" is not a valid day of the month')
    if kind == "nth":
        if data.get("y") and data.get("m"):
            found = nth_weekday(data["y"], data["m"], data["n"], data["wd"])
            if found is None:
                raise DateProblem(f'"{text}" is not a valid date')
            return found, found
        for months in range(0, 60):
            first = today.replace(day=1) + relativedelta(months=months)
            if data.get("m") and first.month != data["m"] or data.get("y") and first.year != data["y"]:
                continue
            candidate = nth_weekday(first.year, first.month, data["n"], data["wd"])
            if candidate and (candidate >= today or data.get("y")):
                return candidate, candidate
        raise DateProblem(f'"{text}" is not a valid date')
    if kind == "weekend":
        if data["next"]:
            saturday = next_weekday(5, today, "next")
        elif today.weekday() == 6:
            return today, today
        else:
            saturday = next_weekday(5, today, "this")
        return saturday, saturday + timedelta(days=1)
    if kind == "period_end":
        if data["unit"] == "year":
            found = date(today.year, 12, 31)
        else:
            found = today.replace(day=1) + relativedelta(months=1, days=-1)
        return found, found
    if kind == "month_end":
        year = data["y"] or (today.year if data["m"] >= today.month else today.year + 1)
        found = date(year, data["m"], 1) + relativedelta(months=1, days=-1)
        return found, found
    if kind == "offset":
        found = today + offset_delta(data["amount"], data["unit"], text)
        return found, found
    if kind == "shifted":
        found = resolve_date(data["base"], today, day_first)[0] + timedelta(days=data["days"])
        return found, found
    if kind == "month_start":
        year = data["y"] or (today.year if data["m"] >= today.month else today.year + 1)
        found = max(date(year, data["m"], 1), today)
        return found, found
    raise DateProblem(f'"{text}" is not a date')


def offset_delta(amount: float, unit: str, text: str) -> relativedelta:
    if unit in ("month", "year", "day", "week") and amount != int(amount):
        raise DateProblem(f'"{text}" is not a whole number of {unit}s')
    n = int(amount)
    if n > 100_000:
        raise DateProblem(f'"{text}" is too far away')
    return relativedelta(**{unit + "s": n})


def resolve_end_date(data: dict[str, Any], start: date, today: date, day_first: bool) -> date:
    """The last day of a range "start to <data>": a bare day or weekday counts from start."""
    kind = data["type"]
    text = data.get("text", "")
    if kind in ("abs", "slash") and data["y"] is None:
        month, day = slash_month_day(data, day_first) if kind == "slash" else (data["m"], data["d"])
        found = _safe_date(start.year, month, day) if 1 <= month <= 12 else None
        if found is None:
            raise DateProblem(f'"{text}" is not a valid date')
        if found < start and month < start.month:
            found = _safe_date(start.year + 1, month, day)
            if found is None:
                raise DateProblem(f'"{text}" is not a valid date')
        return found
    if kind == "weekday":
        return next_weekday(data["wd"], start, "this")
    if kind == "ord":
        return resolve_date(data, start, day_first)[0]
    return resolve_date(data, today, day_first)[1]


def duration_delta(amount: float, unit: str) -> timedelta:
    hours = {"minute": 1 / 60, "hour": 1, "day": 24, "week": 168}.get(unit)
    if hours is None:
        raise DateProblem(f"a duration in {unit}s needs a date, not a time")
    if amount <= 0:
        raise DateProblem("the duration must be longer than zero")
    if amount * hours > 24 * 366:
        raise DateProblem("the event is longer than a year")
    return timedelta(hours=amount * hours)


def resolve_clock(data: dict[str, Any], pm: bool | None) -> time:
    """A clock phrase as a time of day; `pm` is the part of day around it, if named."""
    hour, minute, mer = data["h"], data["m"], data["mer"]
    text = data.get("text", "").strip()
    if minute > 59:
        raise DateProblem(f'"{text}" is not a valid time')
    if hour == 24 and minute == 0 and not mer:
        return time(0)  # "24:00", the midnight that ends the day
    if mer:
        if hour == 0 or hour > 12:
            raise DateProblem(f'"{text}" is not a valid time')
        hour = hour % 12 + (12 if mer == "p" else 0)
    elif pm and hour < 12 and not data.get("marker"):
        hour += 12
    elif pm is None and not data["literal"] and 1 <= hour <= 6:
        hour += 12
    if hour > 23:
        raise DateProblem(f'"{text}" is not a valid time')
    return time(hour, minute)


def resolve_clock_range(first: dict[str, Any], last: dict[str, Any], pm: bool | None) -> tuple[time, time]:
    """Start and end of "9-10am", "10:30-2", "10pm-2": a missing am/pm is inferred.

    A bare end is the first time on the clock after the start ("10:30-2" ends at
    14:00, "12:30-1:15" at 13:15); when there is none, the range crosses
    midnight ("10pm-2" ends at 2:00 the next day).
    """
    if last["mer"] and not first["mer"] and first["h"] <= 12:
        guess = dict(first, mer=last["mer"])
        start = resolve_clock(guess, pm)
        end = resolve_clock(last, pm)
        if start > end:
            start = resolve_clock(dict(first, mer="a" if last["mer"] == "p" else "p"), pm)
        return start, end
    start = resolve_clock(first, pm)
    if last["mer"] or last["literal"] or last.get("marker") or last["h"] > 12:
        return start, resolve_clock(last, pm)
    if last["m"] > 59:
        raise DateProblem(f'"{last.get("text", "").strip()}" is not a valid time')
    hour = last["h"] % 12
    for candidate in (time(hour, last["m"]), time(hour + 12, last["m"])):
        if candidate > start:
            return start, candidate
    return start, time(hour, last["m"])


def crosses_midnight(start: time, end: time) -> bool:
    """"10pm-2", "night shift 22:00 to 06:00": an evening start and an early end."""
    return end < start and start >= time(17) and end <= time(10)


def daypart_of(word: str | None) -> tuple[int, bool] | None:
    if not word:
        return None
    return DAYPARTS.get(word.split()[-1])
