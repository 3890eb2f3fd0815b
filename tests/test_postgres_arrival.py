"""The arrival counter commits in order, so tails that remember "the last
arrival I saw" never skip an entry (events/log.py `_hold_arrival_order`,
docs/architecture.md "The arrival counter").

The concurrent test runs on both databases: on SQLite it checks the tails'
logic under its single writer, on PostgreSQL (`make test-postgres`) the
advisory lock that makes a sequence commit in order.
"""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from devtools.feeds import FeedWriter
from events import log
from events.index.fold import catch_up, rebuild
from events.models import IndexCursor, IndexKey, LogEntry

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]

WRITERS = 4
ENTRIES_EACH = 60
WAIT = 30.0  # seconds a thread may take; only a hang gets near it


def index_state():
    rows = IndexKey.objects.using("index").order_by("uid", "rid")
    return [(r.uid, r.rid, r.state, r.kind, r.deleted, r.shown, r.event, r.span_start, r.span_end) for r in rows]


def event_put(uid: str, title: str) -> dict:
    when = {"start": "2026-11-30T10:00:00", "end": "2026-11-30T11:00:00", "tz": "UTC", "all_day": False}
    return {"type": "event.put", "uid": uid, "recurrence_id": None, "event": {"title": title, **when}}


def patiently(call, *args, **kwargs):
    """`call`, again while SQLite says a table is locked: the in-memory test
    database is shared-cache, where a busy table fails at once instead of
    waiting out the busy timeout as the files of a real instance do."""
    while True:
        try:
            return call(*args, **kwargs)
        except OperationalError as e:
            if connection.vendor != "sqlite" or "locked" not in str(e):
                raise
            time.sleep(0.001)


def in_thread(work, errors: list) -> threading.Thread:
    """Run `work` in a thread with Django connections of its own, closed at its end."""

    def run():
        try:
            work()
        except BaseException as e:  # reported by the test, in the main thread
            errors.append(e)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_concurrent_appends_reach_every_tail_and_the_index_equals_a_rebuild():
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()
    seen: dict[int, str] = {}  # arrival -> hash, as a tail that remembers its last arrival saw them
    overtaken: list[tuple[int, int]] = []  # (an entry's arrival, the higher arrival already seen before it)

    def write_feed(n: int) -> None:
        feed = FeedWriter()
        for i in range(ENTRIES_EACH):  # one entry per transaction: as many commits as can interleave
            entry = feed.write(event_put(f"w{n}-{i % 7}", f"writer {n} version {i}"), time=1_795_000_000_000 + i)
            assert [o.result for o in patiently(log.receive, [entry])] == ["stored"]

    def write_own() -> None:
        for i in range(ENTRIES_EACH):
            patiently(log.append_local, event_put(f"own-{i % 5}", f"own version {i}"), time=1_795_000_000_000 + i)

    def tail() -> None:
        cursor = 0
        while True:
            last_round = not writing.is_set()
            highest = max(seen, default=0)
            for arrival, hash_ in patiently(lambda: list(LogEntry.objects.values_list("arrival", "hash"))):
                if arrival not in seen:
                    seen[arrival] = hash_
                    if arrival < highest:
                        overtaken.append((arrival, highest))
            patiently(catch_up, batch=7)
            while batch := patiently(log.entries_since, cursor, 5):
                cursor = batch[-1][0]
            if last_round:
                return

    tailer = in_thread(tail, errors)
    writers = [in_thread(lambda n=n: write_feed(n), errors) for n in range(WRITERS)] + [in_thread(write_own, errors)]
    for thread in writers:
        thread.join(WAIT)
    writing.clear()
    tailer.join(WAIT)
    assert not errors, errors
    assert not any(t.is_alive() for t in [tailer, *writers])

    stored = dict(LogEntry.objects.values_list("arrival", "hash"))
    assert len(stored) == (WRITERS + 1) * ENTRIES_EACH
    assert seen == stored
    assert not overtaken, f"entries committed below an arrival already seen: {overtaken[:5]}"
    assert IndexCursor.objects.using("index").get().arrival == max(stored)
    incremental = index_state()
    assert len(incremental) == WRITERS * 7 + 5
    assert rebuild() == len(stored)
    assert index_state() == incremental


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
def test_an_append_waits_for_the_uncommitted_one_before_it():
    first, second = FeedWriter(), FeedWriter()
    errors: list[BaseException] = []
    inserted, commit = threading.Event(), threading.Event()

    def append_and_hold() -> None:
        from django.db import transaction

        with transaction.atomic():
            assert [o.result for o in log.receive([first.write({"type": "note", "text": "1"}, time=1)])] == ["stored"]
            inserted.set()
            assert commit.wait(WAIT)

    def append() -> None:
        assert [o.result for o in log.receive([second.write({"type": "note", "text": "2"}, time=2)])] == ["stored"]

    holder = in_thread(append_and_hold, errors)
    assert inserted.wait(WAIT)
    waiter = in_thread(append, errors)
    with connection.cursor() as cursor:
        for _ in range(int(WAIT / 0.01)):  # until the second append waits for the lock
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.01)
        else:
            pytest.fail("the second append did not wait for the first")
    assert log.entries_since(0) == []  # nothing committed: the second did not overtake the first
    commit.set()
    holder.join(WAIT)
    waiter.join(WAIT)
    assert not errors, errors
    assert [e.author for _, e in log.entries_since(0)] == [first.author, second.author]


def test_processes_catching_up_at_once_fold_each_entry_once():
    feed = FeedWriter()
    entries = [feed.write(event_put(f"k{i % 9}", f"version {i}"), time=1_795_000_000_000 + i) for i in range(120)]
    assert {o.result for o in log.receive(entries)} == {"stored"}
    errors: list[BaseException] = []
    folders = [in_thread(lambda: patiently(catch_up, batch=10), errors) for _ in range(3)]
    for thread in folders:
        thread.join(WAIT)
    assert not errors, errors
    assert IndexCursor.objects.using("index").get().arrival == log.last_arrival()
    together = index_state()
    assert len(together) == 9
    rebuild()
    assert index_state() == together
