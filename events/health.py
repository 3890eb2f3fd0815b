"""The log's health, said out loud (docs/reliability.md, "Corruption").

Three sources: a quick check when the server starts (every feed head against
its entries, and a random sample of entries re-validated: milliseconds, where
`manage.py verify_log` reads everything), damage found while reading entries
to send to a peer (a stored entry whose bytes no longer match its hash is
never served), and the last `verify_log`. What they found is kept in
`DATA_DIR/log-health.json`, so the server and `manage.py` see the same; every
owner page shows it as a banner until a `verify_log` passes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Max

from events.entry import EntryInvalid, parse_entry
from events.models import Feed, LogEntry

logger = logging.getLogger(__name__)

HEALTH_FILE = "log-health.json"
SAMPLE = 200  # entries re-validated at start, at random
MAX_HEADS = 500  # feed heads re-validated at start
MAX_KEPT = 20  # problems kept in the file
ADVICE = "run manage.py verify_log"


def _path() -> Path:
    return Path(settings.DATA_DIR) / HEALTH_FILE


def problems() -> list[str]:
    """What is known to be wrong with the log (empty when nothing is)."""
    try:
        data = json.loads(_path().read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as e:
        return [f"{HEALTH_FILE} cannot be read: {e}"]
    found = data.get("problems") if isinstance(data, dict) else None
    return [str(p) for p in found] if isinstance(found, list) else []


def banner() -> str | None:
    """One line for the owner's pages, or None."""
    found = problems()
    if not found:
        return None
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return f"{found[0]}{more}"


def record(found: list[str], *, source: str) -> None:
    """Replace what is known with what `source` found (a passing full check clears it)."""
    where = _path()
    if not found:
        where.unlink(missing_ok=True)
        return
    text = json.dumps({"source": source, "at": datetime.now(UTC).isoformat(), "problems": found[:MAX_KEPT]})
    tmp = where.with_name(f"{HEALTH_FILE}.{os.getpid()}")
    tmp.write_text(text + "\n")
    os.replace(tmp, where)


def note_damage(text: str) -> None:
    """Add a problem found while the server runs (logged, and kept for the banner)."""
    logger.error("log damaged: %s; %s", text, ADVICE)
    known = problems()
    if text not in known:
        record([*known, text], source="server")


def quick_check(*, sample: int = SAMPLE, rng: random.Random | None = None) -> list[str]:
    """Feed heads against their entries and a random sample of entries; a
    database that cannot be read is a problem too, never an exception."""
    try:
        return _check_heads() + _check_sample(sample, rng or random.Random())
    except DatabaseError as e:
        return [f"the log database cannot be read ({e})"]


def check_at_start() -> list[str]:
    found = quick_check()
    for text in found:
        logger.error("log check at start: %s; %s", text, ADVICE)
    if found:
        record([f"at start: {p}" for p in found], source="start")
    else:
        _clear_start_only()
    return found


def _clear_start_only() -> None:
    """A clean start clears what an earlier start found, not what verify_log or serving found."""
    try:
        source = json.loads(_path().read_text()).get("source")
    except (OSError, ValueError, AttributeError):
        return
    if source == "start":
        _path().unlink(missing_ok=True)


def _check_heads() -> list[str]:
    found = []
    feeds = {f.author: (f.seq, f.head) for f in Feed.objects.all()}
    stored = {r["author"]: (r["top"], r["n"]) for r in LogEntry.objects.values("author").annotate(top=Max("seq"), n=Count("pk"))}
    for author in sorted(set(feeds) | set(stored)):
        seq, _ = feeds.get(author, (0, None))
        top, n = stored.get(author, (0, 0))
        if (seq, top) != (n, n):
            found.append(f"feed {author[:12]}… says {seq} entries, the log holds {n} up to entry {top}")
    heads = [h for _, h in list(feeds.values())[:MAX_HEADS]]
    rows = LogEntry.objects.filter(hash__in=heads).values_list("author", "seq", "hash", "raw")
    return found + [p for row in rows if (p := _entry_problem(*row))]


def _check_sample(sample: int, rng: random.Random) -> list[str]:
    last = LogEntry.objects.order_by("-arrival").values_list("arrival", flat=True).first() or 0
    if not last or sample <= 0:
        return []
    # Arrival numbers have gaps (a PostgreSQL sequence skips what rolled back):
    # a small log is checked whole, a large one at random numbers.
    rows = LogEntry.objects.values_list("author", "seq", "hash", "raw")
    if LogEntry.objects.count() > sample:
        rows = rows.filter(arrival__in=rng.sample(range(1, last + 1), min(sample, last)))
    return [p for row in rows if (p := _entry_problem(*row))]


def _entry_problem(author: str, seq: int, stored_hash: str, raw: str) -> str | None:
    where = f"entry {seq} of {author[:12]}…"
    try:
        entry = parse_entry(raw)
    except EntryInvalid as e:
        return f"{where} no longer verifies ({e.rule}: {e.message})"
    if (entry.hash, entry.author, entry.seq) != (stored_hash, author, seq):
        return f"{where}: its stored hash, author or seq do not match its bytes"
    return None


def servable(author: str, seq: int, stored_hash: str, raw: str) -> bool:
    """Whether a stored entry may be sent to a peer: its bytes still hash to
    the hash it was stored under (the signature was checked when it came in,
    and the hash binds the bytes). A damaged one is noted, never sent."""
    if hashlib.sha256(raw.encode()).hexdigest() == stored_hash:
        return True
    note_damage(f"entry {seq} of {author[:12]}… no longer matches its hash: not sent to peers")
    return False
