"""Repetition phrases for the schedule parser: "every tuesday", "biweekly", "the 1st of each month".

Each handler turns a match into a "rec" phrase whose data (freq, interval,
byday, nth, bymonthday, bymonth) `events.schedule.rules` makes into an RRULE.
"""

from __future__ import annotations

import re
from typing import Any

from events.recurrence.rrule import UNIT_FREQ
from events.schedule.words import (
    ALL_WEEKDAYS,
    MONTHS,
    NTH_WORD,
    NUMBERS,
    WD_ANY,
    Phrase,
    PhraseError,
    nth_of,
    unit_of,
)


def _weekdays_in(text: str) -> list[int]:
    found = [ALL_WEEKDAYS[w] for w in re.findall(WD_ANY.replace(r"\.?", ""), text)]
    return sorted(set(found), key=found.index)


def _rec(**data: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"freq": None, "interval": 1, "byday": [], "bymonthday": None, "bymonth": None}
    base.update(data)
    return base


def rec_nth_of_month(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "rec", _rec(
        freq="MONTHLY", byday=[ALL_WEEKDAYS[m["wd"].rstrip(".")]], nth=nth_of(m["nth"])))


def rec_last_day(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "rec", _rec(freq="MONTHLY", bymonthday=-1))


ORDINAL_INTERVALS = {"other": 2, "second": 2, "alternate": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}


def _month_interval(m: re.Match[str]) -> int:
    """"of every third month", "of every other month", "of every 2 months": the interval."""
    step = m.groupdict().get("step")
    if not step:
        return 1
    step = re.sub(r"(?:st|nd|rd|th)$", "", step) if step[0].isdigit() else step
    interval = int(step) if step.isdigit() else ORDINAL_INTERVALS.get(step) or NUMBERS.get(step, 1)
    if interval < 1:
        raise PhraseError(f'"{m.group(0).strip()}" is not a valid repetition', m.start(), m.end())
    return interval


def rec_day_of_month(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "rec", _rec(freq="MONTHLY", bymonthday=int(m["d"]),
                                                   interval=_month_interval(m)))


def rec_business_day(m: re.Match[str]) -> Phrase:
    """"the last business day of the month": the nth of the month's weekdays (BYSETPOS)."""
    return Phrase(m.start(), m.end(), "rec", _rec(freq="MONTHLY", byday=[0, 1, 2, 3, 4], setpos=nth_of(m["nth"] or m["nth2"])))


def months_in(text: str) -> list[int]:
    found = [MONTHS[w.rstrip(".")] for w in re.findall(r"[^\W\d_]+\.?", text) if w.rstrip(".") in MONTHS]
    return sorted(set(found))


def rec_nth_of_months(m: re.Match[str]) -> Phrase:
    """"the second tuesday of feb, may, aug and nov": yearly in those months."""
    day = ALL_WEEKDAYS[m["wd"].rstrip(".")]
    return Phrase(m.start(), m.end(), "rec", _rec(freq="YEARLY", byday=[day], nth=nth_of(m["nth"]),
                                                   bymonth=months_in(m["months"])))


def rec_weekdays(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "rec", _rec(freq="WEEKLY", byday=[0, 1, 2, 3, 4], daypart=m["dp"]))


def rec_weekends(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "rec", _rec(freq="WEEKLY", byday=[5, 6]))


def rec_times_a_week(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "rec", _rec(freq="WEEKLY", per_week=m["n"]))


RANGE_WORD = re.compile(r"\s*(?:-|–|—)\s*|\s+(?:to|thru|through|till|until)\s+")


def weekdays_of_list(text: str) -> list[int]:
    """"tue-thu" and "monday to wednesday" are every day between; "mon-wed-fri" is a list."""
    days = _weekdays_in(text)
    separators = RANGE_WORD.findall(text)
    if len(days) == 2 and separators:
        first, last = days
        return [(first + i) % 7 for i in range((last - first) % 7 + 1)]
    return days


def rec_every_weekday(m: re.Match[str]) -> Phrase:
    interval = 2 if m["other"] else int(m["n"]) if m["n"] else 1
    return Phrase(m.start(), m.end(), "rec", _rec(
        freq="WEEKLY", interval=interval, byday=weekdays_of_list(m["list"]), daypart=m["dp"]))


def rec_every_daypart(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "rec", _rec(freq="DAILY", daypart=m["dp"]))


def rec_every_unit(m: re.Match[str]) -> Phrase:
    if m["other"]:
        interval = 2
    elif m["n"]:
        interval = int(m["n"]) if m["n"].isdigit() else NUMBERS[m["n"]]
    else:
        interval = 1
    if interval < 1:
        raise PhraseError(f'"{m.group(0)}" is not a valid repetition', m.start(), m.end())
    freq = UNIT_FREQ[unit_of(m["unit"])]
    return Phrase(m.start(), m.end(), "rec", _rec(freq=freq, interval=interval))


def rec_every_date(m: re.Match[str]) -> Phrase:
    """"every" before a month and day: yearly, the date follows as its own phrase."""
    return Phrase(m.start(), m.end(), "rec", _rec(freq="YEARLY"))


def rec_plural_weekdays(m: re.Match[str]) -> Phrase:
    """"mondays and wednesdays": weak, so "biweekly" may still set the interval."""
    return Phrase(m.start(), m.end(), "rec", _rec(freq="WEEKLY", byday=_weekdays_in(m.group(0)), weak=True))


def rec_every_nth_weekday(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "rec", _rec(
        freq="MONTHLY", byday=[ALL_WEEKDAYS[m["wd"].rstrip(".")]], nth=nth_of(m["nth"])))


ADVERBS = {
    "daily": ("DAILY", 1), "weekly": ("WEEKLY", 1), "monthly": ("MONTHLY", 1),
    "yearly": ("YEARLY", 1), "annually": ("YEARLY", 1), "hourly": ("HOURLY", 1),
    "biweekly": ("WEEKLY", 2), "bi-weekly": ("WEEKLY", 2), "fortnightly": ("WEEKLY", 2),
    "quarterly": ("MONTHLY", 3), "täglich": ("DAILY", 1), "taeglich": ("DAILY", 1),
    "wöchentlich": ("WEEKLY", 1), "woechentlich": ("WEEKLY", 1), "monatlich": ("MONTHLY", 1),
    "jährlich": ("YEARLY", 1), "jaehrlich": ("YEARLY", 1), "quotidien": ("DAILY", 1),
    "quotidienne": ("DAILY", 1), "hebdomadaire": ("WEEKLY", 1), "mensuel": ("MONTHLY", 1),
    "mensuelle": ("MONTHLY", 1), "annuel": ("YEARLY", 1), "annuelle": ("YEARLY", 1),
    "diario": ("DAILY", 1), "diaria": ("DAILY", 1), "diariamente": ("DAILY", 1),
    "semanal": ("WEEKLY", 1), "semanalmente": ("WEEKLY", 1), "mensual": ("MONTHLY", 1),
    "mensualmente": ("MONTHLY", 1), "anual": ("YEARLY", 1), "anualmente": ("YEARLY", 1),
}


def rec_adverb(m: re.Match[str]) -> Phrase:
    freq, interval = ADVERBS[m["adv"]]
    return Phrase(m.start(), m.end(), "rec", _rec(freq=freq, interval=interval, adverb=True))


def rec_nths_of_month(m: re.Match[str]) -> Phrase | None:
    """"every 2nd and 4th thursday", "the first and third monday of the month"."""
    if not (m["every"] or m["month"]):
        return None
    day = ALL_WEEKDAYS[m["wd"].rstrip(".")]
    nths = [nth_of(w) for w in re.findall(NTH_WORD, m["nths"])]
    pairs = [(n, day) for n in sorted(set(nths), key=lambda n: (n < 0, n))]
    return Phrase(m.start(), m.end(), "rec", _rec(freq="MONTHLY", byday=[day], pairs=pairs))
