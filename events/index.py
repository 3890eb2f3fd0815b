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

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from django.db import transaction

from events import log
from events.entry import Entry
from events.index_models import IndexCursor, IndexKey
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
            cursor.save(using=DB)
        done += len(entries)
        if len(entries) < batch:
            return done


def rebuild(*, batch: int = BATCH) -> int:
    """Drop the view and fold the whole log again; return the entries folded."""
    with transaction.atomic(using=DB):
        IndexKey.objects.using(DB).all().delete()
        IndexCursor.objects.using(DB).all().delete()
    return catch_up(batch=batch)


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
    IndexKey.objects.using(DB).bulk_create(fresh, batch_size=500)


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
            marks, last = checkpoints(timing.rule, first)
            row.marks = json.dumps([[n, format_local(m)] for n, m in marks])
        end = None
        if last is not None:
            tail = _safe(last, timing.duration)
            end = _utc_bounds(tail, timing.zone)[1] if tail else None
    row.span_start, row.span_end = start, end
    row.long = end is None or end - start > SHORT_SPAN


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
    return viewer, lo, hi


def _aware(value: date | datetime) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None


_ROW_FIELDS = ("uid", "rid", "kind", "shown", "event", "marks", "conflict", "author")


def query(start: date | datetime, end: date | datetime, tz: str = "UTC", *, limit: int = MAX_OCCURRENCES) -> QueryResult:
    """Occurrences overlapping [start, end) as seen from the zone `tz`.

    Naive `start`/`end` (or dates) are wall times in `tz`. Raises QueryError
    for an unknown zone or a range that ends before it starts.
    """
    viewer, lo, hi = _window(start, end, tz)
    lo_utc, hi_utc = lo.astimezone(UTC), hi.astimezone(UTC)
    rows = IndexKey.objects.using(DB).exclude(kind="")
    short = rows.filter(long=False, span_start__gte=lo_utc - SHORT_SPAN, span_start__lt=hi_utc, span_end__gte=lo_utc)
    long = rows.filter(long=True, span_start__lt=hi_utc).exclude(span_end__lt=lo_utc)
    candidates = list(short.values_list(*_ROW_FIELDS)) + list(long.values_list(*_ROW_FIELDS))
    series_kind, skips = _keys_of({row[0] for row in candidates if row[2] != "single"})
    out: list[Occurrence] = []
    capped: list[str] = []
    for uid, rid, kind, shown, event_json, marks_json, conflict, author in candidates:
        prepared = _prepare(shown, event_json, marks_json, override=kind == "override")
        base = dict(uid=uid, title=prepared.title, location=prepared.location, conflict=conflict, author=author)
        if kind == "single":
            _emit(out, prepared.timing, prepared.timing.start, lo, hi, viewer, base, None, override=False)
        elif kind == "override":
            if series_kind.get(uid) == "series":  # shown only while its series is
                _emit(out, prepared.timing, prepared.timing.start, lo, hi, viewer, base, rid, override=True)
        else:
            if _expand_series(out, prepared, lo, hi, viewer, base, skips.get(uid, set()), limit):
                capped.append(uid)
    out.sort(key=lambda o: (_sort_key(o.start, viewer), o.uid, o.recurrence_id or ""))
    return QueryResult(out, capped)


def _keys_of(uids: set[str]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """For these uids: the kind each series shows as, and the recurrence ids
    its own expansion must leave out (overridden or cancelled occurrences)."""
    kinds: dict[str, str] = {}
    skips: dict[str, set[str]] = {}
    ordered = sorted(uids)
    for i in range(0, len(ordered), 500):
        rows = IndexKey.objects.using(DB).filter(uid__in=ordered[i : i + 500])
        for uid, rid, kind, deleted in rows.values_list("uid", "rid", "kind", "deleted"):
            if not rid:
                kinds[uid] = kind
            elif deleted or kind == "override":  # an override that cannot be shown changes nothing
                skips.setdefault(uid, set()).add(rid)
    return kinds, skips


def _sort_key(value: date | datetime, viewer: tzinfo) -> datetime:
    return value if isinstance(value, datetime) else _as_viewer_time(value, viewer, viewer)


def _emit(out, timing: Timing, wall, lo, hi, viewer, base, rid, *, override: bool, recurring: bool = False) -> bool:
    """Append the occurrence starting at wall time `wall` if it overlaps [lo, hi)."""
    wall_end = wall + timing.duration
    start = _as_viewer_time(wall, timing.zone, viewer)
    end = _as_viewer_time(wall_end, timing.zone, viewer)
    if not (start < hi and (end > lo or (start == end and start >= lo))):
        return False
    if timing.all_day:
        start_v, end_v = (wall.date() if isinstance(wall, datetime) else wall), (
            wall_end.date() if isinstance(wall_end, datetime) else wall_end
        )
    else:
        start_v, end_v = start, max(start, end)
    out.append(
        Occurrence(
            recurrence_id=rid,
            start=start_v,
            end=end_v,
            all_day=timing.all_day,
            is_override=override,
            is_recurring=recurring or override,
            floating=timing.floating,
            tz=timing.zone.key if timing.zone else None,
            **base,
        )
    )
    return True


def _expand_series(out, prepared: _Prepared, lo, hi, viewer, base, skip: set[str], limit: int) -> bool:
    """Append a series' occurrences in [lo, hi); True if it hit the cap."""
    timing = prepared.timing
    zone = timing.zone or viewer
    # wall times map to instants monotonically except across a DST change: a few hours' slack
    wall_lo = lo.astimezone(zone).replace(tzinfo=None) - timing.duration - SLACK
    wall_hi = hi.astimezone(zone).replace(tzinfo=None) + SLACK
    first = timing.start if isinstance(timing.start, datetime) else _utc_naive(timing.start)
    assert timing.rule is not None
    emitted = 0
    try:
        for wall in iter_starts(timing.rule, first, wall_lo, wall_hi, marks=prepared.marks):
            if wall in timing.exdates:
                continue
            rid = wall.date().isoformat() if timing.all_day else wall.isoformat()
            if rid in skip:
                continue
            at = wall.date() if timing.all_day else wall
            if _emit(out, timing, at, lo, hi, viewer, base, rid, override=False, recurring=True):
                if emitted == limit:
                    out.pop()
                    return True
                emitted += 1
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
