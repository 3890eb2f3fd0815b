"""events.verify_pool: big batches are verified in worker processes, with exactly the outcomes of `parse_entry`."""

import io
import json

import pytest

from devtools.feeds import FeedWriter
from events import log, verify_pool
from events.bundle import BATCH, import_bundle
from events.entry import Entry, EntryInvalid
from events.models import LogEntry
from sync import store
from tests.test_log import load_vectors


def as_pair(result):
    return result if isinstance(result, Entry) else (type(result), result.rule, result.message)


def every_vector_line() -> list:
    items = []
    for vector in load_vectors():
        items += vector["held"] + [vector["offer"]]
    return items


def test_workers_give_every_vector_the_outcome_parse_entry_gives():
    items = every_vector_line()
    items = (items * (verify_pool.POOL_MIN // len(items) + 1))[: verify_pool.POOL_MIN + 7]
    here = [verify_pool.check(item) for item in items]
    expected = [r if isinstance(r, Entry) else (EntryInvalid, *r) for r in here]
    assert [as_pair(r) for r in verify_pool.check_all(items)] == expected
    assert any(isinstance(r, Entry) for r in here) and any(not isinstance(r, Entry) for r in here)


def test_a_small_batch_is_verified_in_the_callers_thread():
    verify_pool.shutdown()
    items = every_vector_line()[: verify_pool.POOL_MIN - 1]
    assert [as_pair(r) for r in verify_pool.check_all(items)] == [
        as_pair(r) if isinstance(r, Entry) else (EntryInvalid, *r) for r in map(verify_pool.check, items)
    ]
    assert verify_pool._pool is None  # no worker was started for it


def test_the_workers_start_again_after_a_shutdown():
    feed = FeedWriter()
    lines = [feed.write({"type": "note", "n": n}, time=n).raw for n in range(1, verify_pool.POOL_MIN + 1)]
    first = verify_pool.check_all(lines)
    verify_pool.shutdown()
    assert verify_pool.check_all(lines) == first
    assert all(isinstance(r, Entry) for r in first)


def forged(entry: Entry) -> bytes:
    """The entry with another valid-looking signature: only verifying it tells."""
    obj = json.loads(entry.raw)
    obj["sig"] = ("0" if obj["sig"][0] != "0" else "1") + obj["sig"][1:]
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.django_db
def test_a_big_bundle_stores_nothing_a_worker_did_not_verify():
    feed = FeedWriter()
    entries = [feed.write({"type": "note", "n": n}, time=n) for n in range(1, BATCH + 101)]
    lines = [e.raw for e in entries]
    lines[BATCH + 10] = forged(entries[BATCH + 10])
    report = import_bundle(io.BytesIO(b"\n".join(lines) + b"\n"))
    assert report.counts["stored"] == BATCH + 10
    assert report.counts["invalid"] == 1
    assert report.counts["early"] == 89  # what follows the forged entry waits for it
    assert report.problems[0] == f"line {BATCH + 11}: invalid entry (signature): the signature does not verify under author"
    assert LogEntry.objects.filter(hash=entries[BATCH + 10].hash).count() == 0
    assert log.vector() == {entries[0].author: BATCH + 10}


def test_a_big_frame_is_verified_in_the_workers_with_each_refusal_named():
    feed = FeedWriter()
    entries = [feed.write({"type": "note", "n": n}, time=n) for n in range(1, verify_pool.POOL_MIN + 11)]
    items = [json.loads(e.raw) for e in entries]
    items[3] = json.loads(forged(entries[3]))
    items[5] = {"author": entries[5].author, "seq": 6}
    checked = store.verify_items(items)
    assert [c.hash for c in checked if isinstance(c, Entry)] == [e.hash for i, e in enumerate(entries) if i not in (3, 5)]
    bad = [c for c in checked if isinstance(c, store.Invalid)]
    assert [(b.rule, b.author) for b in bad] == [("signature", entries[3].author), ("fields", entries[5].author)]
