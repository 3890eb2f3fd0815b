"""The log's two tables, read and written in plain SQL (docs/PROTOCOL.md sections 2-3).

`events.log` decides what is stored; this module only moves rows. These are
the statements every live entry and every big batch runs (the tails ask
for the entries since an arrival at each commit, a live push reads a feed's
next entries, a write saves its feed's head): the ORM's query building cost
more than running them, and bulk_create four times as much per row.
SQLite and PostgreSQL spell them alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from events.entry import Entry, decode_stored
from events.models import Feed, LogEntry

_ENTRIES = LogEntry._meta.db_table
_FEEDS = Feed._meta.db_table

Row = tuple[str, str, int, str]  # hash, author, seq, canonical text

# Entries received lately, by hash: the index folds them right after they are
# stored (sync.store.after_store, the bundle import), and takes them from here rather than
# parsing their text again, a tenth of what the receiver spends per entry.
# Only `log.receive` keeps them, and in the server it is handed entries parsed
# from a peer's or a bundle's bytes, whose bodies nothing else changes; index
# rows dump bodies with sorted keys, so an entry built another way (a test's
# writer) folds to the same row. Another process, or an entry already taken,
# is decoded from the row as before.
RECENT_MAX = 8192
_recent: dict[str, Entry] = {}


def row(entry: Entry) -> Row:
    return (entry.hash, entry.author, entry.seq, entry.raw.decode())


def remember(entries: list[Entry]) -> None:
    """Keep received entries for the fold that reads them back (`entries_since`)."""
    if len(_recent) + len(entries) > RECENT_MAX:
        _recent.clear()  # nobody read these back (a process that does not fold): start again
    _recent.update((entry.hash, entry) for entry in entries)


def insert(rows: list[Row]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {_ENTRIES} (hash, author, seq, raw) VALUES (%s, %s, %s, %s)", rows)


def save_heads(heads: dict[str, tuple[int, str]]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {_FEEDS} (author, seq, head) VALUES (%s, %s, %s) "
            "ON CONFLICT (author) DO UPDATE SET seq = excluded.seq, head = excluded.head",
            [(a, s, h) for a, (s, h) in heads.items()],
        )


def heads(authors: Iterable[str]) -> dict[str, tuple[int, str]]:
    """(seq, hash) of the head we hold of each of `authors` that we hold anything of."""
    authors = list(authors)
    found: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(authors), 500):
            part = authors[i : i + 500]
            cursor.execute(f"SELECT author, seq, head FROM {_FEEDS} WHERE author IN ({', '.join(['%s'] * len(part))})", part)
            found.update((author, (seq, head)) for author, seq, head in cursor.fetchall())
    return found


def vector() -> dict[str, int]:
    """What we hold: {author: highest seq}."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT author, seq FROM {_FEEDS}")
        return dict(cursor.fetchall())


def entries_since(cursor: int, limit: int = 500) -> list[tuple[int, Entry]]:
    """Entries that arrived after `cursor` (the arrival counter), ascending."""
    with connection.cursor() as db:
        db.execute(f"SELECT arrival, raw, hash FROM {_ENTRIES} WHERE arrival > %s ORDER BY arrival LIMIT %s", [cursor, limit])
        rows = db.fetchall()
    return [(arrival, _recent.pop(hash_, None) or decode_stored(raw, hash_)) for arrival, raw, hash_ in rows]


def feed_rows(author: str, after_seq: int, limit: int) -> list[tuple[int, str, str]]:
    """(seq, hash, stored text) of the feed's entries after `after_seq`, in order, at most `limit`."""
    with connection.cursor() as db:
        db.execute(f"SELECT seq, hash, raw FROM {_ENTRIES} WHERE author = %s AND seq > %s ORDER BY seq LIMIT %s",
                   [author, after_seq, limit])
        return db.fetchall()


def last_arrival() -> int:
    with connection.cursor() as db:
        db.execute(f"SELECT MAX(arrival) FROM {_ENTRIES}")
        return db.fetchone()[0] or 0
