"""Check a stored log end to end: every entry re-validated (docs/PROTOCOL.md section 2.3), every
chain intact, the feed heads matching the entries; optionally the index
compared with a fresh fold of the log. Both work beside a running server.

For the owner after a crash or a restored backup (`manage.py verify_log`), and
for the crash tests. Reads one feed at a time, in bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

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
    report = LogReport()
    heads = dict(Feed.objects.values_list("author", "head"))
    seqs = dict(Feed.objects.values_list("author", "seq"))
    authors = sorted(set(LogEntry.objects.values_list("author", flat=True).distinct()) | set(heads))
    for author in authors:
        report.feeds += 1
        _verify_feed(author, heads.get(author), seqs.get(author, 0), report)
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
    entries; empty when they agree. Holds the index's write lock meanwhile, so
    a running server's catch-up waits instead of moving the index under us."""
    from events.index.fold import catch_up
    from events.index.registers import Key, Register, key_of
    from events.index.rows import build_row
    from events.routers import INDEX_DB

    catch_up()
    with transaction.atomic(using=INDEX_DB):
        upto = IndexCursor.objects.using(INDEX_DB).values_list("arrival", flat=True).first() or 0
        rows = IndexKey.objects.using(INDEX_DB).values_list("uid", "rid", *COLUMNS)
        current = {(r[0], r[1]): r[2:] for r in rows.iterator(chunk_size=2000)}
        registers: dict[Key, Register] = {}
        cursor = 0
        while batch := [(a, e) for a, e in log.entries_since(cursor, 5000) if a <= upto]:
            for _, entry in batch:
                key = key_of(entry.body)
                if key is not None:
                    registers.setdefault(key, Register()).add(entry)
            cursor = batch[-1][0]
    fresh = {}
    for key, register in registers.items():
        row = build_row(key, register)
        fresh[key] = tuple(getattr(row, c) for c in COLUMNS)
    keys = sorted(set(current) | set(fresh))
    return [f"index key {uid} {rid or '-'} differs from a fresh fold of the log" for uid, rid in keys
            if current.get((uid, rid)) != fresh.get((uid, rid))]
