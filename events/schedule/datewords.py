"""Date phrases for the schedule parser: "dec 5", "12/5", "tomorrow", "monday after next".

The handlers turn a match of the pattern list in `events.schedule.phrases` into a
"date" phrase whose data `events.schedule.dates` resolves against today.
"""

from __future__ import annotations

import re
from typing import Any

from events.schedule.words import (
    ALL_WEEKDAYS,
    MONTHS,
    NUMBERS,
    RELATIVE_DAYS,
    WEEKDAYS,
    ZONE_NAMES,
    Phrase,
    nth_of,
    unit_of,
)


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _date(match: re.Match[str], **data: Any) -> Phrase:
    return Phrase(match.start(), match.end(), "date", data)


def date_month_range(m: re.Match[str]) -> Phrase:
    month = MONTHS[m["mon"].rstrip(".")]
    year = _year(m["y"])
    first = {"type": "abs", "y": year, "m": month, "d": int(m["d1"])}
    last = {"type": "abs", "y": year, "m": month, "d": int(m["d2"])}
    return Phrase(m.start(), m.end(), "drange", {"first": first, "last": last, "text": m.group(0)})


def date_iso(m: re.Match[str]) -> Phrase:
    return _date(m, type="abs", y=int(m["y"]), m=int(m["mo"]), d=int(m["d"]), text=m.group(0))


def date_month_day(m: re.Match[str]) -> Phrase:
    return _date(m, type="abs", y=_year(m["y"]), m=MONTHS[m["mon"].rstrip(".")], d=int(m["d"]),
                 text=m.group(0))


def date_slash(m: re.Match[str]) -> Phrase:
    return _date(m, type="slash", a=int(m["a"]), b=int(m["b"]), y=_year(m["y"]), text=m.group(0))


def date_dots(m: re.Match[str]) -> Phrase:
    return _date(m, type="abs", y=_year(m["y"]), m=int(m["b"]), d=int(m["a"]), text=m.group(0))


def date_relative(m: re.Match[str]) -> Phrase:
    days, part = RELATIVE_DAYS[re.sub(r"\s+", " ", m["rel"])]
    if m["dp"]:
        part = m["dp"]
    return _date(m, type="rel", days=days, daypart=part, text=m.group(0))


def date_period_end(m: re.Match[str]) -> Phrase:
    """"the end of the year", "end of march", "(until) january": the last day of that period."""
    if m["mon"]:
        return _date(m, type="month_end", m=MONTHS[m["mon"].rstrip(".")], y=_year(m["y"]), text=m.group(0))
    return _date(m, type="period_end", unit=m["unit"], text=m.group(0))


def zone_name(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "zone", {"zone": ZONE_NAMES[m["z"]]})


def date_tom(m: re.Match[str]) -> Phrase:
    return _date(m, type="rel", days=1, daypart=None, text=m.group(0))


def date_weekend(m: re.Match[str]) -> Phrase:
    nxt = bool(m["mod"]) and any(w in m["mod"] for w in ("next", "chstes", "ximo"))
    return _date(m, type="weekend", next=nxt, text=m.group(0))


# Words after which "tom" is a name, not tomorrow.
NAME_TAKERS = ("with", "call", "meet", "ask", "tell", "text", "email", "see", "visit", "and", "to", "for",
               "from", "ping", "remind", "help", "&", "+", "w/", "by", "pick up", "thank", "at", "dear")

NEXT_WORDS = ("next", "nächsten", "nächster", "nächste", "naechsten", "naechster", "próximo",
              "proximo", "prochain", "prochaine", "que viene", "qui vient", "next week")


def date_weekday(m: re.Match[str]) -> Phrase:
    mod = " ".join(filter(None, [m["mod"], m["post"]]))
    mode = "after"
    if m["post"] and "after next" in m["post"]:
        mode = "after_next"  # "monday after next": the monday of the week after next
    elif any(w in mod for w in NEXT_WORDS) or m["post"] and "following" in m["post"]:
        mode = "next"
    elif mod:
        mode = "this"
    return _date(m, type="weekday", wd=WEEKDAYS[m["wd"].rstrip(".")], mode=mode,
                 daypart=m["dp"], text=m.group(0))


def date_nth_weekday(m: re.Match[str]) -> Phrase:
    month = MONTHS[m["mon"].rstrip(".")] if m["mon"] else None
    return _date(m, type="nth", n=nth_of(m["nth"]), wd=ALL_WEEKDAYS[m["wd"].rstrip(".")], m=month,
                 y=_year(m["y"]), text=m.group(0))


def date_ordinal(m: re.Match[str]) -> Phrase:
    return _date(m, type="ord", d=int(m["d"]), text=m.group(0))


def _amount_of(text: str) -> int:
    text = re.sub(r"\s+", " ", text.strip())
    return int(text) if text.isdigit() else NUMBERS[text]


def date_shifted(m: re.Match[str]) -> Phrase:
    """"two days after tomorrow", "a week from friday": a day counted from another day."""
    days = _amount_of(m["amt"]) * (7 if unit_of(m["unit"]) == "week" else 1)
    if m["rel"]:
        base: dict[str, Any] = {"type": "rel", "days": RELATIVE_DAYS[re.sub(r"\s+", " ", m["rel"])][0]}
    else:
        base = {"type": "weekday", "wd": WEEKDAYS[m["wd"].rstrip(".")], "mode": "after"}
    return _date(m, type="shifted", base=base, days=days, text=m.group(0))


def date_month_start(m: re.Match[str]) -> Phrase:
    """"(starting) in april": the first day of the next april, where a repetition begins."""
    return _date(m, type="month_start", m=MONTHS[m["mon"].rstrip(".")], y=_year(m["y"]), text=m.group(0))
