"""Repetition for the schedule parser: RFC 5545 RRULE values (section 3.3.10).

A repetition is a dict (freq, interval, byday, nth, bymonthday, bymonth) built
by `events.schedule.phrases`; here it becomes a `dateutil.rrule` to find the
first occurrence, and the RRULE text stored on the draft (without DTSTART).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from dateutil import rrule as du
from dateutil.relativedelta import relativedelta

from events.recurrence.rrule import DAY_CODES, FREQS, UNIT_FREQ
from events.schedule.dates import DateProblem


def _rule(rec: dict[str, Any], dtstart: datetime, interval: int, **limits: Any) -> du.rrule:
    kwargs: dict[str, Any] = {}
    if rec.get("pairs"):
        kwargs["byweekday"] = [du.weekday(d, n) for n, d in rec["pairs"]]
    elif rec["byday"]:
        nth = rec.get("nth")
        kwargs["byweekday"] = [du.weekday(d, nth) if nth else du.weekday(d) for d in rec["byday"]]
    if rec["bymonthday"] is not None:
        kwargs["bymonthday"] = rec["bymonthday"]
    if rec["bymonth"] is not None:
        kwargs["bymonth"] = rec["bymonth"]
    if rec.get("setpos") is not None:
        kwargs["bysetpos"] = rec["setpos"]
    return du.rrule(FREQS[rec["freq"]], dtstart=dtstart, interval=interval, **kwargs, **limits)


def month_days(rec: dict[str, Any]) -> list[int]:
    days = rec["bymonthday"]
    return [] if days is None else list(days) if isinstance(days, list) else [days]


def months_of(rec: dict[str, Any]) -> list[int]:
    months = rec["bymonth"]
    return [] if months is None else list(months) if isinstance(months, list) else [months]


def check_rule(rec: dict[str, Any]) -> None:
    """Refuse rules that can never happen ("every feb 30", every month left out)."""
    if rec["bymonth"] == []:
        raise DateProblem("every month is left out")
    if rec["bymonth"] is not None and isinstance(rec["bymonthday"], int):
        try:
            for month in months_of(rec):
                date(2028, month, rec["bymonthday"])
        except ValueError:
            raise DateProblem("that date never happens") from None
    if any(not 1 <= abs(d) <= 31 for d in month_days(rec)):
        raise DateProblem("that day of the month never happens")


def first_occurrence(rec: dict[str, Any], base: datetime, threshold: datetime) -> datetime:
    """The first occurrence at or after `threshold` of the rule started at `base`.

    The phase of "every other monday" or "every 3 days" starts at that first
    occurrence, so the search runs with an interval of one.
    """
    check_rule(rec)
    found = _rule(rec, base, 1).after(threshold, inc=True)
    if found is None:
        raise DateProblem("the repetition never happens")
    return found


def count_for(rec: dict[str, Any], amount: float, unit: str) -> int | None:
    """"for 6 weeks" as a COUNT when the unit is the rule's own period, else None."""
    if amount <= 0:
        raise DateProblem(f"the repetition should last at least one {unit}")
    if UNIT_FREQ.get(unit) != rec["freq"]:
        return None
    per_period = len(rec["byday"]) if rec["freq"] == "WEEKLY" and rec["byday"] else 1
    return max(1, math.ceil(amount / rec["interval"])) * per_period


def until_after(start: date, amount: float, unit: str) -> date:
    """The last day of a repetition that lasts `amount` units from `start`."""
    if amount != int(amount):
        raise DateProblem(f"the repetition should last a whole number of {unit}s")
    return start + relativedelta(**{unit + "s": int(amount)}) - timedelta(days=1)


def rule_text(rec: dict[str, Any], *, count: int | None, until: date | None, all_day: bool) -> str:
    parts = [f"FREQ={rec['freq']}"]
    if rec["interval"] > 1:
        parts.append(f"INTERVAL={rec['interval']}")
    if rec.get("pairs"):
        parts.append("BYDAY=" + ",".join(f"{n}{DAY_CODES[d]}" for n, d in rec["pairs"]))
    elif rec["byday"]:
        nth = rec.get("nth")
        prefix = str(nth) if nth else ""
        parts.append("BYDAY=" + ",".join(prefix + DAY_CODES[d] for d in rec["byday"]))
    if rec["bymonth"] is not None:
        parts.append("BYMONTH=" + ",".join(str(m) for m in months_of(rec)))
    if rec["bymonthday"] is not None:
        parts.append("BYMONTHDAY=" + ",".join(str(d) for d in month_days(rec)))
    if rec.get("setpos") is not None:
        parts.append(f"BYSETPOS={rec['setpos']}")
    if count is not None:
        parts.append(f"COUNT={count}")
    elif until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}" if all_day else f"UNTIL={until:%Y%m%d}T235959")
    return ";".join(parts)

