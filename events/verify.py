"""Check a stored log end to end: every entry re-validated (docs/PROTOCOL.md section 2.3), every
chain intact, the feed heads matching the entries; optionally the index
compared with a fresh fold of the log. Both work beside a running server.

For the owner after a crash or a restored backup (`manage.py verify_log`), and
for the crash tests. Reads one feed at a time, in bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DatabaseError, transaction

from events import log
from events.entry import EntryInvalid, check_linkage, check_prev, parse_entry
from events.models import Feed, IndexCursor, IndexKey, LogEntry

MAX_PROBLEMS = 100


@dataclass
class LogReport:
    entries: int = 0
    feeds: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def note(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)


def verify_log() -> LogReport:
    """Every feed, one at a time; a damaged database page is a problem of the
    feeds it holds, and the other feeds are still checked."""
    report = LogReport()
    try:
        heads = dict(Feed.objects.values_list("author", "head"))
        seqs = dict(Feed.objects.values_list("author", "seq"))
        authors = sorted(set(LogEntry.objects.values_list("author", flat=True).distinct()) | set(heads))
    except DatabaseError as e:
        report.note(f"the log database cannot be read ({e}): restore DATA_DIR from a backup, then sync")
        return report
    for author in authors:
        report.feeds += 1
        try:
            _verify_feed(author, heads.get(author), seqs.get(author, 0), report)
        except DatabaseError as e:
            report.note(f"{author[:12]}… cannot be read past entry {report.entries} of the log ({e})")
    return report


def _verify_feed(author: str, head: str | None, head_seq: int, report: LogReport) -> None:
    seq, prev = 0, None
    rows = LogEntry.objects.filter(author=author).order_by("seq").values_list("seq", "hash", "raw")
    for stored_seq, stored_hash, raw in rows.iterator(chunk_size=log.CHUNK):
        report.entries += 1
        where = f"{author[:12]}… entry {stored_seq}"
        try:
            entry = parse_entry(raw)
            check_prev(entry, prev)
            check_linkage(entry)
        except EntryInvalid as e:
            report.note(f"{where}: invalid ({e.rule}): {e.message}")
            seq, prev = stored_seq, stored_hash
            continue
        if entry.hash != stored_hash or entry.seq != stored_seq or entry.author != author:
            report.note(f"{where}: stored hash, seq or author do not match the entry's bytes")
        if stored_seq != seq + 1:
            report.note(f"{where}: gap after entry {seq}")
        seq, prev = stored_seq, entry.hash
    if (head_seq, head) != (seq, prev):
        # The server may have stored more of this feed since the heads were read:
        # only a head that is behind the entries read, or names another entry, is wrong.
        row = Feed.objects.filter(author=author).values_list("seq", "head").first() or (0, None)
        if row[0] > seq or row == (seq, prev):
            return
        head_seq, head = row
        report.note(f"{author[:12]}… feed head says entry {head_seq} ({(head or '-')[:12]}), the log ends at {seq} ({(prev or '-')[:12]})")


COLUMNS = ("state", "kind", "deleted", "skipped", "conflict", "shown", "event")


def index_matches_log() -> list[str]:
    """Differences between the index (caught up) and a fresh fold of the same
    entries; empty when they agree. The fresh fold is made in a savepoint and
    rolled back, holding the index's write lock meanwhile, so a running
    server's catch-up waits instead of moving the index under us."""
    from events.index.fold import catch_up, rebuild
    from events.routers import INDEX_DB

    def rows() -> dict:
        values = IndexKey.objects.using(INDEX_DB).values_list("calendar", "uid", "rid", *COLUMNS)
        return {r[:3]: r[3:] for r in values.iterator(chunk_size=2000)}

    with transaction.atomic(using=INDEX_DB):
        catch_up()
        current = rows()
        upto = IndexCursor.objects.using(INDEX_DB).values_list("arrival", flat=True).first() or 0
        savepoint = transaction.savepoint(using=INDEX_DB)
        rebuild(upto=upto)  # what the index holds, not what a running server stored meanwhile
        fresh = rows()
        transaction.savepoint_rollback(savepoint, using=INDEX_DB)
    keys = sorted(set(current) | set(fresh))
    return [f"index key {uid} {rid or '-'} differs from a fresh fold of the log" for calendar, uid, rid in keys
            if current.get((calendar, uid, rid)) != fresh.get((calendar, uid, rid))]
