"""Is our own feed possibly stale? (docs/PROTOCOL.md section 3.4)

After every local write the head of our feed is also recorded outside the
database, in `DATA_DIR/own-head.json`, with the identity of the database it
was written to (the inode of an SQLite file). A restore from a backup shows
up as a disagreement between that record and the database:

- the record names an entry the database does not hold (the database alone
  was copied back from an older copy, or lost its last transactions);
- the record names another database file than the one in use (the data
  directory, record included, was copied back or moved: copying makes new
  files).

A missing record (a new instance, or one written by a version that kept no
record) is no reason for suspicion; it is written at the next local write or
confirmation. Nothing here reads the network: the caller decides what to do
about a suspicion (events/local_writes.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.db import connection

RECORD = "own-head.json"


def state_dir() -> Path:
    """Where the record and the waiting writes live (tests point it elsewhere)."""
    return Path(settings.DATA_DIR)


def database_identity() -> str:
    """The inode of the SQLite file holding the log, or "" (PostgreSQL, or in memory)."""
    name = connection.settings_dict.get("NAME")
    if connection.vendor != "sqlite" or not name:
        return ""
    try:
        return str(os.stat(name).st_ino)
    except (OSError, TypeError, ValueError):
        return ""


def read_record() -> dict | None:
    try:
        data = json.loads((state_dir() / RECORD).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # unreadable: treated as a record that matches nothing
    return data if isinstance(data, dict) else {}


def write_record(*, author: str, seq: int, head: str | None) -> None:
    """Record our feed's head (atomically: a crash leaves the old record or the new)."""
    where = state_dir() / RECORD
    text = json.dumps({"author": author, "seq": seq, "head": head, "database": database_identity()})
    tmp = where.with_name(f"{RECORD}.{os.getpid()}")
    tmp.write_text(text + "\n")
    os.replace(tmp, where)


def suspicion(*, author: str, seq: int, head: str | None, hash_at) -> str | None:
    """Why our feed, held up to `seq` (`head` its hash), may be older than what
    we once wrote; None when nothing says so. `hash_at(seq)` is the hash of
    our entry at that seq in the database, or None."""
    record = read_record()
    if record is None or seq == 0:
        return None  # nothing recorded yet, or nothing of ours held that a later write could contradict
    if record.get("author") != author or not isinstance(record.get("seq"), int):
        return f"{RECORD} does not describe this instance's feed"
    if record.get("database") != database_identity():
        return "the database file is not the one this instance last wrote to (copied back from a backup, or moved)"
    recorded, recorded_head = record["seq"], record.get("head")
    if recorded > seq:
        return f"this instance last wrote entry {recorded} of its feed, but the database holds only {seq}"
    held_there = head if recorded == seq else hash_at(recorded)  # below our head: a crash between commit and record
    if held_there != recorded_head:
        return f"entry {recorded} of our feed in the database is not the one this instance wrote"
    return None
