"""Check a stored log end to end: every entry re-validated (PROTOCOL 2), every
chain intact, the feed heads matching the entries; optionally the index
compared with a fresh fold of the log.

For the owner after a crash or a restored backup (`manage.py verify_log`), and
for the crash tests. Reads one feed at a time, in bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from events import log
from events.entry import EntryInvalid, check_linkage, check_prev, parse_entry
from events.models import Feed, LogEntry

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
        report.note(f"{author[:12]}… feed head says entry {head_seq} ({(head or '-')[:12]}), the log ends at {seq} ({(prev or '-')[:12]})")


def index_matches_log() -> list[str]:
    """Differences between the index as it stands (after catching up) and a
    fresh fold of the whole log; empty when they agree. Leaves the index
    rebuilt."""
    from events import index
    from events.index_models import IndexKey

    def rows() -> dict[tuple[str, str], tuple]:
        values = IndexKey.objects.using(index.DB).values_list(
            "uid", "rid", "state", "kind", "deleted", "skipped", "conflict", "shown", "event"
        )
        return {(r[0], r[1]): r[2:] for r in values}

    index.catch_up()
    before = rows()
    index.rebuild()
    after = rows()
    keys = sorted(set(before) | set(after))
    return [f"index key {uid} {rid or '-'} differs from a rebuild" for uid, rid in keys if before.get((uid, rid)) != after.get((uid, rid))]
