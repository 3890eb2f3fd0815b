"""The calendar index: a materialized view of the log (kappa architecture).

It tails the log's arrival counter from a cursor kept in its own database,
folds calendar bodies into registers (`events.registers`) and keeps what
range queries need: single events by their UTC span, recurring series by the
span they can occur in, overrides and cancelled occurrences. `catch_up` is
explicit (no signals) and works in batches, each one transaction holding the
rows and the cursor together; `rebuild` drops everything and folds again.

Bodies of unknown type are ignored; calendar bodies that make no sense as an
event stay in the log (and in the register) but are not shown, with the
reason logged and kept in `IndexKey.skipped`.
"""

from __future__ import annotations

import gc
import json
import logging
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from operator import attrgetter

from django.db import connections, transaction
from django.db.models import Q

from events import log
from events.entry import Entry
from events.models import IndexCursor, IndexKey
from events.recurrence import (
    MAX_OCCURRENCES,
    GaveUp,
    RecurrenceError,
    Timing,
    checkpoints,
    format_local,
    get_zone,
    iter_starts,
    parse_timing,
)
from events.registers import DEL, Key, Register, key_of

logger = logging.getLogger(__name__)

DB = "index"
BATCH = 1000
SHORT_SPAN = timedelta(days=8)  # spans up to this long are found by a range scan on span_start
MARGIN = timedelta(hours=15)  # floating and all-day times: every zone is within UTC-12..UTC+14
MAX_TITLE = 500
SLACK = timedelta(hours=3)
FIRST_YEAR, LAST_YEAR = 2, 9998  # queryable range


class QueryError(ValueError):
    """A range query that cannot be answered (bad range or zone)."""


class EventSkipped(ValueError):
    """A calendar body that is a valid entry but no sensible event."""


# --- catching up -----------------------------------------------------------------


def _cursor() -> IndexCursor:
    cursor = IndexCursor.objects.using(DB).filter(pk=1).first()
    return cursor or IndexCursor(pk=1, arrival=0)


def catch_up(*, batch: int = BATCH) -> int:
    """Fold every log entry that arrived since the cursor; return how many."""
    done = 0
    if _cursor().arrival > log.last_arrival():  # the log was replaced under us
        logger.warning("index cursor is beyond the log; rebuilding the index")
        return rebuild(batch=batch)
    while True:
        with transaction.atomic(using=DB):
            cursor = _cursor()
            entries = log.entries_since(cursor.arrival, batch)
            if not entries:
                return done
            apply_entries([entry for _, entry in entries])
            cursor.arrival = entries[-1][0]
            cursor.version = uuid.uuid4().hex
            cursor.save(using=DB)
        done += len(entries)
        if len(entries) < batch:
            return done


def rebuild(*, batch: int = 5000) -> int:
    """Drop the view and fold the whole log again; return the entries folded.

    The log is folded in memory first (registers hold every hash but only the
    heads' bodies), so each key's row is built once; rows and cursor are then
    replaced in one transaction. Entries arriving meanwhile are left for the
    next catch_up.
    """
    registers: dict[Key, Register] = {}
    arrival = done = 0
    while entries := log.entries_since(arrival, batch):
        for _, entry in entries:
            key = key_of(entry.body)
            if key is not None:
                register = registers.get(key)
                if register is None:
                    register = registers[key] = Register()
                register.add(entry)
        arrival = entries[-1][0]
        done += len(entries)
    rows = [build_row(key, register) for key, register in registers.items()]
    with transaction.atomic(using=DB):
        IndexKey.objects.using(DB).all().delete()
        _insert(rows)
        IndexCursor.objects.using(DB).update_or_create(pk=1, defaults={"arrival": arrival, "version": uuid.uuid4().hex})
    return done


def apply_entries(entries: Iterable[Entry]) -> None:
    """Fold entries into their registers and rewrite the rows of the keys they
    changed. Rows are only ever written here, deleted and recreated together."""
    by_key: dict[Key, list[Entry]] = {}
    for entry in entries:
        key = key_of(entry.body)
        if key is not None:
            by_key.setdefault(key, []).append(entry)
    if not by_key:
        return
    uids = sorted({uid for uid, _ in by_key})
    existing: dict[Key, tuple[int, str]] = {}
    for i in range(0, len(uids), 500):
        rows = IndexKey.objects.using(DB).filter(uid__in=uids[i : i + 500]).values_list("pk", "uid", "rid", "state")
        existing.update({(uid, rid): (pk, state) for pk, uid, rid, state in rows if (uid, rid) in by_key})
    stale, fresh = [], []
    for key, new in by_key.items():
        pk, state = existing.get(key, (None, None))
        register = Register.from_json(json.loads(state)) if state else Register()
        changed = [register.add(e) for e in new]
        if not any(changed):
            continue
        if pk is not None:
            stale.append(pk)
        fresh.append(build_row(key, register))
    for i in range(0, len(stale), 500):
        IndexKey.objects.using(DB).filter(pk__in=stale[i : i + 500]).delete()
    _insert(fresh)


_COLUMNS = ("uid", "rid", "state", "kind", "deleted", "skipped", "conflict", "shown", "author", "event",
            "span_start", "span_end", "long", "marks")


def _insert(rows: list[IndexKey]) -> None:
    """Insert rows with one executemany (the ORM's bulk_create costs more
    than everything else a rebuild does)."""
    if not rows:
        return
    connection = connections[DB]
    adapt = connection.ops.adapt_datetimefield_value
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(IndexKey._meta.db_table)} ({', '.join(quote(c) for c in _COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    )
    params = [
        (r.uid, r.rid, r.state, r.kind, r.deleted, r.skipped, r.conflict, r.shown, r.author, r.event,
         adapt(r.span_start), adapt(r.span_end), r.long, r.marks)
        for r in rows
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(params), 1000):
            cursor.executemany(sql, params[i : i + 1000])


# --- what a key shows ------------------------------------------------------------------


def _shown_head(register: Register) -> str | None:
    """The value to show: the primary head, or when the primary is a del but
    another head is not, the greatest head that is not a del."""
    for h in register.heads:
        if not register.versions[h].deleted:
            return h
    return None


def _safe(moment: datetime, delta: timedelta) -> datetime | None:
    try:
        return moment + delta
    except OverflowError:
        return None


def _utc_bounds(value: date | datetime, zone: tzinfo | None) -> tuple[datetime, datetime]:
    """The earliest and latest UTC instant a wall time can be, for any viewer."""
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    if zone is not None:
        at = moment.replace(tzinfo=zone, fold=0).astimezone(UTC)
        return at, at
    at = moment.replace(tzinfo=UTC)
    return (_safe(at, -MARGIN) or datetime.min.replace(tzinfo=UTC)), (_safe(at, MARGIN) or datetime.max.replace(tzinfo=UTC))


def check_event(event: object, *, override: bool) -> Timing:
    """Validate a PROTOCOL 5 `event` object for the view; raise EventSkipped."""
    if not isinstance(event, dict):
        raise EventSkipped("event must be an object")
    title = event.get("title")
    if not isinstance(title, str) or not title.strip():
        raise EventSkipped("missing title")
    if len(title) > MAX_TITLE:
        raise EventSkipped(f"title longer than {MAX_TITLE} characters")
    for name in ("location", "description"):
        if event.get(name) is not None and not isinstance(event[name], str):
            raise EventSkipped(f"{name} must be a string or null")
    if override:
        event = {**event, "rrule": None, "exdates": None}
    try:
        return parse_timing(event)
    except RecurrenceError as e:
        raise EventSkipped(str(e)) from None


def build_row(key: Key, register: Register) -> IndexKey:
    uid, rid = key
    row = IndexKey(
        uid=uid,
        rid=rid,
        state=json.dumps(register.to_json(), separators=(",", ":")),
        conflict=register.conflict,
        deleted=register.deleted,
    )
    shown = _shown_head(register)
    if shown is None:
        return row
    row.shown = shown
    row.author = register.versions[shown].author
    event = register.bodies[shown].get("event")
    try:
        timing = check_event(event, override=bool(rid))
        _fill_view(row, timing)
    except EventSkipped as e:
        logger.warning("not showing %s%s (entry %s): %s", uid, f" at {rid}" if rid else "", shown[:12], e)
        row.kind, row.skipped = "", str(e)
        row.span_start = row.span_end = None
        return row
    row.event = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    return row


def _fill_view(row: IndexKey, timing: Timing) -> None:
    start, _ = _utc_bounds(timing.start, timing.zone)
    if timing.rule is None:
        row.kind = "override" if row.rid else "single"
        _, end = _utc_bounds(timing.end, timing.zone)
    else:
        row.kind = "series"
        first = timing.start if isinstance(timing.start, datetime) else _utc_naive(timing.start)
        last = None
        if timing.rule.until is not None:
            last = timing.rule.until
        elif timing.rule.count is not None:
            marks, last = _checkpoints(timing.rule, first)
            row.marks = json.dumps([[n, format_local(m)] for n, m in marks])
        end = None
        if last is not None:
            tail = _safe(last, timing.duration)
            end = _utc_bounds(tail, timing.zone)[1] if tail else None
    row.span_start, row.span_end = start, end
    row.long = end is None or end - start > SHORT_SPAN


_checkpoints = lru_cache(maxsize=4096)(checkpoints)  # edits that keep the rule cost nothing


def _utc_naive(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


# --- range queries --------------------------------------------------------------------


@dataclass(slots=True)
class Occurrence:
    uid: str
    recurrence_id: str | None  # original start (local wall time) for occurrences of a series
    title: str
    start: date | datetime  # a date for all-day events, else aware in the viewer's zone
    end: date | datetime
    all_day: bool
    location: str | None
    conflict: bool
    is_override: bool
    is_recurring: bool
    author: str
    floating: bool = False
    tz: str | None = None  # the event's own zone
    order: tuple = ()  # (start, uid, recurrence_id): how results are sorted

    def as_dict(self) -> dict:
        return {
            "uid": self.uid,
            "recurrence_id": self.recurrence_id,
            "title": self.title,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "all_day": self.all_day,
            "location": self.location,
            "conflict": self.conflict,
            "is_override": self.is_override,
            "is_recurring": self.is_recurring,
            "author": self.author,
            "floating": self.floating,
            "tz": self.tz,
        }


@dataclass
class QueryResult:
    occurrences: list[Occurrence]
    capped: list[str] = field(default_factory=list)  # uids of series cut at the per-query cap

    @property
    def truncated(self) -> bool:
        return bool(self.capped)


@dataclass(slots=True)
class _Prepared:
    """A shown event, parsed once per process (keyed by the entry hash)."""

    title: str
    location: str | None
    timing: Timing
    marks: list[tuple[int, datetime]] | None
    placed: dict[tzinfo, tuple] = field(default_factory=dict)  # viewer -> _place(...), for single times


_prepared: dict[str, _Prepared] = {}


def _prepare(shown: str, event_json: str, marks_json: str, *, override: bool) -> _Prepared:
    hit = _prepared.get(shown)
    if hit is None:
        event = json.loads(event_json)
        timing = parse_timing({**event, "rrule": None, "exdates": None} if override else event)
        marks = [(n, datetime.fromisoformat(m)) for n, m in json.loads(marks_json)] if marks_json else None
        if len(_prepared) > 50_000:
            _prepared.clear()
        hit = _prepared[shown] = _Prepared(event["title"], event.get("location"), timing, marks)
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


_ROW_FIELDS = ("uid", "rid", "kind", "shown", "event", "marks", "conflict", "author")


@dataclass(slots=True)
class _Row:
    uid: str
    rid: str
    kind: str
    prepared: _Prepared
    base: tuple  # (uid, title, location, conflict, author): what every occurrence of the row shares
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
    skips: dict[str, set[str]]
    series: set[str]
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
    """Rows from (uid, rid, kind, shown, event, marks, conflict, author, ...)
    tuples, their events parsed once per process."""
    out = []
    for uid, rid, kind, shown, event, marks, conflict, author, *span in values:
        prepared = _prepare(shown, event, marks, override=kind == "override")
        base = (uid, prepared.title, prepared.location, conflict, author)
        out.append(_Row(uid, rid, kind, prepared, base, *span))
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
    return [(*r[:6], bool(r[6]), r[7]) for r in rows]  # SQLite gives conflict as 0/1


def _current_snapshot() -> _Snapshot:
    global _snapshot
    version = _read_version()
    if _snapshot is not None and _snapshot.version == version and version:
        return _snapshot
    shown = IndexKey.objects.using(DB).exclude(kind="")
    # the long rows and the overrides in one pass: neither column is indexed, so each is a table scan
    wanted = IndexKey.objects.using(DB).filter((Q(long=True) & ~Q(kind="")) | ~Q(rid=""))
    long_values = []
    skips: dict[str, set[str]] = {}
    for *values, long, deleted in wanted.values_list(*_ROW_FIELDS, "span_start", "span_end", "long", "deleted"):
        uid, rid, kind = values[:3]
        if long and kind:
            long_values.append(values)
        if rid and (deleted or kind == "override"):  # an override that cannot be shown changes nothing
            skips.setdefault(uid, set()).add(rid)
    long = _rows(long_values)
    series = set()
    for chunk in _chunks(sorted(skips)):
        series.update(shown.filter(uid__in=chunk, rid="", kind="series").values_list("uid", flat=True))
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
    frame = _Frame(lo, hi, viewer)
    with _no_cycle_collection():
        for row in candidates:
            _occurrences_of(row, out, capped, snapshot, lo, hi, viewer, limit, frame)
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


class _Frame:
    """What one query works out once for all its series: the window in each
    zone's wall time; the stretches of it where neither the zone's nor the
    viewer's UTC offset changes, so a wall time in the zone is the viewer's
    wall time plus a constant and occurrences can skip the zone arithmetic
    (see `_stretches`); and the text of each recurrence id, as many series
    share their wall times and `isoformat` costs more than the occurrence."""

    MAX_WINDOW = timedelta(days=62)
    MARGIN = timedelta(days=2)
    KEEP_OFF = timedelta(hours=3)

    def __init__(self, lo: datetime, hi: datetime, viewer: tzinfo):
        self.lo, self.hi, self.viewer = lo, hi, viewer
        self.lo_utc, self.hi_utc = lo.astimezone(UTC), hi.astimezone(UTC)
        self.usable = hi - lo <= self.MAX_WINDOW
        self.frames: dict[tzinfo, tuple[datetime, datetime, tuple]] = {}
        self.rids: dict[datetime, str] = {}

    def window_in(self, zone: tzinfo) -> tuple[datetime, datetime, tuple]:
        """(wall_lo, wall_hi, stretches): the window in the zone's wall time,
        widened by SLACK (wall times map to instants monotonically except
        across a DST change), and its stretches ending with `_NO_STRETCH`."""
        hit = self.frames.get(zone)
        if hit is None:
            wall_lo = self.lo.astimezone(zone).replace(tzinfo=None) - SLACK
            wall_hi = self.hi.astimezone(zone).replace(tzinfo=None) + SLACK
            stretches = _stretches(zone, self.viewer, self.lo_utc, self.hi_utc) if self.usable else (_NO_STRETCH,)
            hit = self.frames[zone] = (wall_lo, wall_hi, stretches)
        return hit


# a stretch that holds no wall time: ends every list of stretches, so the
# walk along them needs no bounds check
_NO_STRETCH = (datetime.max, datetime.max, None, None)


def _offset_changes(zone: tzinfo, lo_utc: datetime, hi_utc: datetime) -> list[datetime]:
    """UTC instants (naive) near which the zone's offset changes, from
    MARGIN before lo_utc to MARGIN after hi_utc. Offsets are sampled hourly
    (no zone changes its offset and back within an hour)."""
    wall = lo_utc.astimezone(zone).replace(tzinfo=None) - _Frame.MARGIN
    stop = hi_utc.astimezone(zone).replace(tzinfo=None) + _Frame.MARGIN
    offset = zone.utcoffset(wall)
    hour = timedelta(hours=1)
    changes = []
    while wall <= stop:
        wall += hour
        now = zone.utcoffset(wall)
        if now != offset:
            changes.append(wall - now)
            offset = now
    return changes


@lru_cache(maxsize=256)
def _stretches(zone: tzinfo, viewer: tzinfo, lo_utc: datetime, hi_utc: datetime) -> tuple:
    """Stretches (from_wall, to_wall, anchor_wall, anchor) in the zone's wall
    time: within one, the occurrence at wall w starts at anchor + (w -
    anchor_wall) in the viewer's zone. Each keeps three hours' distance from
    any offset change, so gaps and repeated hours always take the exact path,
    and lies inside the window, so what starts in one needs no range check.

    Only zone rules decide them, so they are kept across queries (a calendar
    asks for the same few windows again and again); the bounds are UTC
    instants because equal aware times in one zone may differ by their fold."""
    utc_lo = lo_utc.replace(tzinfo=None) - _Frame.MARGIN
    utc_hi = hi_utc.replace(tzinfo=None) + _Frame.MARGIN
    changes = _offset_changes(viewer, lo_utc, hi_utc) + _offset_changes(zone, lo_utc, hi_utc)
    cuts = sorted({utc_lo, utc_hi, *changes})
    inside_lo, inside_hi = lo_utc.replace(tzinfo=None), hi_utc.replace(tzinfo=None)
    lo, hi = lo_utc.astimezone(viewer), hi_utc.astimezone(viewer)
    stretches = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        a, b = max(a + _Frame.KEEP_OFF, inside_lo), min(b - _Frame.KEEP_OFF, inside_hi)
        if b <= a:
            continue
        anchor = a.replace(tzinfo=UTC).astimezone(viewer)
        if not (lo <= anchor and anchor + (b - a) <= hi):  # occurrences compare by the viewer's wall clock
            continue
        wall = a.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        stretches.append((wall, wall + (b - a), wall, anchor))
    return (*stretches, _NO_STRETCH)


def _occurrences_of(row: _Row, out, capped, snapshot, lo, hi, viewer, limit, frame: _Frame) -> None:
    if row.kind == "single":
        _emit(out, row.prepared, lo, hi, viewer, row.base, None, override=False)
    elif row.kind == "override":
        if row.uid in snapshot.series:  # shown only while its series is
            _emit(out, row.prepared, lo, hi, viewer, row.base, row.rid, override=True)
    elif _expand_series(
        out, row.prepared, lo, hi, viewer, row.base, snapshot.skips.get(row.uid, _NO_SKIPS), limit, frame
    ):
        capped.append(row.uid)


def _emit(out, prepared: _Prepared, lo, hi, viewer, base, rid, *, override: bool) -> bool:
    """Append the occurrence of a single event or an override if it overlaps [lo, hi)."""
    placed = prepared.placed.get(viewer)
    if placed is None:
        placed = prepared.placed[viewer] = _place(prepared.timing, viewer)
    start, end, shown_start, shown_end = placed
    if not (start < hi and (end > lo or (start == end and start >= lo))):
        return False
    uid, title, location, conflict, author = base
    timing = prepared.timing
    occurrence = Occurrence(
        uid,
        rid,
        title,
        shown_start,
        shown_end,
        timing.all_day,
        location,
        conflict,
        override,
        override,
        author,
        timing.floating,
        timing.zone.key if timing.zone else None,
        (start, uid, rid or ""),  # all in the viewer's zone: wall-clock order
    )
    out.append(occurrence)
    return True


def _place(timing: Timing, viewer: tzinfo) -> tuple:
    """(start, end, shown start, shown end) of a single time seen from the
    viewer's zone: start and end aware; shown as dates for all-day events.
    Kept per viewer with the parsed event, as it never changes."""
    zone = timing.zone or viewer
    duration = timing.duration
    wall = timing.start
    wall_end = wall + duration
    if timing.all_day:
        start = datetime(wall.year, wall.month, wall.day, tzinfo=zone).astimezone(viewer)
        end = datetime(wall_end.year, wall_end.month, wall_end.day, tzinfo=zone).astimezone(viewer)
        return start, end, wall, wall_end
    start = wall.replace(tzinfo=zone).astimezone(viewer)
    if not duration:
        end = start
    else:
        # no offset change in either zone between start and end: plain arithmetic is exact
        end = start + duration
        if zone.utcoffset(wall) != zone.utcoffset(wall_end) or end.utcoffset() != start.utcoffset():
            end = wall_end.replace(tzinfo=zone).astimezone(viewer)
    return start, end, start, max(start, end)


def _expand_series(out, prepared: _Prepared, lo, hi, viewer, base, skip: set[str], limit: int, frame: _Frame) -> bool:
    """Append a series' occurrences in [lo, hi); True if it hit the cap.
    (The work of `_place` and `_emit`, inlined: this loop is the hot path.)"""
    timing = prepared.timing
    if timing.all_day:
        return _expand_all_day(out, prepared, lo, hi, viewer, base, skip, limit, frame)
    zone = timing.zone or viewer
    duration = timing.duration
    wall_lo, wall_hi, stretches = frame.window_in(zone)
    if duration > _Frame.MARGIN / 2:
        stretches = (_NO_STRETCH,)
    assert timing.rule is not None and isinstance(timing.start, datetime)
    uid, title, location, conflict, author = base
    floating, exdates = timing.floating, timing.exdates
    tz = timing.zone.key if timing.zone else None
    offset = zone.utcoffset
    rids = frame.rids
    # occurrences come in order: walk the stretches along with them; an
    # occurrence starting in [from_wall, fast_until) also ends in the stretch
    at = 0
    from_wall, to_wall, anchor_wall, anchor = stretches[0]
    fast_until = to_wall - duration
    emitted = 0
    try:
        for wall in iter_starts(timing.rule, timing.start, wall_lo - duration, wall_hi, marks=prepared.marks):
            if exdates and wall in exdates:
                continue
            rid = rids.get(wall)
            if rid is None:
                rid = rids[wall] = wall.isoformat()
            if skip and rid in skip:
                continue
            if to_wall <= wall:
                while to_wall <= wall:
                    at += 1
                    from_wall, to_wall, anchor_wall, anchor = stretches[at]
                fast_until = to_wall - duration
            if from_wall <= wall < fast_until:  # starts inside the window: no range check
                start = anchor + (wall - anchor_wall)
                end = start + duration
            else:
                wall_end = wall + duration
                start = wall.replace(tzinfo=zone).astimezone(viewer)
                end = start + duration  # exact unless an offset changes in between
                if duration and (offset(wall) != offset(wall_end) or end.utcoffset() != start.utcoffset()):
                    end = max(start, wall_end.replace(tzinfo=zone).astimezone(viewer))
                if not (start < hi and (end > lo or (start == end and start >= lo))):
                    continue
            if emitted == limit:
                return True
            emitted += 1
            out.append(
                Occurrence(uid, rid, title, start, end, False, location, conflict,
                           False, True, author, floating, tz, (start, uid, rid))
            )
    except GaveUp:
        return True
    return False


def _expand_all_day(out, prepared: _Prepared, lo, hi, viewer, base, skip: set[str], limit: int, frame: _Frame) -> bool:
    """`_expand_series` for all-day series: dates, placed in the viewer's zone."""
    timing = prepared.timing
    duration = timing.duration
    wall_lo, wall_hi, _ = frame.window_in(viewer)
    uid, title, location, conflict, author = base
    emitted = 0
    try:
        for wall in iter_starts(timing.rule, _utc_naive(timing.start), wall_lo - duration, wall_hi, marks=prepared.marks):
            if timing.exdates and wall in timing.exdates:
                continue
            rid = wall.date().isoformat()
            if rid in skip:
                continue
            wall_end = wall + duration
            start = wall.replace(tzinfo=viewer).astimezone(viewer)
            end = wall_end.replace(tzinfo=viewer).astimezone(viewer)
            if not (start < hi and (end > lo or (start == end and start >= lo))):
                continue
            if emitted == limit:
                return True
            emitted += 1
            out.append(
                Occurrence(uid, rid, title, wall.date(), wall_end.date(), True, location, conflict,
                           False, True, author, False, None, (start, uid, rid))
            )
    except GaveUp:
        return True
    return False


# --- history -------------------------------------------------------------------------


@dataclass
class Change:
    hash: str
    author: str
    time: int  # the writer's clock, ms
    action: str  # created, edited, deleted, cancelled
    changes: dict[str, tuple[object, object]]  # field -> (before, after)
    links: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "hash": self.hash,
            "author": self.author,
            "time": self.time,
            "action": self.action,
            "changes": {k: list(v) for k, v in self.changes.items()},
            "links": list(self.links),
        }


def register_of(uid: str, recurrence_id: str | None = None) -> Register | None:
    key = key_of({"type": DEL, "uid": uid, "recurrence_id": recurrence_id})
    if key is None:
        return None
    state = IndexKey.objects.using(DB).filter(uid=key[0], rid=key[1]).values_list("state", flat=True).first()
    return Register.from_json(json.loads(state)) if state else None


def history(uid: str, recurrence_id: str | None = None) -> list[Change]:
    """The entries that shaped a key, oldest first, each with what it changed
    compared to the version it superseded (read from the log)."""
    register = register_of(uid, recurrence_id)
    if register is None:
        return []
    entries = {e.hash: e for e in log.get_entries(register.history)}
    out = []
    for h in register.history:
        entry = entries.get(h)
        if entry is None:
            continue
        before_entries = [entries[x] for x in entry.links if x in entries]
        before = max(before_entries, key=lambda e: (e.time, e.hash), default=None)
        old = (before.body.get("event") or {}) if before and before.body.get("type") != DEL else {}
        if entry.body.get("type") == DEL:
            action, new = ("cancelled" if recurrence_id else "deleted"), {}
        else:
            action = "edited" if before else "created"
            new = entry.body.get("event") or {}
            if not isinstance(new, dict):
                new = {}
        names = sorted(set(old) | set(new))
        changes = {n: (old.get(n), new.get(n)) for n in names if old.get(n) != new.get(n)}
        out.append(Change(h, entry.author, entry.time, action, changes, entry.links))
    return out
