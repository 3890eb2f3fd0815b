"""A repeat rule in plain words for the quick-add preview: "monthly on the first Monday".

Reads the RRULE text the parser writes (RFC 5545 section 3.3.10) and never shows
its codes: "FREQ=MONTHLY;BYDAY=1MO" is "monthly on the first Monday", and
"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1" with a month is "the last business day".
"""

from __future__ import annotations

import re

DAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
        "SA": "Saturday", "SU": "Sunday"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
POSITIONS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second to last",
             -3: "third to last", -4: "fourth to last", -5: "fifth to last"}
WORKDAYS = ["MO", "TU", "WE", "TH", "FR"]
UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year", "HOURLY": "hour",
         "MINUTELY": "minute"}
ADVERBS = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly", "HOURLY": "hourly",
           "MINUTELY": "every minute"}


def listed(words: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def day_of_month(n: int) -> str:
    if n == -1:
        return "last day"
    if n < 0:
        return f"{POSITIONS.get(n, str(n))} day"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _every(freq: str, interval: int) -> str:
    if interval == 1:
        return ADVERBS.get(freq, freq.lower())
    unit = UNITS.get(freq, freq.lower())
    return f"every other {unit}" if interval == 2 else f"every {interval} {unit}s"


def _weekdays(codes: list[str]) -> str:
    if sorted(codes, key=list(DAYS).index) == WORKDAYS:
        return "weekdays"
    if sorted(codes) == ["SA", "SU"]:
        return "weekends"
    return listed([DAYS[c] for c in sorted(codes, key=list(DAYS).index)])


def _positioned(codes: list[str]) -> str:
    """"1MO" is "the first Monday"; "2SA,4SA" is "the second and fourth Saturday"."""
    pairs = [(int(m[1]), m[2]) for m in (re.fullmatch(r"([+-]?\d+)([A-Z]{2})", c) for c in codes) if m]
    days = {day for _, day in pairs}
    if len(days) == 1:
        return "the " + listed([POSITIONS.get(n, str(n)) for n, _ in pairs]) + " " + DAYS[pairs[0][1]]
    return listed([f"the {POSITIONS.get(n, str(n))} {DAYS[day]}" for n, day in pairs])


def _months(numbers: list[int]) -> str:
    names = [MONTHS[n - 1] for n in sorted(numbers)]
    left_out = [MONTHS[n] for n in range(12) if n + 1 not in numbers]
    return f"except in {listed(left_out)}" if len(left_out) <= 4 else f"in {listed(names)}"


def describe_repeat(rule: str | None) -> str:
    """The rule in words, or "once" without one."""
    if not rule:
        return "once"
    parts = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    freq = parts.get("FREQ", "")
    interval = int(parts.get("INTERVAL", "1"))
    codes = [c for c in parts.get("BYDAY", "").split(",") if c]
    months = [int(m) for m in parts.get("BYMONTH", "").split(",") if m]
    month_days = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d]
    setpos = parts.get("BYSETPOS")
    plain = [c for c in codes if c in DAYS]
    if freq == "WEEKLY" and interval == 1 and plain:
        text = "every " + ("weekday" if _weekdays(plain) == "weekdays" else _weekdays(plain))
    elif freq in ("DAILY", "WEEKLY") and plain:
        text = f"{_every(freq, interval)} on {_weekdays(plain)}"
    else:
        text = _every(freq, interval)
    if freq in ("MONTHLY", "YEARLY"):
        if setpos and sorted(plain, key=list(DAYS).index) == WORKDAYS:
            text += f" on the {POSITIONS.get(int(setpos), setpos)} business day"
        elif codes and not plain:
            text += " on " + _positioned(codes)
        elif plain:
            text += " on every " + _weekdays(plain)
        if month_days:
            shown = listed([day_of_month(d) for d in month_days])
            if freq == "YEARLY" and len(months) == 1 and len(month_days) == 1 and month_days[0] > 0:
                text += f" on {month_days[0]} {MONTHS[months[0] - 1]}"
                months = []
            else:
                text += f" on the {shown}"
        if months and freq == "YEARLY":
            text += " of " + listed([MONTHS[m - 1] for m in months])
            months = []
    if months:
        text += " " + _months(months)
    if "UNTIL" in parts:
        until = parts["UNTIL"][:8]
        text += f" until {int(until[6:8])} {MONTHS[int(until[4:6]) - 1][:3]} {until[:4]}"
    elif "COUNT" in parts:
        count = int(parts["COUNT"])
        text += ", once" if count == 1 else f", {count} times"
    return text
