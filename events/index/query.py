"""Range queries on the index: the occurrences overlapping a window, seen from a zone.

Rows are found by their UTC span: short ones by a range scan on span_start,
long ones (mostly open-ended series) from a snapshot read once per index
version, with the occurrences each series leaves out. Each candidate row is
expanded by `events.index.expand`; the results are sorted by wall-clock start.
"""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from operator import attrgetter

from django.db import connections
from django.db.models import Q

from events.index.expand import Frame, Occurrence, Prepared, emit, expand_series
from events.index.rows import SHORT_SPAN
from events.models import IndexCursor, IndexKey
from events.recurrence.expansion import MAX_OCCURRENCES, parse_timing
from events.recurrence.timing import FIRST_YEAR, LAST_YEAR, RecurrenceError, get_zone
from events.routers import INDEX_DB as DB


class QueryError(ValueError):
    """A range query that cannot be answered (bad range or zone)."""


@dataclass
class QueryResult:
    occurrences: list[Occurrence]
    capped: list[str] = field(default_factory=list)  # uids of series cut at the per-query cap

    @property
    def truncated(self) -> bool:
        return bool(self.capped)



_prepared: dict[str, Prepared] = {}


def _prepare(shown: str, event_json: str, marks_json: str, *, override: bool) -> Prepared:
    hit = _prepared.get(shown)
    if hit is None:
        event = json.loads(event_json)
        timing = parse_timing({**event, "rrule": None, "exdates": None} if override else event)
        marks = [(n, datetime.fromisoformat(m)) for n, m in json.loads(marks_json)] if marks_json else None
        if len(_prepared) > 50_000:
            _prepared.clear()
        hit = _prepared[shown] = Prepared(event["title"], event.get("location"), timing, marks)
    return hit


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


_ROW_FIELDS = ("uid", "rid", "kind", "shown", "event", "marks", "conflict", "author", "calendar", "busy")


@dataclass(slots=True)
class _Row:
    uid: str
    rid: str
    kind: str
    prepared: Prepared
    calendar: str
    base: tuple  # (uid, title, location, conflict, author, calendar, busy): what every occurrence of the row shares
    span_start: datetime | None = None
    span_end: datetime | None = None


@dataclass
class _Snapshot:
    """What every query needs whatever its range, read once per index version:
    the long rows (mostly open-ended series), the occurrences each series must
    leave out (overridden or cancelled), and which uids show as series; and
    the rows of the last few windows asked for, as a calendar asks for the
    same months again and again."""

    version: str
    long: list[_Row]
    skips: dict[tuple[str, str], set[str]]  # (calendar, uid) -> recurrence ids
    series: set[tuple[str, str]]
    windows: dict[tuple[datetime, datetime], list[_Row]] = field(default_factory=dict)

    MAX_WINDOWS = 16

    def candidates(self, lo_utc: datetime, hi_utc: datetime) -> list[_Row]:
        """The rows that can have occurrences in [lo_utc, hi_utc)."""
        key = (lo_utc, hi_utc)
        rows = self.windows.get(key)
        if rows is None:
            rows = _rows(_short_rows(lo_utc, hi_utc))
            rows += [r for r in self.long if r.span_start < hi_utc and (r.span_end is None or r.span_end >= lo_utc)]
            if len(self.windows) >= self.MAX_WINDOWS:
                self.windows.clear()
            self.windows[key] = rows
        return rows


_snapshot: _Snapshot | None = None


def _rows(values: list[tuple]) -> list[_Row]:
    """Rows from (uid, rid, kind, shown, event, marks, conflict, author,
    calendar, busy, ...) tuples, their events parsed once per process."""
    out = []
    for uid, rid, kind, shown, event, marks, conflict, author, calendar, busy, *span in values:
        try:
            prepared = _prepare(shown, event, marks, override=kind == "override")
        except (ValueError, KeyError, TypeError):  # a row folded by an older version that this one would skip
            continue
        base = (uid, prepared.title, prepared.location, conflict, author, calendar, bool(busy))
        out.append(_Row(uid, rid, kind, prepared, calendar, base, *span))
    return out


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _select(sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a plain SELECT on the index database. The two reads every query
    makes go through here: the ORM's query building and row conversion cost
    ten times the read itself on SQLite."""
    with connections[DB].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _quoted(*names: str) -> list[str]:
    quote = connections[DB].ops.quote_name
    return [quote(name) for name in names]


def _read_version() -> str:
    table, version, pk = _quoted(IndexCursor._meta.db_table, "version", "id")
    rows = _select(f"SELECT {version} FROM {table} WHERE {pk} = 1")
    return rows[0][0] if rows and rows[0][0] else ""


def _short_rows(lo_utc: datetime, hi_utc: datetime) -> list[tuple]:
    """The shown short rows (spans up to SHORT_SPAN) that can overlap [lo_utc,
    hi_utc): a range scan on span_start, as (uid, rid, kind, shown, event,
    marks, conflict, author) tuples."""
    table, kind, long, span_start, span_end = _quoted(IndexKey._meta.db_table, "kind", "long", "span_start", "span_end")
    fields = ", ".join(_quoted(*_ROW_FIELDS))
    adapt = connections[DB].ops.adapt_datetimefield_value
    rows = _select(
        f"SELECT {fields} FROM {table} WHERE {kind} <> '' AND {long} = %s"
        f" AND {span_start} >= %s AND {span_start} < %s AND {span_end} >= %s",
        (False, adapt(lo_utc - SHORT_SPAN), adapt(hi_utc), adapt(lo_utc)),
    )
    return [(*r[:6], bool(r[6]), *r[7:]) for r in rows]  # SQLite gives conflict as 0/1


def _current_snapshot() -> _Snapshot:
    global _snapshot
    version = _read_version()
    if _snapshot is not None and _snapshot.version == version and version:
        return _snapshot
    shown = IndexKey.objects.using(DB).exclude(kind="")
    # the long rows and the overrides in one pass: neither column is indexed, so each is a table scan
    wanted = IndexKey.objects.using(DB).filter((Q(long=True) & ~Q(kind="")) | ~Q(rid=""))
    long_values = []
    skips: dict[tuple[str, str], set[str]] = {}
    for *values, long, deleted in wanted.values_list(*_ROW_FIELDS, "span_start", "span_end", "long", "deleted"):
        uid, rid, kind = values[:3]
        if long and kind:
            long_values.append(values)
        if rid and (deleted or kind == "override"):  # an override that cannot be shown changes nothing
            skips.setdefault((values[8], uid), set()).add(rid)
    long = _rows(long_values)
    series = set()
    for chunk in _chunks(sorted({uid for _, uid in skips})):
        found = shown.filter(uid__in=chunk, rid="", kind="series").values_list("calendar", "uid")
        series.update((calendar, uid) for calendar, uid in found if (calendar, uid) in skips)
    _snapshot = _Snapshot(version, long, skips, series)
    return _snapshot


def query(start: date | datetime, end: date | datetime, tz: str = "UTC", *, limit: int = MAX_OCCURRENCES) -> QueryResult:
    """Occurrences overlapping [start, end) as seen from the zone `tz`.

    Naive `start`/`end` (or dates) are wall times in `tz`. Raises QueryError
    for an unknown zone or a range that ends before it starts.
    """
    viewer, lo, hi = _window(start, end, tz)
    lo_utc, hi_utc = lo.astimezone(UTC), hi.astimezone(UTC)
    snapshot = _current_snapshot()
    candidates = snapshot.candidates(lo_utc, hi_utc)
    out: list[Occurrence] = []
    capped: list[str] = []
    frame = Frame(lo, hi, viewer, limit=limit)
    with _no_cycle_collection():
        for row in candidates:
            _occurrences_of(row, out, capped, snapshot, frame)
        out.sort(key=attrgetter("order"))
    return QueryResult(out, capped)


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




_NO_SKIPS: set[str] = set()


def _occurrences_of(row: _Row, out: list, capped: list[str], snapshot: _Snapshot, frame: Frame) -> None:
    if row.kind == "single":
        emit(out, frame, row.prepared, row.base, None, override=False)
    elif row.kind == "override":
        if (row.calendar, row.uid) in snapshot.series:  # shown only while its series is
            emit(out, frame, row.prepared, row.base, row.rid, override=True)
    elif expand_series(out, frame, row.prepared, row.base, snapshot.skips.get((row.calendar, row.uid), _NO_SKIPS)):
        capped.append(row.uid)


def occurrences_of_rows(items: list[tuple[tuple, datetime, datetime]], tz: str, *, limit: int) -> list[list[Occurrence]]:
    """For each (row, start, end): the occurrences in [start, end) of that
    index row (`_ROW_FIELDS` values), as `query` shows them: a series leaves
    out its overridden and cancelled occurrences, an override shows only
    while its series does. Raises QueryError for a window no zone can hold."""
    snapshot = _current_snapshot()
    answers: list[list[Occurrence]] = []
    for row in items:
        fields, start, end = row
        viewer, lo, hi = _window(start, end, tz)
        out: list[Occurrence] = []
        for parsed in _rows([fields]):
            _occurrences_of(parsed, out, [], snapshot, Frame(lo, hi, viewer, limit=limit))
        out.sort(key=attrgetter("order"))
        answers.append(out)
    return answers
