"""Folding the log into the index (kappa architecture): the only writer of its rows.

It tails the log's arrival counter from a cursor kept in the index's own
database and folds calendar bodies into registers (`events.index.registers`),
one row per key (`events.index.rows`). `catch_up` is explicit (no signals)
and works in batches, each one transaction holding the rows and the cursor
together; `rebuild` drops everything and folds again. Bodies of unknown type
are ignored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from django.db import connections, transaction

from events import log
from events.calendars import mirrors, state
from events.calendars.bodies import (
    CALENDAR,
    KEY_PUBLISH,
    LEGACY,
    BodyError,
    Snapshot,
    parse_snapshot,
)
from events.calendars.decode import Calendars, Write, calendar_named, decode
from events.entry import Entry
from events.index import search, snapshot
from events.index.registers import Key, Register, key_of
from events.index.rows import Row, build_row, next_version
from events.models import (
    IndexCalendar,
    IndexCalendarEntry,
    IndexCursor,
    IndexDirectory,
    IndexKey,
    IndexPublishedKey,
)
from events.routers import INDEX_DB as DB

logger = logging.getLogger(__name__)

BATCH = 1000


# Several server processes may fold into one PostgreSQL index at once: each
# batch (and a rebuild's write) holds this transaction-scoped advisory lock,
# then reads the cursor, so two processes never fold the same entries into
# the same rows. SQLite's one writer at a time already does that.
INDEX_WRITER_LOCK = 0x696E6465785F  # an arbitrary 64-bit key, the same in every process


def _hold_index_writer() -> None:
    connection = connections[DB]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INDEX_WRITER_LOCK])


# The cursor is read and written at every catch-up, often for a single entry
# (a live write): plain SQL, as the ORM's query building cost more than the fold.
_CURSOR = IndexCursor._meta.db_table


def _cursor() -> tuple[int, str]:
    """(arrival folded up to, version) of the index."""
    with connections[DB].cursor() as cursor:
        cursor.execute(f"SELECT arrival, version FROM {_CURSOR} WHERE id = 1")
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, "")


def folded_up_to() -> int:
    """The arrival the index has folded up to."""
    return _cursor()[0]


def _save_cursor(arrival: int, version: str) -> None:
    with connections[DB].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_CURSOR} (id, arrival, version) VALUES (1, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET arrival = excluded.arrival, version = excluded.version",
            [arrival, version],
        )


# The version this process last wrote. On SQLite a rolled back batch gives its
# row ids out again; a reader that saw them (inside the same transaction)
# must not take the rows above the last id it saw as all that changed, so a
# batch that finds another version than it left starts a new generation.
_written = {"version": ""}


def _rolled_back(version: str) -> bool:
    return connections[DB].vendor == "sqlite" and version != _written["version"]


def catch_up(*, batch: int = BATCH) -> int:
    """Fold every log entry that arrived since the cursor; return how many.

    Then this process's range queries take the rows written at once
    (`snapshot.refresh`): a page asking for its month after a write finds
    that work done."""
    if _cursor()[0] > log.last_arrival():  # the log was replaced under us
        logger.warning("index cursor is beyond the log; rebuilding the index")
        done = rebuild(batch=batch)
    else:
        done = _fold_new(batch)
    if done:
        snapshot.refresh()
    return done


def _fold_new(batch: int) -> int:
    done = 0
    while True:
        with transaction.atomic(using=DB):
            _hold_index_writer()
            arrival, version = _cursor()
            entries = log.entries_since(arrival, batch)
            if not entries:
                return done
            dropped = apply_entries([entry for _, entry in entries])
            version = next_version(version, drop=dropped or _rolled_back(version))
            _save_cursor(entries[-1][0], version)
        _written["version"] = version
        done += len(entries)
        if len(entries) < batch:
            return done


def _clear() -> None:
    for model in (IndexKey, IndexCalendar, IndexCalendarEntry, IndexPublishedKey, IndexDirectory):
        model.objects.using(DB).all().delete()


def rebuild(*, batch: int = 5000, upto: int | None = None) -> int:
    """Drop the view and fold the whole log again (up to arrival `upto` when
    given); return the entries folded.

    Legacy calendar writes are folded in memory (registers hold every hash
    but only the heads' bodies), so each key's row is built once; every
    other calendar is folded once all of the log has been read, as its
    audience and keys finally stand. Everything is replaced in one
    transaction; entries arriving meanwhile are left for the next catch_up.
    """
    with transaction.atomic(using=DB):
        _hold_index_writer()
        search.drop_table()
        _clear()
        registers: dict[Key, Register] = {}
        arrival = done = 0
        calendars: set[str] = set()
        while entries := [(a, e) for a, e in log.entries_since(arrival, batch) if upto is None or a <= upto]:
            legacy, writes = _fold_calendars([entry for _, entry in entries], calendars)
            calendars.update(calendar_named(entry.body) for entry in writes)
            for entry in legacy:
                key = key_of(entry.body)
                if key is not None:
                    register = registers.get(key)
                    if register is None:
                        register = registers[key] = Register()
                    register.add(entry)
            arrival = entries[-1][0]
            done += len(entries)
        _insert([build_row(key, register) for key, register in registers.items()])
        for calendar in sorted(calendars):
            refold(calendar)
        search.fill_table()
        version = next_version("", drop=True)
        _save_cursor(arrival, version)
    _written["version"] = version
    return done


def _fold_calendars(entries: list[Entry], refolds: set[str]) -> tuple[list[Entry], list[Entry]]:
    """Fold the `calendar` and `key.publish` entries among `entries`, adding
    to `refolds` the calendars whose audience or keys changed; return the
    legacy calendar's writes and the other calendars' writes."""
    legacy, writes, recorded = [], [], []
    for entry in entries:
        kind = entry.body.get("type")
        if kind == CALENDAR and (snapshot := _snapshot(entry)) is not None:
            if (changed := state.fold_snapshot(entry, snapshot)) is not None:
                refolds.add(changed)
        elif kind == KEY_PUBLISH:
            state.fold_published_key(entry)
        elif kind in mirrors.TYPES:
            mirrors.fold(entry)
        elif (calendar := calendar_named(entry.body)) == LEGACY:
            legacy.append(entry)
        elif calendar is not None:
            recorded.append(IndexCalendarEntry(calendar=calendar, hash=entry.hash))
            writes.append(entry)
    IndexCalendarEntry.objects.using(DB).bulk_create(recorded, ignore_conflicts=True)
    return legacy, writes


def _snapshot(entry: Entry) -> Snapshot | None:
    try:
        return parse_snapshot(entry.body)
    except BodyError as e:
        logger.warning("calendar entry %s of %s left out: %s", entry.hash[:12], entry.author[:12], e)
        return None


def _fold_into(registers: dict[Key, Register], write: Write | Entry, calendar: str) -> Key | None:
    key = key_of(write.body, calendar)
    if key is None:
        return None
    register = registers.get(key)
    if register is None:
        register = registers[key] = Register()
    refused = getattr(write, "refused", "")
    changed = register.refuse(write, refused) if refused else register.add(write)
    return key if changed else None


def refold(calendar: str) -> None:
    """Fold one calendar's writes again from the log, as its audience and
    keys now stand: the rows of its keys are replaced together."""
    hashes = list(IndexCalendarEntry.objects.using(DB).filter(calendar=calendar).values_list("hash", flat=True))
    calendars = Calendars()
    registers: dict[Key, Register] = {}
    for i in range(0, len(hashes), 500):
        for entry in log.get_entries(hashes[i : i + 500]):
            write = decode(entry, calendars)
            if isinstance(write, Write):
                _fold_into(registers, write, calendar)
    IndexKey.objects.using(DB).filter(calendar=calendar).delete()
    _insert([build_row(key, register) for key, register in registers.items()])


def apply_entries(entries: Iterable[Entry]) -> bool:
    """Fold entries into their registers and rewrite the rows of the keys they
    changed. Rows are only ever written here, deleted and recreated together.
    A calendar whose audience or keys changed is folded again whole; returns
    whether one was (its rows may go without successors)."""
    refolds: set[str] = set()
    legacy, writes = _fold_calendars(list(entries), refolds)
    for calendar in sorted(refolds):
        refold(calendar)
    calendars = Calendars()
    folded: list[tuple[Write | Entry, str]] = [(entry, LEGACY) for entry in legacy]
    for entry in writes:
        if calendar_named(entry.body) in refolds:
            continue  # folded whole just above
        write = decode(entry, calendars)
        if isinstance(write, Write):
            folded.append((write, write.calendar))
    if folded:
        registers, pks = _registers_of(folded)
        changed = {key for write, calendar in folded if (key := _fold_into(registers, write, calendar)) is not None}
        _replace(pks, [build_row(key, registers[key]) for key in changed])
    return bool(refolds)


def _registers_of(folded: list[tuple[Write | Entry, str]]) -> tuple[dict[Key, Register], dict[Key, int]]:
    """The stored registers of the keys `folded` writes to, and their rows' pks."""
    wanted = {key for write, calendar in folded if (key := key_of(write.body, calendar)) is not None}
    uids = sorted({uid for _, uid, _ in wanted})
    registers: dict[Key, Register] = {}
    pks: dict[Key, int] = {}
    table = IndexKey._meta.db_table
    for i in range(0, len(uids), 500):
        part = uids[i : i + 500]
        with connections[DB].cursor() as cursor:  # plain SQL, as for the cursor: a live entry folds alone
            cursor.execute(f"SELECT id, calendar, uid, rid, state FROM {table} WHERE uid IN ({', '.join(['%s'] * len(part))})", part)
            rows = cursor.fetchall()
        for pk, calendar, uid, rid, state_json in rows:
            if (key := (calendar, uid, rid)) in wanted:
                registers[key], pks[key] = Register.from_json(json.loads(state_json)), pk
    return registers, pks


def _replace(pks: dict[Key, int], fresh: list[Row]) -> None:
    stale = [pks[(r.calendar, r.uid, r.rid)] for r in fresh if (r.calendar, r.uid, r.rid) in pks]
    for i in range(0, len(stale), 500):
        IndexKey.objects.using(DB).filter(pk__in=stale[i : i + 500]).delete()
    _insert(fresh)


_COLUMNS = ("calendar", "uid", "rid", "state", "kind", "deleted", "skipped", "conflict", "shown", "author", "event",
            "span_start", "span_end", "long", "marks", "busy")


def _insert(rows: list[Row]) -> None:
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
        (r.calendar, r.uid, r.rid, r.state, r.kind, r.deleted, r.skipped, r.conflict, r.shown, r.author, r.event,
         adapt(r.span_start), adapt(r.span_end), r.long, r.marks, r.busy)
        for r in rows
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(params), 1000):
            cursor.executemany(sql, params[i : i + 1000])

