"""events.verify_pool: big batches are verified in worker processes, with exactly the outcomes of `parse_entry`."""

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import transaction

from devtools.feeds import FeedWriter
from events import log, verify_pool, worker_pool
from events.bundle import BATCH, import_bundle
from events.entry import Entry, parse_entry
from events.models import LogEntry
from sync import store
from tests.test_log import load_vectors

REPO = Path(__file__).resolve().parents[1]


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
    here = [verify_pool.here(item) for item in items]
    assert [as_pair(r) for r in verify_pool.check_all(items)] == [as_pair(r) for r in here]
    assert any(isinstance(r, Entry) for r in here) and any(not isinstance(r, Entry) for r in here)


def test_an_entry_rebuilt_from_a_verdict_equals_the_one_parsed_here_in_every_form_an_item_takes():
    """Workers send back a verdict, and the caller builds the Entry from its own
    item: canonical bytes, bytes with spaces, text, or an object parsed from a frame."""
    feed = FeedWriter()
    raws = [feed.write({"type": "note", "n": n, "text": "zi ploioasă"}, time=n).raw for n in range(1, verify_pool.POOL_MIN + 1)]
    forms = [
        lambda raw: raw,
        lambda raw: json.dumps(json.loads(raw), ensure_ascii=True, indent=1).encode(),
        lambda raw: raw.decode(),
        json.loads,
    ]
    items = [forms[i % len(forms)](raw) for i, raw in enumerate(raws)]
    by_workers = verify_pool.check_all(items)
    assert worker_pool.running()
    assert by_workers == [verify_pool.here(item) for item in items]
    assert [e.raw for e in by_workers] == raws
    assert all(type(e).__name__ == "LinkedEntry" for e in by_workers)


def test_a_small_batch_is_verified_in_the_callers_thread():
    worker_pool.shutdown()
    items = every_vector_line()[: verify_pool.POOL_MIN - 1]
    assert [as_pair(r) for r in verify_pool.check_all(items)] == [as_pair(r) for r in map(verify_pool.here, items)]
    assert not worker_pool.running()  # no worker was started for it


def test_the_workers_start_again_after_a_shutdown():
    feed = FeedWriter()
    lines = [feed.write({"type": "note", "n": n}, time=n).raw for n in range(1, verify_pool.POOL_MIN + 1)]
    first = verify_pool.check_all(lines)
    worker_pool.shutdown()
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


async def test_a_big_frame_is_verified_in_the_workers_with_each_refusal_named():
    feed = FeedWriter()
    entries = [feed.write({"type": "note", "n": n}, time=n) for n in range(1, verify_pool.POOL_MIN + 11)]
    items = [json.loads(e.raw) for e in entries]
    items[3] = json.loads(forged(entries[3]))
    items[5] = {"author": entries[5].author, "seq": 6}
    checked = await store.verified(await store.verify(items))
    assert [c.hash for c in checked if isinstance(c, Entry)] == [e.hash for i, e in enumerate(entries) if i not in (3, 5)]
    bad = [c for c in checked if isinstance(c, store.Invalid)]
    assert [(b.rule, b.author) for b in bad] == [("signature", entries[3].author), ("fields", entries[5].author)]


async def test_frames_are_verified_ahead_and_each_waited_for_in_its_turn():
    """`store.verify` returns at once for a big frame, its shares queued in the
    workers, so the next frames start while one is stored; `store.verified`
    gives each frame's outcome, whatever order the workers finish in."""
    feed = FeedWriter()
    entries = [feed.write({"type": "note", "n": n}, time=n) for n in range(1, 3 * verify_pool.POOL_MIN + 1)]
    frames = [[json.loads(e.raw) for e in entries[i:i + verify_pool.POOL_MIN]] for i in range(0, len(entries), verify_pool.POOL_MIN)]
    frames[1][7] = json.loads(forged(entries[verify_pool.POOL_MIN + 7]))
    started = [await store.verify(items) for items in frames]
    assert all(not isinstance(s.checked, verify_pool.CheckedHere) for s in started)  # all in the workers at once
    outcomes = [await store.verified(s) for s in reversed(started)][::-1]  # the last frame asked for first
    assert [len(frame) for frame in outcomes] == [verify_pool.POOL_MIN] * 3
    flat = [c for frame in outcomes for c in frame]
    forged_at = verify_pool.POOL_MIN + 7
    assert [c.hash for i, c in enumerate(flat) if i != forged_at] == [e.hash for i, e in enumerate(entries) if i != forged_at]
    assert isinstance(flat[forged_at], store.Invalid) and flat[forged_at].rule == "signature"


async def test_the_workers_start_when_a_peer_shows_a_big_batch_coming_and_not_for_a_few_entries():
    worker_pool.shutdown()
    store.expect(verify_pool.POOL_MIN - 1)
    assert not worker_pool.running()
    store.expect(verify_pool.POOL_MIN)
    started = time.monotonic()
    while not (worker_pool.running() and len(children_of(os.getpid())) >= worker_pool.workers()):
        assert time.monotonic() - started < 20, "the workers did not start"
        await asyncio.sleep(0.02)
    frame = [FeedWriter().write({"type": "note"}, time=1).as_dict() for _ in range(3)]
    assert all(isinstance(e, Entry) for e in verify_pool.check_all(frame * 100))  # warmed, they verify as ever


async def test_a_frame_of_a_few_entries_is_verified_in_place():
    feed = FeedWriter()
    items = [json.loads(feed.write({"type": "note"}, time=1).raw)]
    started = await store.verify(items)
    assert isinstance(started.checked, verify_pool.CheckedHere)
    assert [c.seq for c in await store.verified(started)] == [1]


STARTS_THE_POOL = """
import sys, time
from events import verify_pool
verify_pool.check_all([b"not an entry"] * verify_pool.POOL_MIN)
print("ready", flush=True)
time.sleep(120)
"""


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_workers_end_when_their_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", STARTS_THE_POOL], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        workers = children_of(parent.pid)
        assert workers
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10 * worker_pool.PARENT_CHECK + 5
    while any(running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(w) for w in workers)


def signed(key, **fields) -> bytes:
    """An entry signed as given, whatever the rules of step 4 say of it."""
    from events.entry import canonical, signed_bytes

    obj = {"author": key.public_key().public_bytes_raw().hex(), "links": [], "time": 1, **fields}
    obj["sig"] = key.sign(signed_bytes(obj)).hex()
    return canonical(obj)


class Undo(Exception):
    pass


@pytest.mark.django_db
def test_rules_a_worker_applies_ahead_are_still_decided_in_protocol_order():
    """A worker also applies `links`, `body` and `bounds`; a receiver still
    names `prev` first (docs/PROTOCOL.md section 2.4), exactly as when it
    applies every rule itself."""
    items = [FeedWriter().write({"type": "note"}, time=1).raw for _ in range(verify_pool.POOL_MIN)]
    odd = FeedWriter()
    first = odd.write({"type": "note"}, time=1)
    unsorted = ["b" * 64, "a" * 64]
    beyond_year_9999 = {"type": "event.put", "uid": "u", "recurrence_id": None, "event": {
        "title": "t", "start": "9999-12-31T20:00:00", "end": "9999-12-31T21:00:00", "tz": "America/Adak", "all_day": False}}
    items += [
        first.raw,
        signed(odd.key, seq=2, prev="c" * 64, links=unsorted, body={"type": "note"}),
        signed(odd.key, seq=2, prev=first.hash, links=unsorted, body={"type": "note"}),
        signed(odd.key, seq=2, prev=first.hash, body={"type": ""}),
        signed(odd.key, seq=2, prev=first.hash, body=beyond_year_9999),
    ]
    try:
        with transaction.atomic():
            by_this_thread = log.receive([parse_entry(item) for item in items])  # plain entries: every rule here
            raise Undo
    except Undo:
        pass
    worker_pool.shutdown()
    by_workers = log.receive(log.parse_many(items))
    assert worker_pool.running()  # the batch went to the workers
    assert [(o.result, o.rule) for o in by_workers] == [(o.result, o.rule) for o in by_this_thread]
    assert [o.rule for o in by_workers[-4:]] == ["prev", "links", "body", "bounds"]
    assert log.vector()[odd.author] == 1
