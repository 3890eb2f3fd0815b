"""Range queries on the index: the occurrences overlapping a window, seen from a zone.

Rows are found by their UTC span: short ones by a range scan on span_start,
long ones (mostly open-ended series) from a snapshot kept between queries
(`events.index.snapshot`), with the occurrences each series leaves out. Each
candidate row is expanded by `events.index.expand`; the results are sorted
by wall-clock start. The snapshot keeps the answers of the last windows
asked for and brings them up to date with each index change, key by key:
occurrences are shared between answers and are read-only.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from events.index import snapshot
from events.index.expand import Frame, Occurrence
from events.recurrence.expansion import MAX_OCCURRENCES
from events.recurrence.timing import FIRST_YEAR, LAST_YEAR, RecurrenceError, get_zone


class QueryError(ValueError):
    """A range query that cannot be answered (bad range or zone)."""


@dataclass
class QueryResult:
    occurrences: list[Occurrence]  # shared with other queries: read-only
    capped: list[str] = field(default_factory=list)  # uids of series cut at the per-query cap

    @property
    def truncated(self) -> bool:
        return bool(self.capped)


def _as_viewer_time(value: datetime | date, zone: tzinfo | None, viewer: tzinfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=zone or viewer, fold=0).astimezone(viewer)


def _window(start: date | datetime, end: date | datetime, tz: str) -> tuple[tzinfo, datetime, datetime]:
    try:
        viewer = get_zone(tz)
    except RecurrenceError as e:
        raise QueryError(str(e)) from None
    lo = _as_viewer_time(start, None, viewer) if not _aware(start) else start.astimezone(viewer)  # type: ignore[union-attr]
    hi = _as_viewer_time(end, None, viewer) if not _aware(end) else end.astimezone(viewer)  # type: ignore[union-attr]
    if hi < lo:
        raise QueryError(f"FROM ({lo.isoformat()}) is after TO ({hi.isoformat()})")
    # Spans are widened by hours for floating times and zones: keep clear of
    # the ends of Python's calendar so that arithmetic cannot overflow.
    if lo.year < FIRST_YEAR or hi.year > LAST_YEAR:
        raise QueryError(f"dates must lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    return viewer, lo, hi


def _aware(value: date | datetime) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None


def query(start: date | datetime, end: date | datetime, tz: str = "UTC", *, limit: int = MAX_OCCURRENCES) -> QueryResult:
    """Occurrences overlapping [start, end) as seen from the zone `tz`.

    Naive `start`/`end` (or dates) are wall times in `tz`. Raises QueryError
    for an unknown zone or a range that ends before it starts.
    """
    viewer, lo, hi = _window(start, end, tz)
    with snapshot.lock, _no_cycle_collection():
        answer = snapshot.current().answer(lo, hi, viewer, limit=limit)
        return QueryResult(answer.shown(), list(answer.capped.values()))


@contextmanager
def _no_cycle_collection():
    """Expansion allocates many small objects and no reference cycles; letting
    the cycle collector walk the whole heap meanwhile doubled query times."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def occurrences_of_rows(items: list[tuple[tuple, datetime, datetime]], tz: str, *, limit: int) -> list[list[Occurrence]]:
    """For each (row, start, end): the occurrences in [start, end) of that
    index row (`snapshot.ROW_FIELDS` values), as `query` shows them: a series leaves
    out its overridden and cancelled occurrences, an override shows only
    while its series does. Raises QueryError for a window no zone can hold."""
    answers: list[list[Occurrence]] = []
    with snapshot.lock:
        current = snapshot.current()
        for fields, start, end in items:
            viewer, lo, hi = _window(start, end, tz)
            out: list[Occurrence] = []
            row = snapshot.parse_row(fields)
            if row is not None:
                snapshot.occurrences_of(row, out, current, Frame(lo, hi, viewer, limit=limit))
            out.sort(key=snapshot.ORDER)
            answers.append(out)
    return answers
