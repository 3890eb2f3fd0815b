"""The /ws/sync/ consumer against docs/PROTOCOL.md section 4, driven in-process by a hand-made
peer that speaks the protocol with its own key (not our dialer).

Personas: a paired peer, a stranger (conftest fixtures), a blocked author, an invitee.
"""

import asyncio
import datetime as dt
import functools
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from calendar_p2p.asgi import replication
from events import log
from events.entry import sign_entry
from events.identity import author_id
from sync import hub, pairing, protocol, session
from sync.models import Invite, PairingRequest, Peer
from tests.peer_client import (
    PeerClient,
    T,
    as_obj,
    db,
    feed,
    make_peer,
    paired_client,
    stored_hashes,
)
from tests.support.personas import eventually

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]


async def test_it_admits_a_paired_peer_and_sends_what_it_lacks(paired_peer):
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(3)]
    c, have = await paired_peer.session()
    assert have["feeds"] == {mine[0].author: 3}
    frame = await c.recv_type("entries")
    assert [e["seq"] for e in frame["entries"]] == [1, 2, 3]
    await c.send(protocol.ack({mine[0].author: 3}))
    await c.close()


async def test_it_refuses_a_stranger_with_pending_and_records_the_request(stranger):
    c = await stranger.connect()
    answer = await c.handshake()
    assert (answer["type"], answer["code"]) == ("error", "pending")
    await c.closed()
    req = await db(lambda: PairingRequest.objects.get(author=c.id))
    assert (req.direction, req.state, req.url) == ("incoming", "pending", "http://peer.example")
    assert not await db(lambda: Peer.objects.filter(author=c.id).exists())


async def test_it_refuses_a_replayed_auth(paired_peer):
    c, _ = await paired_peer.session()
    old_auth = c.auth_frame()  # signed over the first connection's nonces
    await c.close()
    eve = paired_peer.client()  # same key, but replays the old auth frame
    eve.nonce = c.nonce
    await eve.connect()
    assert eve.server_hello["nonce"] != c.server_hello["nonce"]
    await eve.hello()
    await eve.recv_type("auth")
    await eve.send(old_auth)
    answer = await eve.recv()
    assert (answer["type"], answer["code"]) == ("error", "not-paired")
    await eve.closed()


async def test_it_refuses_entries_before_the_handshake(stranger):
    c = await stranger.connect()
    await c.entries(feed(c.key, 1))
    answer = await c.recv()
    assert answer["code"] == "bad-frame"
    await c.closed()
    assert await stored_hashes() == set()


async def test_it_pairs_with_a_valid_invite_once():
    url = await db(pairing.create_invite)
    _, token = pairing.split_pair_url(url)
    c = await PeerClient(name="invitee").connect()
    assert (await c.handshake(invite=token))["type"] == "have"
    peer = await db(lambda: Peer.objects.get(author=c.id))
    assert (peer.name, peer.url, peer.state) == ("invitee", "http://peer.example", "paired")
    await c.close()
    other = await PeerClient(name="second").connect()
    answer = await other.handshake(invite=token)
    assert (answer["code"], "used" in answer["message"]) == ("bad-invite", True)
    await other.closed()
    assert not await db(lambda: Peer.objects.filter(author=other.id).exists())


async def test_it_refuses_an_expired_invite(stranger):
    past = timezone.now() - dt.timedelta(days=8)
    url = await db(pairing.create_invite, now=past)
    _, token = pairing.split_pair_url(url)
    c = await stranger.connect()
    answer = await c.handshake(invite=token)
    assert (answer["code"], "expired" in answer["message"]) == ("bad-invite", True)
    await c.closed()
    invite = await db(lambda: Invite.objects.get())
    assert invite.used_at is None and len(invite.token_hash) == 64 and token not in invite.token_hash


async def test_it_refuses_a_blocked_key():
    c = PeerClient()
    await make_peer(c, state=Peer.BLOCKED)
    await c.connect()
    assert (await c.handshake())["code"] == "blocked"
    await c.closed()


async def test_it_refuses_another_protocol_version(stranger):
    c = await stranger.connect()
    await c.hello(v=protocol.VERSION - 1)  # an instance from before calendars
    answer = await c.recv()
    assert answer["code"] == "version"
    await c.closed()


@pytest.mark.parametrize("frame", ["{nope", '{"type":"gossip"}', '{"type":"have","feeds":{"x":1}}'])
async def test_it_answers_bad_frame_and_closes(paired_peer, frame):
    c, _ = await paired_peer.session()
    await c.send(frame)
    assert (await c.recv_type("error"))["code"] == "bad-frame"
    await c.closed()


async def test_it_answers_bad_frame_to_binary_frames(paired_peer):
    c, _ = await paired_peer.session()
    await c.comm.send_to(bytes_data=b"\x00\x01")
    assert (await c.recv_type("error"))["code"] == "bad-frame"
    await c.closed()


async def test_it_answers_too_large_for_big_frames_and_many_entries(paired_peer):
    c, _ = await paired_peer.session()
    await c.send('{"type":"want","feeds":{},"pad":"' + "x" * (1024 * 1024) + '"}')
    assert (await c.recv_type("error"))["code"] == "too-large"
    await c.closed()
    c2, _ = await paired_peer.session()
    await c2.entries([as_obj(e) for e in paired_peer.feed(1)] * 1001)
    assert (await c2.recv_type("error"))["code"] == "too-large"
    await c2.closed()
    assert await stored_hashes() == set()


async def test_it_keeps_valid_entries_of_other_feeds_beside_a_bad_entry(paired_peer):
    c, _ = await paired_peer.session()
    other = Ed25519PrivateKey.generate()
    good = feed(c.key, 3)
    y = feed(other, 3)
    forged = as_obj(y[1])
    forged["body"] = {"type": "note", "n": "changed"}  # signature no longer verifies
    await c.entries([good[0], y[0], forged, good[1], y[2], good[2]])
    err = await c.recv_type("error")
    assert err["code"] == "bad-entry" and "signature" in err["message"]
    assert err["hash"] == protocol.entry_hash(forged)
    ack = await c.recv_type("ack")
    assert ack["feeds"] == {c.id: 3, author_id(other): 1}
    assert await stored_hashes() == {good[0].hash, good[1].hash, good[2].hash, y[0].hash}
    await c.close()


async def test_a_frame_that_comes_in_while_one_is_verified_shares_its_commit_and_gets_its_own_answers(paired_peer, monkeypatch):
    from sync import store

    verify, verified, second_in, commits = store.verify, store.verified, asyncio.Event(), []

    async def verify_then_say(items):
        result = await verify(items)
        if len(commits) == 0 and items[0]["seq"] == 5:
            second_in.set()  # the session queues it before this coroutine runs again
        return result

    async def verified_once_the_second_is_in(frame):
        await asyncio.wait_for(second_in.wait(), 5)
        return await verified(frame)

    def counted(frames):
        commits.append(len(frames))
        return store_frames(frames)

    store_frames = store.store_frames
    monkeypatch.setattr(store, "verify", verify_then_say)
    monkeypatch.setattr(store, "verified", verified_once_the_second_is_in)
    monkeypatch.setattr(store, "store_frames", counted)
    c, _ = await paired_peer.session()
    mine = feed(c.key, 7)
    forged = as_obj(mine[3])
    forged["body"] = {"type": "note", "n": "changed"}
    await c.entries([*mine[:3], forged])  # frame 1: 1-3 stored, 4 forged
    await c.entries(mine[4:])  # frame 2: 5-7 wait for 4 (early)
    answers = [await c.recv() for _ in range(4)]
    assert [(a["type"], a.get("code")) for a in answers] == [("error", "bad-entry"), ("ack", None), ("want", None), ("ack", None)]
    assert answers[0]["hash"] == protocol.entry_hash(forged)
    assert answers[1]["feeds"] == {c.id: 3} and answers[2]["feeds"] == {c.id: 3} and answers[3]["feeds"] == {c.id: 3}
    assert commits == [2]
    assert await stored_hashes() == {e.hash for e in mine[:3]}
    await c.close()


async def test_it_names_the_rule_of_a_bad_entry_checked_against_the_store(paired_peer):
    c, _ = await paired_peer.session()
    first = feed(c.key, 1)[0]
    wrong_prev = sign_entry(c.key, seq=2, prev="0" * 64, body={"type": "note"}, time=T)
    await c.entries([first, wrong_prev])
    err = await c.recv_type("error")
    assert (err["code"], err["hash"], "prev" in err["message"]) == ("bad-entry", wrong_prev.hash, True)
    assert await stored_hashes() == {first.hash}
    await c.close()


async def test_it_answers_fork_and_keeps_what_it_has(paired_peer):
    c, _ = await paired_peer.session()
    first = feed(c.key, 1)[0]
    twin = feed(c.key, 1, body={"type": "note", "n": "twin"})[0]
    await c.entries([first])
    await c.recv_type("ack")
    await c.entries([twin])
    err = await c.recv_type("error")
    assert (err["code"], err["hash"]) == ("fork", twin.hash)
    assert await stored_hashes() == {first.hash}
    assert [f.offered_hash for f in await db(log.fork_evidence)] == [twin.hash]
    await c.close()


async def test_it_sends_want_after_a_gap(paired_peer):
    c, _ = await paired_peer.session()
    entries = feed(c.key, 4)
    await c.entries(entries[:2])
    await c.recv_type("ack")
    await c.entries(entries[3:])
    want = await c.recv_type("want")
    assert want["feeds"] == {c.id: 2}
    await c.close()


async def test_it_resends_a_feed_on_want(paired_peer):
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(3)]
    c, _ = await paired_peer.session()
    assert len((await c.recv_type("entries"))["entries"]) == 3
    await c.send(protocol.ack({mine[0].author: 3}))
    await c.send(protocol.want({mine[0].author: 1}))
    again = await c.recv_type("entries")
    assert [e["seq"] for e in again["entries"]] == [2, 3]
    await c.close()


async def test_it_survives_a_have_with_absurd_seqs(paired_peer):
    await db(log.append_local, {"type": "note"})
    me = await db(log.my_author_id)
    stranger = "cd" * 32
    c = await paired_peer.connect()
    await c.handshake()
    await c.send(protocol.have({stranger: 2**63 - 1, c.id: 2**62}))
    frame = await c.recv_type("entries")  # it still sends our feed, nothing else
    assert {e["author"] for e in frame["entries"]} == {me}
    await c.send(protocol.ack({me: 1}))
    await c.quiet()
    await c.send('{"type":"have","feeds":{"' + stranger + '":18446744073709551616}}')
    assert (await c.recv_type("error"))["code"] == "bad-frame"
    await c.closed()


async def test_it_rate_limits_a_flood_of_tiny_frames(paired_peer, monkeypatch):
    # The real burst, refilled at 1 frame/s instead of RATE: on a busy machine the
    # flood takes longer to send than RATE needs to refill 200 frames' worth.
    monkeypatch.setattr(session, "TokenBucket", functools.partial(session.TokenBucket, rate=1.0))
    c, _ = await paired_peer.session()
    for _ in range(int(session.BURST) + 200):
        await c.send('{"type":"want","feeds":{}}')
    err = await c.recv_type("error", timeout=10)
    assert err["code"] == "rate-limit"
    await c.close()


async def test_it_drops_entries_of_blocked_authors_and_does_not_relay_them(paired_peer):
    c, _ = await paired_peer.session()
    spammer = Ed25519PrivateKey.generate()
    await db(pairing.block, author_id(spammer))
    spam, good = feed(spammer, 2), feed(c.key, 1)
    await c.entries(spam + good)
    ack = await c.recv_type("ack")
    assert ack["feeds"] == {c.id: 1}
    assert await stored_hashes() == {good[0].hash}
    await c.close()


async def test_it_pushes_new_entries_live_and_relays_between_peers():
    a, _ = await paired_client("a")
    b, _ = await paired_client("b")
    mine = await db(log.append_local, {"type": "note", "n": "live"})
    replication.hub.kick()  # a write in this process: the consumer's hub looks at the log now
    for c in (a, b):
        frame = await c.recv_type("entries")
        assert [e["sig"] for e in frame["entries"]] == [mine.sig]
        await c.send(protocol.ack({mine.author: 1}))
    from_a = feed(a.key, 2)
    await a.entries(from_a)
    await a.recv_type("ack")
    relayed = await b.recv_type("entries")
    assert [e["seq"] for e in relayed["entries"]] == [1, 2] and relayed["entries"][0]["author"] == a.id
    await b.send(protocol.ack({a.id: 2}))
    await a.quiet()  # nothing echoed back to the author
    await a.close()
    await b.close()


async def test_it_asks_for_our_own_entries_when_a_peer_holds_more_of_our_feed(paired_peer):
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(3)]
    c, _ = await paired_peer.session()
    await c.recv_type("entries")
    await c.send(protocol.ack({mine[0].author: 3}))
    await c.send(protocol.have({mine[0].author: 5}))
    want = await c.recv_type("want")
    assert want["feeds"] == {mine[0].author: 3}
    later = await db(lambda: feed(log.signing_key(), 1, start=4, prev=mine[-1].hash))
    await c.entries(later)  # our own entry, verified: the claim is backed and holds writes
    assert (await c.recv_type("ack"))["feeds"] == {mine[0].author: 4}
    with pytest.raises(log.LocalWritesHeld):
        await db(log.append_local, {"type": "note"})
    assert "restored" in await db(log.writes_held_reason)
    await c.close()


async def test_it_closes_a_silent_handshake(monkeypatch, stranger):
    monkeypatch.setattr(session, "HANDSHAKE_TIMEOUT", 0.5)
    c = await stranger.connect()
    await c.closed(timeout=4)


async def test_it_keeps_one_connection_per_peer(paired_peer):
    c, _ = await paired_peer.session()
    again = paired_peer.client()
    await again.connect()
    assert (await again.handshake())["type"] == "have"
    out = await c.closed()  # same dialer: the newer connection replaces the older one
    assert out.get("code") == hub.DUPLICATE_CLOSE and "duplicate" in out.get("reason", "")
    await again.close()


async def test_it_updates_the_status_the_owner_sees(paired_peer):
    from sync.status import status

    c, _ = await paired_peer.session()
    await c.entries(paired_peer.feed(5))
    await c.recv_type("ack")

    async def progress():  # the running session saves it every STATUS_INTERVAL
        [peer] = (await db(status))["peers"]
        return (peer["connected"], peer["entries_received"], peer["we_lack"])

    async def connected():
        return (await db(status))["peers"][0]["connected"]

    await eventually(progress, equals=(True, 5, 0), timeout=20, message="the status: connected, 5 received, nothing lacking")
    await c.close()
    await eventually(connected, equals=False, timeout=20, message="the status: disconnected")


async def test_it_drops_a_peer_that_stops_answering_mid_sync(monkeypatch, paired_peer):
    monkeypatch.setattr(session, "ACK_TIMEOUT", 0.5)
    await db(log.append_local, {"type": "note"})
    c, _ = await paired_peer.session()
    await c.recv_type("entries")  # and never acknowledge it
    await c.closed(timeout=4)


def test_it_backs_off_exponentially_with_jitter_up_to_a_cap():
    from sync.dialer import backoff_delay

    for failures, (low, high) in {0: (0.25, 0.5), 3: (2, 4), 50: (30, 60)}.items():
        delays = [backoff_delay(failures) for _ in range(200)]
        assert low <= min(delays) and max(delays) <= high and len(set(delays)) > 1


def test_it_reads_invite_and_base_urls():
    assert pairing.split_pair_url("http://h:8000/pair/abcdefghijklmnopqrstuvwx/") == (
        "http://h:8000",
        "abcdefghijklmnopqrstuvwx",
    )
    assert pairing.split_pair_url("https://cal.example/sub/") == ("https://cal.example/sub", None)
    assert pairing.sync_ws_url("https://cal.example/sub") == "wss://cal.example/sub/ws/sync/"
    with pytest.raises(ValueError):
        pairing.split_pair_url("not a url")


def test_sync_once_fails_with_a_message_when_no_peer_is_reachable():
    from django.core.management import CommandError, call_command

    from devtools.instances import free_port

    Peer.objects.create(author="ef" * 32, name="gone", url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(CommandError, match="no peer was reachable"):
        call_command("sync", "--once", "--timeout", "5")


def test_peers_command_approves_refuses_blocks_and_unpairs(capsys):
    from django.core.management import call_command

    now = timezone.now()
    r1 = PairingRequest.objects.create(author="a1" * 32, direction="incoming", name="ann", url="http://ann", created=now)
    r2 = PairingRequest.objects.create(author="b2" * 32, direction="incoming", name="bob", url="http://bob", created=now)
    call_command("peers", "--approve", str(r1.id))
    call_command("peers", "--refuse", str(r2.id))
    assert Peer.objects.get(author="a1" * 32).url == "http://ann"
    assert PairingRequest.objects.get(id=r2.id).state == "refused"
    call_command("peers", "--block", "b2b2b2b2")
    assert pairing.blocked_authors() == {"b2" * 32}
    call_command("peers", "--unpair", "a1" * 32)
    assert not Peer.objects.filter(author="a1" * 32).exists()
    capsys.readouterr()
    call_command("peers", "--json")
    data = json.loads(capsys.readouterr().out)
    assert [p["state"] for p in data["peers"]] == ["blocked"] and data["requests"] == []


async def test_it_does_not_relay_feeds_it_blocked_after_storing_them(paired_peer):
    other = Ed25519PrivateKey.generate()
    await db(log.receive, feed(other, 2))
    await db(pairing.block, author_id(other))
    c = await paired_peer.connect()
    have = await c.handshake()
    assert author_id(other) not in have["feeds"]
    await c.send(protocol.have({}))
    await c.quiet()
    await c.close()
