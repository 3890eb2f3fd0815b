"""Whole-window expansion and the plain dateutil walk, as oracles for the
tests of `events.recurrence.expansion` (the index consumes `iter_starts`
directly, capping as it goes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from events.recurrence.expansion import MAX_OCCURRENCES, GaveUp, iter_starts
from events.recurrence.rrule import Rule


@dataclass
class Expansion:
    starts: list[datetime]  # wall times, ascending
    capped: bool = False  # more occurrences exist in the window than returned


def expand(
    rule: Rule,
    dtstart: datetime,
    lo: datetime,
    hi: datetime,
    *,
    marks: list[tuple[int, datetime]] | None = None,
    limit: int = MAX_OCCURRENCES,
) -> Expansion:
    """Occurrence starts (wall times) with lo <= start <= hi, at most `limit`."""
    out: list[datetime] = []
    try:
        for start in iter_starts(rule, dtstart, lo, hi, marks=marks):
            if len(out) == limit:
                return Expansion(out, capped=True)
            out.append(start)
    except GaveUp:
        return Expansion(out, capped=True)
    return Expansion(out)


def naive_expand(rule: Rule, dtstart: datetime, lo: datetime, hi: datetime) -> list[datetime]:
    """The plain way (walks from DTSTART); a test oracle for `expand`."""
    return rule.build(dtstart).between(lo, hi, inc=True)


def to_utc(wall: datetime, zone: tzinfo) -> datetime:
    """A wall time in `zone` placed as RFC 5545 3.3.5 asks (fold=0), in UTC."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
