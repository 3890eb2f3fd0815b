"""Absolute dates in the languages the phrase patterns do not know: "15 dicembre", "15 grudnia".

dateparser knows the month names of some two hundred languages. It is asked
only when the patterns found no date at all, and only about a day number next
to a word ("15 dicembre", "3 de janeiro", "ocak 5"); it is imported on first
use, so the common path neither loads nor waits for it.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from events.schedule.words import Phrase

FRAGMENTS = (
    re.compile(r"(?<![\w.:/])\d{1,2}\.?\s+(?:(?:de|di|del)\s+)?[^\W\d_]{3,}\.?(?:\s+(?:de\s+)?(?P<y>[12]\d{3}))?(?![\w])"),
    re.compile(r"(?<![\w])[^\W\d_]{3,}\.?\s+\d{1,2}(?:\.|,)?(?:\s+(?P<y>[12]\d{3}))?(?![\w:.])"),
)
DATE_KINDS = ("date", "drange", "rec", "offset")
# Named rather than detected: detection over all of dateparser's languages takes seconds on the
# first miss, these load in about one. Languages whose dates are written "15 <month>" or "<month> 15".
LANGUAGES = ("it", "pt", "nl", "pl", "cs", "sk", "sl", "hr", "ro", "hu", "fi", "sv", "da", "nb", "tr", "ru",
             "uk", "bg", "el", "ca", "lt", "lv", "et", "id", "fr", "de", "es", "en")
SETTINGS: Any = {"REQUIRE_PARTS": ["day", "month"], "PREFER_DATES_FROM": "future"}
RELATIVE_BASES = (datetime(2001, 1, 10), datetime(2001, 6, 20))


def _covered(phrases: list[Phrase], start: int, end: int) -> bool:
    return any(p.start < end and start < p.end for p in phrases)


@lru_cache(maxsize=512)
def read_month_day(fragment: str) -> tuple[int, int] | None:
    """The (month, day) dateparser reads in `fragment`; the year is decided by the caller."""
    import dateparser  # loaded on first use: most lines never need it

    # Read against two unrelated days: a date ("15 dicembre") reads the same from both, a span of
    # time ("3 days": three days from then) does not, whatever today is.
    found = [dateparser.parse(fragment, languages=list(LANGUAGES), settings={**SETTINGS, "RELATIVE_BASE": base})
             for base in RELATIVE_BASES]
    day = re.search(r"(?<!\d)\d{1,2}(?!\d)", fragment)
    if None in found or day is None or len({(f.month, f.day) for f in found}) != 1 or found[0].day != int(day.group(0)):
        return None
    return found[0].month, found[0].day


def warm_up() -> None:
    """Load the languages' data: the first date found, and the first fragment that is none, are slow."""
    read_month_day("15 dicembre")
    read_month_day("room 4")


def add_foreign_date(phrases: list[Phrase], low: str) -> list[Phrase]:
    """`phrases` with the first date dateparser reads in `low`, when the patterns found none."""
    if any(p.kind in DATE_KINDS for p in phrases):
        return phrases
    for pattern in FRAGMENTS:
        for m in pattern.finditer(low):
            if _covered(phrases, m.start(), m.end()):
                continue
            found = read_month_day(m.group(0))
            if found is None:
                continue
            year = int(m["y"]) if m["y"] else None
            date = Phrase(m.start(), m.end(), "date", {"type": "abs", "y": year, "m": found[0], "d": found[1],
                                                       "text": m.group(0)})
            return sorted([*phrases, date], key=lambda p: p.start)
    return phrases
