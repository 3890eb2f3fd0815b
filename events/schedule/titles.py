"""What in a quick-add line belongs to the title, whatever it looks like.

Text in quotes is the title word for word ("\"Dinner at 8\" tomorrow at 6pm"),
a phone number is not a time ("ring 020 7946 0958"), and a title that starts
with a day's name keeps it when the schedule names that day again ("monday
blues club every monday"). The masks keep the text's length, so every offset
still points into the user's own text.
"""

from __future__ import annotations

import re

from events.schedule.words import Phrase

MASK = "\x01"
# Quotes that open and close at word edges: `onerror="x"` or `5'10"` quote no title.
QUOTED = re.compile(r'(?<![\w=])(?:"[^"\n]+"|“[^”\n]+”|«[^»\n]+»)(?!\w)')
# Groups of digits joined by spaces, dots or dashes, 7 digits or more: "020 7946 0958", "+44 20 7946 0958".
PHONE = re.compile(r"(?<![\w:.+/-])(?:\+\d{1,3}[\s.-]?)?\(?\d{2,6}\)?(?:[\s.-]\d{2,6}){1,3}(?![\w:/.-])")
PHONE_DIGITS = 7
DATE_SHAPE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")


def mask_title_text(low: str) -> tuple[str, bool]:
    """`low` with quoted text and phone numbers hidden from the phrase patterns; and whether it had quotes."""
    quoted = False

    def hide(m: re.Match[str]) -> str:
        return MASK * len(m.group(0))

    masked, count = QUOTED.subn(hide, low)
    quoted = count > 0

    def hide_phone(m: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in m.group(0))
        if digits < PHONE_DIGITS or DATE_SHAPE.fullmatch(m.group(0)):
            return m.group(0)
        return hide(m)

    masked = PHONE.sub(hide_phone, masked)
    return masked, quoted


def unquote(title: str) -> str:
    """The title without the quotes that delimited it; other quote marks stay."""
    return re.sub(r"\s+", " ", QUOTED.sub(lambda m: m.group(0)[1:-1], title)).strip()


def _days_named(phrase: Phrase) -> set[int]:
    if phrase.kind == "rec":
        return set(phrase.data.get("byday") or [])
    if phrase.kind == "date" and phrase.data.get("type") == "weekday":
        return {phrase.data["wd"]}
    return set()


def keep_leading_day(phrases: list[Phrase], low: str) -> list[Phrase]:
    """Drop a bare day name that opens the line when a later phrase names that day again."""
    if len(phrases) < 2:
        return phrases
    first = phrases[0]
    data = first.data
    if first.kind != "date" or data.get("type") != "weekday" or data.get("mode") != "after" \
            or data.get("daypart") or low[: first.start].strip():
        return phrases
    after = low[first.end : phrases[1].start]
    if not re.match(r"\s+[^\W\d_]", after) or re.match(r"\s+(?:and|or|to|thru|through|till|until|&)(?![\w])", after):
        return phrases  # "monday 9am ...", "mon and wed ...": the day is part of the schedule
    if any(data["wd"] in _days_named(p) for p in phrases[1:]):
        return phrases[1:]
    return phrases
