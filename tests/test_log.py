"""The log against docs/PROTOCOL.md section 2: the test vectors, each rule, forks, append-only."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.feeds import FeedWriter
from events import log
from events.canonical import canonical
from events.entry import EntryInvalid, parse_entry, sign_entry
from events.models import ForkEvidence, LogEntry

VECTORS = Path(__file__).resolve().parent / "data" / "vectors" / "entries.jsonl"  # docs/PROTOCOL.md section 7
BOUNDS_VECTORS = VECTORS.with_name("bounds.jsonl")  # the ranges of sections 2.3 and 5.2
REPO = Path(__file__).resolve().parents[1]


def load_vectors():
    vectors = []
    for path in (VECTORS, BOUNDS_VECTORS):
        found = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        assert found, f"no vectors in {path}"
        vectors += found
    return vectors


def snapshot():
    return list(LogEntry.objects.order_by("arrival").values_list("hash", flat=True)), log.vector()


def feed(key, n, *, body=None, start=1, prev=None):
    writer = FeedWriter(key, seq=start - 1, prev=prev)
    return [writer.write(body or {"type": "note", "n": seq}, time=1_795_000_000_000) for seq in range(start, start + n)]


@pytest.mark.django_db
@pytest.mark.parametrize("vector", load_vectors(), ids=lambda v: v["name"])
def test_it_classifies_every_vector(vector):
    held = log.receive(vector["held"])
    assert [o.result for o in held] == ["stored"] * len(vector["held"])
    before = snapshot()
    [outcome] = log.receive([vector["offer"]])
    assert (outcome.result, outcome.rule) == (vector["result"], vector["rule"])
    if outcome.result != "stored":
        assert snapshot() == before


@pytest.mark.django_db
def test_it_appends_a_signed_chain_of_local_entries():
    first = log.append_local({"type": "note", "text": "a"})
    second = log.append_local({"type": "note", "text": "b"}, links=[first.hash])
    assert (first.seq, first.prev) == (1, None)
    assert (second.seq, second.prev, second.links) == (2, first.hash, (first.hash,))
    assert log.vector() == {log.my_author_id(): 2}
    assert parse_entry(second.raw).hash == second.hash


@pytest.mark.django_db
def test_it_refuses_an_invalid_local_body():
    with pytest.raises(EntryInvalid) as err:
        log.append_local({"type": ""})
    assert err.value.rule == "body"
    assert log.vector() == {}


@pytest.mark.django_db
def test_it_stores_a_batch_atomically_and_reports_each_entry():
    key = Ed25519PrivateKey.generate()
    a1, a2, a3 = feed(key, 3)
    outcomes = log.receive([a1.raw, a3.raw, a2.raw, a2.raw, b"not json"])
    assert [o.result for o in outcomes] == ["stored", "early", "stored", "duplicate", "invalid"]
    assert outcomes[-1].rule == "fields"
    assert log.vector() == {a1.author: 2}


@pytest.mark.django_db
def test_it_stops_a_feed_at_its_first_bad_entry_but_keeps_other_feeds():
    k1, k2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    good = feed(k2, 2)
    a1 = feed(k1, 1)[0]
    bad_prev = sign_entry(k1, seq=2, prev="0" * 64, body={"type": "x"}, time=0)
    a3 = sign_entry(k1, seq=3, prev=bad_prev.hash, body={"type": "x"}, time=0)
    outcomes = log.receive([a1.raw, bad_prev.raw, a3.raw, *(e.raw for e in good)])
    assert [(o.result, o.rule) for o in outcomes] == [
        ("stored", None), ("invalid", "prev"), ("early", None), ("stored", None), ("stored", None)
    ]
    assert log.vector() == {a1.author: 1, good[0].author: 2}


@pytest.mark.django_db
def test_it_records_a_fork_as_evidence_and_keeps_the_first():
    key = Ed25519PrivateKey.generate()
    [first] = feed(key, 1, body={"type": "note", "v": 1})
    [other] = feed(key, 1, body={"type": "note", "v": 2})
    log.receive([first.raw])
    [outcome] = log.receive([other.raw])
    assert outcome.result == "fork"
    assert log.get_entries([first.hash, other.hash])[0].hash == first.hash
    evidence = ForkEvidence.objects.get()
    assert (evidence.held_hash, evidence.offered_hash) == (first.hash, other.hash)


@pytest.mark.django_db
def test_the_log_table_refuses_updates_and_deletes():
    log.append_local({"type": "note"})
    for sql in ("UPDATE log_entry SET raw = 'x'", "DELETE FROM log_entry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert LogEntry.objects.count() == 1


@pytest.mark.django_db
def test_it_reads_a_feed_in_chunks_from_a_seq():
    key = Ed25519PrivateKey.generate()
    entries = feed(key, 12)
    log.receive([e.raw for e in entries])
    assert [e.seq for e in log.read_feed(key.public_key().public_bytes_raw().hex(), 4, chunk=5)] == list(range(5, 13))


@pytest.mark.django_db
def test_views_can_tail_the_log_by_arrival():
    a = log.append_local({"type": "note"})
    cursor = log.entries_since(0)[-1][0]
    b = log.append_local({"type": "note"})
    assert [e.hash for _, e in log.entries_since(0)] == [a.hash, b.hash]
    assert [e.hash for _, e in log.entries_since(cursor)] == [b.hash]


@pytest.mark.django_db
def test_the_fold_takes_received_entries_as_received_and_any_other_from_its_row():
    """Entries just received reach the tail that reads them back without being
    parsed again (events.log_rows.remember); read again, they come from the row."""
    received = [parse_entry(e.raw) for e in feed(Ed25519PrivateKey.generate(), 3)]
    log.receive(received)
    local = log.append_local({"type": "note"})
    first = [entry for _, entry in log.entries_since(0)]
    assert first == [*received, local]
    assert all(a is b for a, b in zip(first, received, strict=False))
    assert [e.raw for e in first] == [e.raw for e in received] + [local.raw]
    again = [entry for _, entry in log.entries_since(0)]
    assert again == first and all(a is not b for a, b in zip(again, first, strict=True))


@pytest.mark.django_db
def test_local_writes_wait_when_a_peer_holds_more_of_our_feed():
    log.append_local({"type": "note"})
    assert not log.note_own_feed_seen(5, peer="f" * 64, peer_name="bob")  # a bare number holds nothing
    assert log.writes_held_reason() is None
    assert log.note_own_entries_backed("f" * 64)  # our own entries from bob verified: now it holds
    with pytest.raises(log.LocalWritesHeld, match="restored"):
        log.append_local({"type": "note"})
    assert "bob" in log.writes_held_reason()
    assert log.vector() == {log.my_author_id(): 1}


def test_concurrent_writers_get_consecutive_seqs(tmp_path):
    script = (
        "import django, os; django.setup();"
        "from events import log;"
        "[log.append_local({'type': 'note', 'w': os.getpid()}) for _ in range(20)]"
    )
    env = {"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "calendar_p2p.settings", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
    workers = [subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env) for _ in range(4)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]
    check = (
        "import django; django.setup(); from events import log;"
        "es = list(log.all_entries()); print(len(es), [e.seq for e in es] == list(range(1, len(es) + 1)),"
        "all(b.prev == a.hash for a, b in zip(es, es[1:])))"
    )
    out = subprocess.run([sys.executable, "-c", check], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["80", "True", "True"]


KEY = Ed25519PrivateKey.generate()
_JSON_TEXT = st.text(max_size=20)
_BODY_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | _JSON_TEXT, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_JSON_TEXT, inner, max_size=3), max_leaves=8)


@given(st.dictionaries(_JSON_TEXT, _BODY_VALUES, max_size=4), st.integers(0, 253_402_300_799_999))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_a_signed_entry_is_its_own_canonical_encoding(extra, time):
    """`sign_entry` puts the signature into the bytes it signed rather than encoding
    the entry twice; bodies holding `,"time":` or `"sig"` must not fool it."""
    body = {**extra, "type": "note", "decoy": ',"time":1,"sig":"x"}'}
    entry = sign_entry(KEY, seq=1, prev=None, body=body, time=time, links=["b" * 64, "a" * 64])
    obj = json.loads(entry.raw)
    assert entry.raw == canonical(obj) and obj["body"] == body and obj["time"] == time
    assert parse_entry(entry.raw) == entry


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_no_byte_string_makes_the_validator_raise_anything_else(data):
    try:
        parse_entry(data)
    except EntryInvalid as e:
        assert e.rule in {"fields", "limits", "signature"}


def test_hostile_nesting_is_refused_as_a_limit():
    with pytest.raises(EntryInvalid) as err:
        parse_entry(b"[" * 100_000 + b"]" * 100_000)
    assert err.value.rule == "limits"


KEYS = [Ed25519PrivateKey.generate() for _ in range(3)]
FEEDS = [feed(k, 6) for k in KEYS]
ALL = [e for f in FEEDS for e in f]


@pytest.mark.django_db
@given(st.lists(st.permutations(ALL), min_size=3, max_size=3))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_replicas_that_hear_entries_in_any_order_end_identical(orders):
    """Three replicas (simulated by sequential runs) each hear every entry in a
    random order, retrying early ones as a sync would; all end with the same log."""
    results = []
    for order in orders:
        with transaction.atomic():
            pending = list(order)
            while pending:
                outcomes = log.receive([e.raw for e in pending])
                pending = [e for e, o in zip(pending, outcomes, strict=True) if o.result == "early"]
            results.append((sorted(LogEntry.objects.values_list("hash", flat=True)), log.vector()))
            transaction.set_rollback(True)
    assert results[0] == results[1] == results[2]
    assert len(results[0][0]) == len(ALL)
