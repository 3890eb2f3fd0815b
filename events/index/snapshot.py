"""What range queries keep between calls, brought up to date key by key.

A snapshot holds the long rows (mostly open-ended series), the occurrences
each series leaves out (overridden or cancelled), which of those uids show
as series, and the answers of the last few windows asked for, as a calendar
asks for the same months again and again.

Each query reads, in one statement, the index's version and the rows written
since the snapshot last looked. The fold never updates a row: it deletes a
key's row and inserts a new one with a higher id (AUTOINCREMENT; on
PostgreSQL a sequence, written by one folder at a time). So while the
version keeps its generation (`events.index.rows.next_version`) the rows
above the highest id seen are exactly the keys that changed: the snapshot is
patched for those keys, and each answer expands again only the uids they
touch. A new generation (rows dropped without successors: a calendar folded
again whole, a rebuild, a rolled back fold) reads everything again.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from itertools import chain
from operator import attrgetter

from django.db import connections

from events.index.expand import Frame, Occurrence, Prepared, emit, expand_series
from events.index.rows import SHORT_SPAN, generation_of
from events.models import IndexCursor, IndexKey
from events.recurrence.expansion import parse_timing
from events.routers import INDEX_DB as DB

Key = tuple[str, str, str]  # (calendar, uid, rid)

ROW_FIELDS = ("uid", "rid", "kind", "shown", "event", "marks", "conflict", "author", "calendar", "busy")
# what a change brings besides: the span that places the row in windows, and what the skips need
_CHANGE_FIELDS = (*ROW_FIELDS, "span_start", "span_end", "long", "deleted", "id")
ORDER = attrgetter("order")

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


@dataclass(slots=True)
class Row:
    uid: str
    rid: str
    kind: str
    prepared: Prepared
    calendar: str
    base: tuple  # (uid, title, location, conflict, author, calendar, busy): what every occurrence of the row shares
    span_start: datetime | None = None
    span_end: datetime | None = None

    def overlaps(self, lo_utc: datetime, hi_utc: datetime) -> bool:
        """Whether the row can have occurrences in [lo_utc, hi_utc)."""
        return self.span_start is not None and self.span_start < hi_utc and (self.span_end is None or self.span_end >= lo_utc)


def parse_row(values: tuple | list) -> Row | None:
    """A Row from (uid, rid, kind, shown, event, marks, conflict, author,
    calendar, busy[, span_start, span_end]), its event parsed once per process;
    None for a row folded by an older version that this one would skip."""
    uid, rid, kind, shown, event, marks, conflict, author, calendar, busy, *span = values
    try:
        prepared = _prepare(shown, event, marks, override=kind == "override")
    except (ValueError, KeyError, TypeError):
        return None
    base = (uid, prepared.title, prepared.location, bool(conflict), author, calendar, bool(busy))  # SQLite gives 0/1
    return Row(uid, rid, kind, prepared, calendar, base, *span)


def _utc(value: datetime | str | None) -> datetime | None:
    """A span bound as a raw cursor gives it (SQLite: naive UTC text) made an aware datetime."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(slots=True)
class _Change:
    """One row written since the snapshot looked: its key, and its Row when it is shown."""

    key: Key
    row: Row | None
    kind: str
    deleted: bool
    long: bool

    @classmethod
    def of(cls, values: tuple) -> _Change:
        *fields, span_start, span_end, long, deleted, _ = values
        kind = fields[2]
        row = parse_row([*fields, _utc(span_start), _utc(span_end)]) if kind else None
        return cls((fields[8], fields[0], fields[1]), row, kind, bool(deleted), bool(long))


def _select(sql: str, params: Iterable = ()) -> list[tuple]:
    """Rows of a plain SELECT on the index database: the ORM's query building
    and row conversion cost ten times the read itself on SQLite."""
    with connections[DB].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _quoted(*names: str) -> list[str]:
    quote = connections[DB].ops.quote_name
    return [quote(name) for name in names]


def _key_table() -> str:
    return _quoted(IndexKey._meta.db_table)[0]


def _short_rows(lo_utc: datetime, hi_utc: datetime) -> dict[Key, Row]:
    """The shown short rows (spans up to SHORT_SPAN) that can overlap [lo_utc,
    hi_utc): a range scan on span_start."""
    kind, long, span_start, span_end = _quoted("kind", "long", "span_start", "span_end")
    fields = ", ".join(_quoted(*ROW_FIELDS))  # no spans: only rows written later are placed by theirs
    adapt = connections[DB].ops.adapt_datetimefield_value
    found = _select(
        f"SELECT {fields} FROM {_key_table()} WHERE {kind} <> '' AND {long} = %s"
        f" AND {span_start} >= %s AND {span_start} < %s AND {span_end} >= %s",
        (False, adapt(lo_utc - SHORT_SPAN), adapt(hi_utc), adapt(lo_utc)),
    )
    rows = {}
    for values in found:
        row = parse_row(values)
        if row is not None:
            rows[(row.calendar, row.uid, row.rid)] = row
    return rows


def _series_among(uids: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (calendar, uid) show as a series."""
    wanted = set(uids)
    names = sorted({uid for _, uid in wanted})
    calendar, uid, rid, kind = _quoted("calendar", "uid", "rid", "kind")
    found: set[tuple[str, str]] = set()
    for i in range(0, len(names), 500):
        chunk = names[i : i + 500]
        marks = ", ".join(["%s"] * len(chunk))
        rows = _select(f"SELECT {calendar}, {uid} FROM {_key_table()} WHERE {uid} IN ({marks}) AND {rid} = '' AND {kind} = 'series'", chunk)
        found.update(r for r in rows if r in wanted)
    return found


_CHANGES_SQL: dict[str, str] = {}  # by database vendor: every query runs it


def _changes_since(seen: int) -> tuple[str, int, list[tuple]]:
    """(version, highest row id, rows above `seen`), read in one statement so
    that they agree: ("", 0, []) before the index is first folded."""
    connection = connections[DB]
    sql = _CHANGES_SQL.get(connection.vendor)
    if sql is None:
        cursor_table, version, pk = _quoted(IndexCursor._meta.db_table, "version", "id")
        fields = ", ".join(f"k.{name}" for name in _quoted(*_CHANGE_FIELDS))
        table = _key_table()
        sql = _CHANGES_SQL[connection.vendor] = (
            f"SELECT c.{version}, (SELECT MAX({pk}) FROM {table}), {fields} FROM {cursor_table} c"
            f" LEFT JOIN {table} k ON k.{pk} > %s WHERE c.{pk} = 1 ORDER BY k.{pk}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, (seen,))
        found = cursor.fetchall()
    if not found:
        return "", 0, []
    version_value, top = found[0][0] or "", found[0][1] or 0
    return version_value, top, [r[2:] for r in found if r[-1] is not None]


class Shown(list):
    """An answer's occurrences as queries hand them out: one list shared by
    every query until the next change, so it refuses to be changed."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("query results are shared between queries: copy them (list(...)) to change them")

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


class Answer:
    """The occurrences of one window as seen from one zone, by the key of the
    row that gives them, and all of them in order."""

    def __init__(self, frame: Frame, rows: dict[Key, Row]):
        self.frame = frame
        self.rows = rows  # the rows that can have occurrences in the window
        self.found: dict[Key, list[Occurrence]] = {}
        self.capped: dict[Key, str] = {}  # rows whose series hit the per-query cap -> uid
        self.merged: list[Occurrence] = []
        self._shown: Shown | None = None

    def shown(self) -> Shown:
        """The occurrences in order, copied once per change rather than per query."""
        if self._shown is None:
            self._shown = Shown(self.merged)
        return self._shown

    def fill(self, snapshot: Snapshot) -> None:
        for key, row in self.rows.items():
            self._expand(key, row, snapshot)
        self.merged = sorted(chain.from_iterable(self.found.values()), key=ORDER)

    def _expand(self, key: Key, row: Row, snapshot: Snapshot) -> list[Occurrence]:
        out: list[Occurrence] = []
        if occurrences_of(row, out, snapshot, self.frame):
            self.capped[key] = row.uid
        if out:
            self.found[key] = out
        return out

    def patch(self, fresh: dict[Key, Row | None], affected: set[Key], snapshot: Snapshot) -> None:
        """Take the rows written (`fresh`: None for a row no longer shown) and
        expand again the keys whose occurrences they may change."""
        lo_utc, hi_utc = self.frame.lo_utc, self.frame.hi_utc
        for key, row in fresh.items():
            self.rows.pop(key, None)
            if row is not None and row.overlaps(lo_utc, hi_utc):
                self.rows[key] = row
        merged = self.merged
        self._shown = None
        for key in affected:
            for occurrence in self.found.pop(key, ()):
                _remove(merged, occurrence)
            self.capped.pop(key, None)
            row = self.rows.get(key)
            if row is not None:
                for occurrence in self._expand(key, row, snapshot):
                    insort(merged, occurrence, key=ORDER)


def _remove(merged: list[Occurrence], occurrence: Occurrence) -> None:
    """Take this very occurrence out of the ordered list (others may share its order)."""
    at = bisect_left(merged, occurrence.order, key=ORDER)
    while merged[at] is not occurrence:
        at += 1
    del merged[at]


_NO_SKIPS: set[str] = set()


def occurrences_of(row: Row, out: list, snapshot: Snapshot, frame: Frame) -> bool:
    """Append the row's occurrences in the frame's window, as a query shows
    them: a series leaves out its overridden and cancelled occurrences, an
    override shows only while its series does. True if a series hit the cap."""
    if row.kind == "single":
        emit(out, frame, row.prepared, row.base, None, override=False)
    elif row.kind == "override":
        if (row.calendar, row.uid) in snapshot.series:
            emit(out, frame, row.prepared, row.base, row.rid, override=True)
    else:
        return expand_series(out, frame, row.prepared, row.base, snapshot.skips.get((row.calendar, row.uid), _NO_SKIPS))
    return False


class Snapshot:
    MAX_ANSWERS = 16
    PATCH_LIMIT = 500  # more rows written than this at once: answers are worked out again when asked

    def __init__(self, version: str, seen: int):
        self.version, self.seen = version, seen
        self.long: dict[Key, Row] = {}
        self.skips: dict[tuple[str, str], set[str]] = {}  # (calendar, uid) -> recurrence ids it leaves out
        self.series: set[tuple[str, str]] = set()  # (calendar, uid) shown as a series, among those with skips
        self.answers: dict[tuple, Answer] = {}

    @classmethod
    def load(cls, version: str, seen: int) -> Snapshot:
        """Everything read again: the long rows and the overrides in one
        table scan (neither column is indexed), then which uids are series."""
        snapshot = cls(version, seen)
        fields = ", ".join(_quoted(*_CHANGE_FIELDS))
        kind, long, rid = _quoted("kind", "long", "rid")
        found = _select(f"SELECT {fields} FROM {_key_table()} WHERE ({long} = %s AND {kind} <> '') OR {rid} <> ''", (True,))
        for values in found:
            snapshot._take(_Change.of(values))
        snapshot.series = _series_among(snapshot.skips)
        return snapshot

    def _take(self, change: _Change) -> None:
        """Fold one row written into the long rows and the skips."""
        key, row = change.key, change.row
        self.long.pop(key, None)
        if row is not None and change.long:
            self.long[key] = row
        calendar, uid, rid = key
        if not rid:
            return
        rids = self.skips.get((calendar, uid))
        if rids is not None:
            rids.discard(rid)
        if change.deleted or change.kind == "override":  # an override that cannot be shown changes nothing
            self.skips.setdefault((calendar, uid), set()).add(rid)
        elif rids is not None and not rids:
            del self.skips[(calendar, uid)]

    def patch(self, values: list[tuple], seen: int, version: str) -> None:
        """Take the rows written since the snapshot last looked."""
        changes = [_Change.of(v) for v in values]
        touched = {(c.key[0], c.key[1]) for c in changes}  # (calendar, uid) of each event changed
        had_skips = {event for event in touched if event in self.skips}
        mains: dict[tuple[str, str], str] = {}
        for change in changes:
            self._take(change)
            if not change.key[2]:
                mains[(change.key[0], change.key[1])] = change.kind
        for event, kind in mains.items():
            (self.series.add if kind == "series" else self.series.discard)(event)
        self.series |= _series_among(e for e in touched if e in self.skips and e not in had_skips and e not in mains)
        self.seen, self.version = seen, version
        if len(changes) > self.PATCH_LIMIT:
            self.answers.clear()
            return
        fresh = {c.key: c.row for c in changes}
        affected = set(fresh)
        for calendar, uid in touched:  # a series' skips, or whether overrides show, may have changed
            affected.add((calendar, uid, ""))
            affected.update((calendar, uid, rid) for rid in self.skips.get((calendar, uid), ()))
        for answer in self.answers.values():
            answer.patch(fresh, affected, self)
            answer.shown()  # made here, once, rather than by the next query

    def answer(self, lo: datetime, hi: datetime, viewer: tzinfo, *, limit: int) -> Answer:
        """The window [lo, hi) (aware, in the viewer's zone), kept for next time."""
        lo_utc, hi_utc = lo.astimezone(UTC), hi.astimezone(UTC)
        key = (lo_utc, hi_utc, lo.replace(tzinfo=None), hi.replace(tzinfo=None), viewer, limit)
        found = self.answers.get(key)
        if found is None:
            rows = _short_rows(lo_utc, hi_utc)
            rows.update((k, r) for k, r in self.long.items() if r.overlaps(lo_utc, hi_utc))
            found = Answer(Frame(lo, hi, viewer, limit=limit), rows)
            found.fill(self)
            if len(self.answers) >= self.MAX_ANSWERS:
                self.answers.clear()
            self.answers[key] = found
        return found


_snapshot: Snapshot | None = None
_NOTHING = 2**62  # above every row id: the first read wants the version alone
lock = threading.Lock()  # queries may run in several threads; a snapshot is patched in place


def current() -> Snapshot:
    """The snapshot brought up to date with the index. Hold `lock`."""
    global _snapshot
    snapshot = _snapshot
    version, top, values = _changes_since(snapshot.seen if snapshot is not None else _NOTHING)
    generation = generation_of(version)
    if snapshot is None or generation is None or generation != generation_of(snapshot.version) or top < snapshot.seen:
        # the first query, rows gone without successors, or an index not folded yet
        snapshot = _snapshot = Snapshot.load(version, top)
    elif version != snapshot.version or values:
        snapshot.patch(values, max(top, snapshot.seen), version)
    return snapshot


def refresh() -> None:
    """Bring this process's snapshot up to date now, if it has one (the fold
    calls this after writing rows)."""
    if _snapshot is not None:
        with lock:
            current()


def forget_answers() -> None:
    """Drop the windows' kept answers, so the next query of each works it out
    again: the benchmarks measure that work as the reference other reads are
    compared with."""
    if _snapshot is not None:
        with lock:
            _snapshot.answers.clear()
