"""RRULE values (RFC 5545 section 3.3.10) as the UI needs them: split into the
edit form's fields, built back from them, and described in words. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = {
    "MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
    "FR": "Friday", "SA": "Saturday", "SU": "Sunday",
}
UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}


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
        parts.append("BYDAY=" + ",".join(d for d in DAYS if d in repeat.byday))
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
    unit = UNITS.get(repeat.freq)
    if unit is None:
        return rrule
    if repeat.freq == "WEEKLY" and repeat.byday and repeat.interval == 1:
        text = "every " + _names(repeat.byday)
    else:
        text = {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}[unit]
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
    return ", ".join(DAY_NAMES[d] for d in DAYS if d in days)
