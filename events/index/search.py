"""Full-text search over the titles, places and descriptions of the events shown.

On SQLite the words live in an FTS5 table of the index database, one row per
shown `IndexKey` row (rowid = the row's id), kept in step by two triggers on
the index's own table: the fold writes rows only by inserting and deleting
them (`events.index.fold`), so whatever batch, refold or rebuild writes, the
search text changes in the same transaction and cannot drift. Free/busy
blocks are left out (they carry no readable text). The table and triggers
are made, and filled from the rows already there, the first time a search
runs on an index database, so a deleted and rebuilt index needs nothing more.
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
from events.index.query import _ROW_FIELDS, QueryError, occurrences_of_rows
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
    found = Found([], [])
    now_utc = now.astimezone(UTC)
    rows = IndexKey.objects.using(DB).filter(pk__in=ids).values_list(*_ROW_FIELDS, "span_start", "span_end")
    for *fields, span_start, span_end in rows:
        try:
            _place(found, tuple(fields), span_start, span_end, now_utc=now_utc, tz=tz)
        except QueryError:  # a time at the ends of the calendar no window can hold
            continue
    found.upcoming.sort(key=lambda o: o.order)
    found.past.sort(key=lambda o: o.order, reverse=True)
    return found


def _place(found: Found, fields: tuple, span_start: datetime | None, span_end: datetime | None, *, now_utc: datetime, tz: str) -> None:
    """Add a matching row's next occurrence to `found`, else its latest one."""
    if span_start is None:
        return
    end = min(span_end or now_utc + AHEAD, now_utc + AHEAD)
    if end > now_utc:
        ahead = occurrences_of_rows([fields], now_utc, end, tz, limit=1)
        if ahead:
            found.upcoming.append(ahead[0])
            return
    until = min(span_end or now_utc, now_utc)
    behind = occurrences_of_rows([fields], max(span_start, until - LOOK_BACK), until, tz, limit=MAX_OCCURRENCES)
    if behind:
        found.past.append(behind[-1])
