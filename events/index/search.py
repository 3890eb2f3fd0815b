"""Full-text search over the titles, places and descriptions of the events shown.

On SQLite the words live in an FTS5 table of the index database, one row per
shown `IndexKey` row (rowid = the row's id), kept in step by two triggers on
the index's own table: the fold writes rows only by inserting and deleting
them (`events.index.fold`), so whatever batch, refold or rebuild writes, the
search text changes in the same transaction and cannot drift. Free/busy
blocks are left out (they carry no readable text). The table and triggers
are made, and filled from the rows already there, the first time a search
runs on an index database (so a deleted index needs nothing more) and at the
end of a rebuild, which drops them first: filling at once costs a fraction of
row by row.
On PostgreSQL the same words are matched with ILIKE on the stored event.

A match shows one occurrence: the next one (or the one going on now), else
the latest one in the past.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connections, transaction

from events.index.expand import Occurrence
from events.index.query import FIRST_YEAR, LAST_YEAR, occurrences_of_rows
from events.index.snapshot import ROW_FIELDS
from events.models import IndexKey
from events.recurrence.expansion import MAX_OCCURRENCES
from events.routers import INDEX_DB as DB

MAX_TEXT = 200  # characters of a search
MAX_WORDS = 10
MAX_MATCHES = 200  # index rows read per search
AHEAD = timedelta(days=5 * 366)  # how far an open-ended series is looked at for its next occurrence
LOOK_BACK = timedelta(days=400)  # how far back the latest past occurrence is looked for

TABLE = "index_search"
_SHOWN = "new.kind <> '' AND NOT new.busy"
_TEXT = (
    "json_extract(new.event, '$.title'), coalesce(json_extract(new.event, '$.location'), ''),"
    " coalesce(json_extract(new.event, '$.description'), '')"
)
_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(title, location, description)",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON index_key WHEN {_SHOWN} BEGIN"
    f" INSERT INTO {TABLE}(rowid, title, location, description) VALUES (new.id, {_TEXT}); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON index_key BEGIN"
    f" DELETE FROM {TABLE} WHERE rowid = old.id; END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE ON index_key BEGIN"
    f" DELETE FROM {TABLE} WHERE rowid = old.id;"
    f" INSERT INTO {TABLE}(rowid, title, location, description) SELECT new.id, {_TEXT} WHERE {_SHOWN}; END",
)


class SearchError(ValueError):
    """A search that cannot be run, with a message for the person who typed it."""


@dataclass
class Found:
    upcoming: list[Occurrence]  # soonest first
    past: list[Occurrence]  # latest first


def words_of(text: str) -> list[str]:
    """The words of a search (letters and digits; everything else separates
    them, so no character can reach the query syntax). Raises SearchError."""
    if len(text) > MAX_TEXT:
        raise SearchError(f"Search for at most {MAX_TEXT} characters.")
    words = re.findall(r"\w+", text.lower())
    if not words:
        raise SearchError("Type a word to search for.")
    if len(words) > MAX_WORDS:
        raise SearchError(f"Search for at most {MAX_WORDS} words.")
    return words


def _ensure_table(cursor) -> None:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [TABLE])
    if cursor.fetchone():
        return
    with transaction.atomic(using=DB):
        for statement in _DDL:
            cursor.execute(statement)
        cursor.execute(
            f"INSERT INTO {TABLE}(rowid, title, location, description)"
            f" SELECT id, {_TEXT.replace('new.', '')} FROM index_key WHERE {_SHOWN.replace('new.', '')}"
        )


def drop_table() -> None:
    """Before a rebuild replaces every row: one row at a time through the
    triggers cost the rebuild twice its time, refilling at once a fraction."""
    connection = connections[DB]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{name}")
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def fill_table() -> None:
    """Make and fill the search table from the rows now in the index."""
    connection = connections[DB]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            _ensure_table(cursor)


def _matching_ids(words: list[str]) -> list[int]:
    connection = connections[DB]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            _ensure_table(cursor)
            match = " ".join(f'"{word}"*' for word in words)  # every word, as a prefix
            cursor.execute(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s ORDER BY rank LIMIT %s", [match, MAX_MATCHES])
            return [row[0] for row in cursor.fetchall()]
    rows = IndexKey.objects.using(DB).exclude(kind="").filter(busy=False)
    for word in words:
        rows = rows.filter(event__icontains=word)
    ids = []
    for pk, event in rows.values_list("pk", "event")[: MAX_MATCHES * 5]:
        fields = json.loads(event)
        text = " ".join(str(fields.get(name) or "") for name in ("title", "location", "description")).lower()
        if all(word in text for word in words):  # not in the JSON's names or other fields
            ids.append(pk)
    return ids[:MAX_MATCHES]


def search(text: str, *, now: datetime, tz: str) -> Found:
    """The events whose title, place or description hold every word of
    `text` (as word beginnings), one occurrence each. Raises SearchError."""
    words = words_of(text)
    ids = _matching_ids(words)
    now_utc = now.astimezone(UTC)
    rows = [(tuple(fields), start, end) for *fields, start, end in
            IndexKey.objects.using(DB).filter(pk__in=ids).values_list(*ROW_FIELDS, "span_start", "span_end")
            if start is not None and _placeable(start, end)]
    # the next occurrence of each, from now on; then the latest one of those with none to come
    ahead = [(fields, now_utc, min(end or now_utc + AHEAD, now_utc + AHEAD)) for fields, start, end in rows]
    coming = occurrences_of_rows([item for item in ahead if item[2] > now_utc], tz, limit=1)
    upcoming = [found[0] for found in coming if found]
    shown = {(o.calendar, o.uid, o.recurrence_id if o.is_override else None) for o in upcoming}
    behind = []
    for fields, start, end in rows:
        key = (fields[8], fields[0], fields[1] or None)
        if key not in shown:
            until = min(end or now_utc, now_utc)
            behind.append((fields, max(start, until - LOOK_BACK), until))
    past = [found[-1] for found in occurrences_of_rows(behind, tz, limit=MAX_OCCURRENCES) if found]
    return Found(sorted(upcoming, key=lambda o: o.order), sorted(past, key=lambda o: o.order, reverse=True))


def _placeable(start: datetime, end: datetime | None) -> bool:
    """A span a query window can hold (not at the very ends of the calendar)."""
    return FIRST_YEAR < start.year and (end is None or end.year < LAST_YEAR)
