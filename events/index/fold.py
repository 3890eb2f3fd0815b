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
import uuid
from collections.abc import Iterable

from django.db import connections, transaction

from events import log
from events.entry import Entry
from events.index.registers import Key, Register, key_of
from events.index.rows import build_row
from events.models import IndexCursor, IndexKey
from events.routers import INDEX_DB as DB

logger = logging.getLogger(__name__)

BATCH = 1000


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

