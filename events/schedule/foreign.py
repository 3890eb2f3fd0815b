"""Absolute dates in the languages the phrase patterns do not know: "15 dicembre", "15 grudnia".

dateparser knows the month names of some two hundred languages. It is asked
only when the patterns found no date at all, and only about a day number next
to a word ("15 dicembre", "3 de janeiro", "ocak 5"); it is imported on first
use, so the common path neither loads nor waits for it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from events.schedule.words import Phrase

FRAGMENTS = (
    re.compile(r"(?<![\w.:/])\d{1,2}\.?\s+(?:(?:de|di|del)\s+)?[^\W\d_]{3,}\.?(?:\s+(?:de\s+)?(?P<y>[12]\d{3}))?(?![\w])"),
    re.compile(r"(?<![\w])[^\W\d_]{3,}\.?\s+\d{1,2}(?:\.|,)?(?:\s+(?P<y>[12]\d{3}))?(?![\w:.])"),
)
DATE_KINDS = ("date", "drange", "rec", "offset")


def _covered(phrases: list[Phrase], start: int, end: int) -> bool:
    return any(p.start < end and start < p.end for p in phrases)


def _read(fragment: str, now: datetime) -> datetime | None:
    import dateparser  # loaded on first use: most lines never need it

    settings: Any = {"REQUIRE_PARTS": ["day", "month"], "PREFER_DATES_FROM": "future",
                     "RELATIVE_BASE": now.replace(tzinfo=None), "RETURN_AS_TIMEZONE_AWARE": False}
    return dateparser.parse(fragment, settings=settings)


def add_foreign_date(phrases: list[Phrase], low: str, now: datetime) -> list[Phrase]:
    """`phrases` with the first date dateparser reads in `low`, when the patterns found none."""
    if any(p.kind in DATE_KINDS for p in phrases):
        return phrases
    for pattern in FRAGMENTS:
        for m in pattern.finditer(low):
            if _covered(phrases, m.start(), m.end()):
                continue
            found = _read(m.group(0), now)
            day = re.search(r"(?<!\d)\d{1,2}(?!\d)", m.group(0))
            if found is None or day is None or found.day != int(day.group(0)):
                continue  # "3 days" is a span of time to dateparser, not a date
            year = int(m["y"]) if m["y"] else None
            date = Phrase(m.start(), m.end(), "date", {"type": "abs", "y": year, "m": found.month, "d": found.day,
                                                       "text": m.group(0)})
            return sorted([*phrases, date], key=lambda p: p.start)
    return phrases
