"""A hostile paired peer: valid handshake, then garbage (docs/PROTOCOL.md sections 2.4 and 4.3).

After every attack: nothing invalid is stored (every chain still verifies),
the owner can still use the calendar, another peer still replicates, and the
error frame names the problem. Most attacks run against the in-process
consumer; the ones about sockets, memory and floods run against a real daphne
process with the `websockets` client.
"""

import asyncio
import json
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.instances import check_log
from events import calendar, log
from events.entry import sign_entry, signed_bytes
from events.identity import author_id
from events.verify import verify_log
from sync import protocol
from sync.hub import Hub
from sync.session import Session
from sync.status import status
from tests.peer_client import (
    T,
    WsPeerClient,
    as_obj,
    db,
    feed,
    paired_client,
    stored_hashes,
)
from tests.support.personas import Persona, eventually, pair

db_marks = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]


def signed_by_other(c):
    """An entry that names the peer as author but is signed by another key."""
    forged = sign_entry(Ed25519PrivateKey.generate(), seq=1, prev=None, body={"type": "note"}, time=T)
    obj = as_obj(forged)
    obj["author"] = c.id
    return [obj], ("bad-entry", "signature")


def wrong_prev(c):
    first = feed(c.key, 1)[0]
    return [first, sign_entry(c.key, seq=2, prev="ab" * 32, body={"type": "note"}, time=T)], ("bad-entry", "prev")


def floats(c):
    obj = as_obj(feed(c.key, 1)[0])
    return '{"type":"entries","entries":[' + json.dumps(obj)[:-1] + ',"x":1.5}]}', ("bad-frame", "float")


def float_in_body(c):
    obj = as_obj(feed(c.key, 1)[0])
    obj["body"]["n"] = 0.5
    return [obj], ("bad-frame", "float")


def deep_body(c):
    body = {"type": "note"}
    inner = body
    for _ in range(20):
        inner["x"] = {}
        inner = inner["x"]
    obj = as_obj(feed(c.key, 1)[0])
    obj["body"] = body
    return [obj], ("bad-entry", "nested deeper")


def deep_frame(c):
    return '{"type":"entries","entries":[' + "[" * 100_000 + "]" * 100_000 + "]}", ("bad-frame", "nested deeper")


def big_body(c):
    obj = as_obj(feed(c.key, 1)[0])
    obj["body"] = {"type": "note", "text": "x" * 70_000}
    return [obj], ("bad-entry", "limits")


def unsorted_links(c):
    links = ["ff" * 32, "00" * 32]
    obj = as_obj(feed(c.key, 1)[0])
    obj["links"] = links  # signature now fails too: fields, limits, signature come first
    return [obj], ("bad-entry", "signature")


def not_objects(c):
    return [1, "entry", None, []], ("bad-entry", "fields")


def two_mb_frame(c):
    return '{"type":"want","feeds":{},"pad":"' + "x" * (2 * 1024 * 1024) + '"}', ("too-large", "more than")


def unknown_type(c):
    return '{"type":"gossip","feeds":{}}', ("bad-frame", "unknown frame type")


def not_json(c):
    return '{"type": "entries", "entries": [', ("bad-frame", "")


def signed_anyway(key, body, time=T):
    """A first entry signed without the writer's checks, as a hostile peer signs."""
    obj = {"author": author_id(key), "seq": 1, "prev": None, "links": [], "time": time, "body": body}
    obj["sig"] = key.sign(signed_bytes(obj)).hex()
    return obj


def year_10000_event(c):
    event = {"title": "end of time", "start": "9999-12-31T20:00:00", "end": "9999-12-31T21:00:00", "all_day": False,
             "tz": "America/Adak", "rrule": None, "exdates": [], "location": None, "description": None}
    return [signed_anyway(c.key, {"type": "event.put", "uid": "adak", "recurrence_id": None, "event": event})], ("bad-entry", "bounds")


def huge_time(c):
    return [signed_anyway(c.key, {"type": "note"}, time=10**30)], ("bad-entry", "time must be")


ATTACKS = [signed_by_other, wrong_prev, floats, float_in_body, deep_body, deep_frame, big_body, unsorted_links, not_objects,
           two_mb_frame, unknown_type, not_json, year_10000_event, huge_time]


async def still_serves_owner_and_peers(mine):
    """The owner can write and read; another paired peer gets our feed."""
    made = await db(calendar.create_event, title="still here", start="2026-05-01T10:00", tz="UTC")
    other, have = await paired_client("other")
    assert have["feeds"].get(mine.author, 0) >= 2
    frame = await other.recv_type("entries")
    assert any(e["sig"] == made.entry.sig for e in frame["entries"]) or frame["entries"][0]["seq"] == 1
    await other.close()
    report = await db(verify_log)
    assert report.ok, report.problems


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.__name__)
@pytest.mark.django_db(transaction=True, databases=["default", "index"])
@pytest.mark.usefixtures("flushable_log")
async def test_a_hostile_frame_is_named_and_nothing_invalid_is_stored(attack, paired_peer):
    mine = await db(log.append_local, {"type": "note", "n": "ours"})
    c, _ = await paired_peer.session()
    payload, (code, words) = attack(c)
    before = await stored_hashes()
    if isinstance(payload, str):
        await c.send(payload)
    else:
        await c.entries(payload)
    err = await c.recv_type("error")
    assert err["code"] == code and words in err["message"], err
    if code in protocol.CLOSING_CODES:
        await c.closed()
    else:
        await c.close()
    allowed = before | {e.hash for e in paired_peer.feed(1)}  # a valid first entry sent beside the bad one
    assert await stored_hashes() <= allowed
    await still_serves_owner_and_peers(mine)


@pytest.mark.django_db(transaction=True, databases=["default", "index"])
@pytest.mark.usefixtures("flushable_log")
async def test_a_fork_of_someone_elses_feed_is_evidence_and_the_first_stays(paired_peer):
    mine = await db(log.append_local, {"type": "note"})
    third = Ed25519PrivateKey.generate()
    original = feed(third, 2)
    twin = feed(third, 1, start=2, prev=original[0].hash, body={"type": "note", "n": "rewritten"})[0]
    c, _ = await paired_peer.session()
    await c.entries(original)
    assert (await c.recv_type("ack"))["feeds"] == {author_id(third): 2}
    await c.entries([twin])
    err = await c.recv_type("error")
    assert (err["code"], err["hash"]) == ("fork", twin.hash) and author_id(third)[:12] in err["message"]
    await c.close()
    assert twin.hash not in await stored_hashes() and {e.hash for e in original} <= await stored_hashes()
    assert [f.offered_hash for f in await db(log.fork_evidence)] == [twin.hash]
    await still_serves_owner_and_peers(mine)


@pytest.mark.django_db(transaction=True, databases=["default", "index"])
@pytest.mark.usefixtures("flushable_log")
async def test_want_for_feeds_that_do_not_exist_and_absurd_haves_change_nothing(paired_peer):
    mine = await db(log.append_local, {"type": "note"})
    c, _ = await paired_peer.session()
    await c.recv_type("entries")
    await c.send(protocol.ack({mine.author: 1}))
    await c.send(protocol.want({"ee" * 32: 0, "dd" * 32: protocol.MAX_SEQ}))
    await c.send(protocol.have({"cc" * 32: protocol.MAX_SEQ, "bb" * 32: protocol.MAX_SEQ, mine.author: 1}))
    assert await c.quiet()  # nothing to send for feeds we do not hold
    await c.send(protocol.want({"ee" * 32: 0, mine.author: 0}))
    frame = await c.recv_type("entries")
    assert {e["author"] for e in frame["entries"]} == {mine.author}
    await c.send(protocol.ack({mine.author: 1}))

    async def shown():  # the owner's status view still saves, every STATUS_INTERVAL
        [peer] = (await db(status))["peers"]
        return (peer["connected"], peer["we_lack"])

    await eventually(shown, equals=(True, protocol.MAX_SEQ), timeout=5, message="the status: connected, lacking MAX_SEQ")
    await c.close()
    await still_serves_owner_and_peers(mine)


# --- the frame handler under fuzzing -----------------------------------------------------


class Wire:
    """A transport that records what the session sends."""

    def __init__(self):
        self.sent: list[str] = []
        self.closed = False

    async def send(self, text):
        self.sent.append(text)

    async def close(self, code=1000, reason=""):
        self.closed = True


HEX = st.text("0123456789abcdef", min_size=64, max_size=64)
SEQS = st.one_of(st.integers(-5, 10), st.integers(2**62, 2**64), st.booleans(), st.none(), st.text(max_size=3))
JUNK = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=10)
ENTRY_ISH = st.fixed_dictionaries(
    {"author": HEX, "seq": SEQS, "prev": st.none() | HEX, "links": st.lists(HEX, max_size=3), "time": SEQS,
     "body": st.dictionaries(st.sampled_from(["type", "uid", "event"]), JUNK, max_size=3), "sig": st.text("0f", max_size=130)},
    optional={"extra": JUNK},
)
FRAMES = st.one_of(
    st.builds(lambda t, f: {"type": t, "feeds": f}, st.sampled_from(["have", "ack", "want"]),
              st.dictionaries(st.one_of(HEX, st.text(max_size=5)), SEQS, max_size=4)),
    st.builds(lambda es: {"type": "entries", "entries": es}, st.lists(st.one_of(ENTRY_ISH, JUNK), max_size=5)),
    st.builds(lambda t, rest: {"type": t, **rest}, st.one_of(st.sampled_from(sorted(protocol.TYPES)), st.text(max_size=8)),
              st.dictionaries(st.text(max_size=6), JUNK, max_size=3)),
    JUNK,
)


async def fuzz_session(peer_key, frames):
    wire = Wire()
    session = Session(wire, dialer=False, hub=Hub())
    await session.start()
    server_hello = json.loads(wire.sent[0])
    nonce = protocol.new_nonce()
    me = author_id(peer_key)
    await session.receive(protocol.hello(key=me, nonce=nonce, name="fuzzer", url=None))
    await session.receive(protocol.auth(peer_key, other_nonce=server_hello["nonce"], own_nonce=nonce,
                                        other_key=server_hello["key"], own_key=me))
    assert session.admitted
    for frame in frames:
        await session.receive(frame if isinstance(frame, str) else json.dumps(frame))
        for _ in range(50):  # let the verify and store tasks finish this frame
            if session.closed or not session.busy:
                break
            await asyncio.sleep(0.01)
    await session.close()
    for text in wire.sent:
        msg = protocol.decode(text)  # everything it sends is a well-formed frame
        if msg["type"] == "error":
            assert msg["code"] in protocol.ERROR_CODES and msg["message"]


@pytest.mark.django_db(transaction=True, databases=["default", "index"])
@pytest.mark.usefixtures("flushable_log")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(frames=st.lists(FRAMES, min_size=1, max_size=4))
def test_the_frame_handler_survives_any_frames_after_the_handshake(frames):
    fuzzer = pair(Persona("fuzzer"))  # a new paired key for every example
    asyncio.run(fuzz_session(fuzzer.key, frames))
    assert verify_log().ok


# --- a real process: sockets, floods, memory ----------------------------------------------


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def answers_http(inst) -> bool:
    return urllib.request.urlopen(inst.url + "/login/", timeout=5).status == 200


async def invited_client(inst, name):
    url = inst.manage("invite").strip()
    c = await WsPeerClient(inst.url, name=name).connect()
    assert (await c.handshake(invite=url.rstrip("/").rsplit("/", 1)[1]))["type"] == "have"
    await c.send(protocol.have({}))
    return c


@pytest.mark.slow
def test_a_real_instance_survives_floods_huge_frames_and_bad_utf8(spawn):
    inst = spawn("target")
    figures = {}
    inst.append("ours 1", "ours 2")
    asyncio.run(_attack_real(inst, figures))
    assert answers_http(inst)
    assert check_log(inst) >= 2
    print("hostile figures", json.dumps(figures))


async def _attack_real(inst, figures):
    hostile = await invited_client(inst, "hostile")
    key = hostile.key
    # an entry signed by another key: named over the wire, nothing stored
    payload, _ = signed_by_other(hostile)
    await hostile.entries(payload)
    err = await hostile.recv_type("error")
    assert err["code"] == "bad-entry" and "signature" in err["message"]
    # a 2 MB frame: the server drops the connection; it still serves
    await hostile.send('{"type":"want","feeds":{},"pad":"' + "x" * (2 * 1024 * 1024) + '"}')
    await hostile.closed(timeout=10)
    assert answers_http(inst)
    # invalid UTF-8, as a text frame and as a binary frame
    c = await invited_again(inst, key)
    await c.ws.send(b'{"type":"want","feeds":{}}\xff\xfe', text=True)
    await c.closed(timeout=10)
    c = await invited_again(inst, key)
    await c.send_bytes(b"\xff\xfe\x00")
    err = await c.recv_type("error")
    assert err["code"] == "bad-frame" and "text" in err["message"]
    await c.closed()
    # 100,000 tiny frames (reconnecting whenever it is cut off), while the owner and another peer use it
    base = rss_kb(inst.pid)
    friend = await invited_client(inst, "friend")
    sent, connections, peak = 0, 0, base
    started = time.monotonic()
    tiny = '{"type":"want","feeds":{}}'
    while sent < 100_000 and time.monotonic() - started < 120:
        c = await invited_again(inst, key)
        connections += 1
        try:
            for _ in range(100_000 - sent):
                await c.ws.send(tiny)
                sent += 1
                if sent % 2000 == 0:  # wait until the server has read them, then look at its memory
                    await asyncio.wait_for(await c.ws.ping(), 10)
                    peak = max(peak, rss_kb(inst.pid))
        except Exception:  # cut off by the rate limit: dial again
            pass
        finally:
            await c.ws.close()
        assert await asyncio.to_thread(answers_http, inst)
    assert sent == 100_000
    # the other peer was served meanwhile, and still is
    mine = inst.author()
    held = inst.vector()[mine]  # its key, its Personal calendar, and the two notes
    frame = await friend.recv_type("entries", timeout=10)
    assert frame["entries"][0]["author"] == mine and frame["entries"][-1]["seq"] == held
    await friend.send(protocol.ack({mine: held}))
    await asyncio.to_thread(inst.append, "after the flood")
    assert (await friend.recv_type("entries", timeout=10))["entries"][0]["seq"] == held + 1
    await friend.close()
    peak = max(peak, rss_kb(inst.pid))
    figures.update(tiny_frames=sent, connections=connections, rss_before_kb=base, rss_peak_kb=peak,
                   seconds=round(time.monotonic() - started, 1))
    assert peak - base < 60_000, f"memory grew from {base} to {peak} kB during the flood"
    assert key not in {a for a in inst.vector()}  # nothing of the hostile peer was stored


async def invited_again(inst, key):
    """The hostile peer dials again (it stays paired after its first invite)."""
    c = await WsPeerClient(inst.url, key=key, name="hostile").connect()
    answer = await c.handshake()
    assert answer["type"] == "have", answer
    await c.send(protocol.have({}))
    return c
