"""Forks decided by the owner (docs/PROTOCOL.md section 2.5).

Once an author is known to have signed two histories, its new entries wait:
not stored, answered `waiting` without closing, not asked for again, and not
sent again by the other side in a loop. The owner decides from the Peers
page or `manage.py peers --fork AUTHOR --keep-held|--block`. Our own feed's
forks (a restored backup that wrote first) are shown with an explanation and
never hold anything.
"""

import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from events import log
from events.identity import author_id
from events.models import ForkDecision
from sync import pairing, protocol
from sync.models import Peer
from tests.peer_client import db, feed, stored_hashes

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]


def peers(*args) -> str:
    out = io.StringIO()
    call_command("peers", *args, stdout=out)
    return out.getvalue()


async def forked_third_author(c):
    """A third author's entries 1-2 stored, then its twin of entry 2 offered: fork evidence."""
    third = Ed25519PrivateKey.generate()
    held = feed(third, 2)
    twin = feed(third, 1, start=2, prev=held[0].hash, body={"type": "note", "n": "the other history"})[0]
    await c.entries(held)
    assert (await c.recv_type("ack"))["feeds"] == {author_id(third): 2}
    await c.entries([twin])
    assert (await c.recv_type("error"))["code"] == "fork"
    await c.recv_type("ack")
    return third, held


async def test_after_a_fork_the_authors_new_entries_wait_without_closing_or_asking_again(paired_peer):
    c, _ = await paired_peer.session()
    third, held = await forked_third_author(c)
    later = feed(third, 2, start=3, prev=held[-1].hash)
    await c.entries(later + paired_peer.feed(1))  # the peer's own entry in the same frame is kept
    err = await c.recv_type("error")
    assert err["code"] == "waiting" and "decision" in err["message"] and err["hash"] == later[0].hash
    ack = await c.recv()
    assert ack["type"] == "ack" and ack["feeds"] == {author_id(third): 2, paired_peer.id: 1}  # no `want` before it
    assert await c.quiet()
    stored = await stored_hashes()
    assert not {e.hash for e in later} & stored and paired_peer.feed(1)[0].hash in stored
    text = await db(peers)
    assert "WAIT for your decision" in text and f"--fork {author_id(third)[:16]} --keep-held" in text
    await c.close()


async def test_keep_held_accepts_the_authors_entries_again_and_later_forks_do_not_hold_them(paired_peer):
    c, _ = await paired_peer.session()
    third, held = await forked_third_author(c)
    assert "keeping the branch we hold" in await db(peers, "--fork", author_id(third)[:12], "--keep-held")
    later = feed(third, 2, start=3, prev=held[-1].hash)
    await c.entries(later[:1])
    assert (await c.recv_type("ack"))["feeds"] == {author_id(third): 3}
    other_twin = feed(third, 1, start=1, body={"type": "note", "n": "yet another history"})[0]
    await c.entries([other_twin])
    assert (await c.recv_type("error"))["code"] == "fork"
    await c.recv_type("ack")
    await c.entries(later[1:])
    assert (await c.recv_type("ack"))["feeds"] == {author_id(third): 4}
    assert "decided: keep-held" in await db(peers)
    await c.close()


async def test_block_from_the_command_blocks_the_author(paired_peer):
    c, _ = await paired_peer.session()
    third, held = await forked_third_author(c)
    assert "blocked" in await db(peers, "--fork", author_id(third), "--block")
    assert await db(lambda: Peer.objects.get(author=author_id(third)).state) == Peer.BLOCKED
    await c.entries(feed(third, 1, start=3, prev=held[-1].hash))
    assert (await c.recv_type("ack"))["feeds"] == {}  # dropped silently, as any blocked author's
    await c.close()


async def test_the_peers_page_shows_the_fork_and_its_buttons_decide(paired_peer, owner_client):
    c, _ = await paired_peer.session()
    third, _ = await forked_third_author(c)
    await c.close()
    page = await db(lambda: owner_client.get("/peers/").content.decode())
    assert author_id(third) in page and "Keep the branch we hold" in page and "Block this author" in page
    answer = await db(lambda: owner_client.post("/peers/fork/", {"author": author_id(third), "decision": "keep-held"}, follow=True))
    assert "accepted again" in answer.content.decode()
    assert await db(lambda: ForkDecision.objects.get(author=author_id(third)).decision) == "keep-held"
    assert "Decided: keep the branch we hold" in await db(lambda: owner_client.get("/peers/").content.decode())


async def test_the_peers_page_refuses_bad_fork_decisions(paired_peer, owner_client):
    c, _ = await paired_peer.session()
    third, _ = await forked_third_author(c)
    await c.close()
    for data, words in [
        ({"author": "ab" * 32, "decision": "keep-held"}, "0 authors with fork evidence"),
        ({"author": "", "decision": "block"}, "at least 8 hex"),
        ({"author": author_id(third), "decision": "explode"}, "unknown decision"),
    ]:
        page = await db(lambda d=data: owner_client.post("/peers/fork/", d, follow=True).content.decode())
        assert words in page
    assert not await db(lambda: ForkDecision.objects.exists())


async def test_the_command_refuses_bad_fork_decisions_in_one_line(paired_peer):
    c, _ = await paired_peer.session()
    third, _ = await forked_third_author(c)
    await c.close()
    for args, words in [
        (("--fork", author_id(third)), "one of --keep-held or --block"),
        (("--fork", author_id(third), "--keep-held", "--block"), "one of --keep-held or --block"),
        (("--keep-held",), "needs --fork"),
        (("--fork", "0123456789abcdef", "--keep-held"), "0 authors with fork evidence"),
        (("--fork", "abc", "--block"), "at least 8 hex"),
        (("--block",), "needs a KEY"),
    ]:
        with pytest.raises(CommandError, match=words):
            await db(peers, *args)
    assert not await db(lambda: ForkDecision.objects.exists())


async def test_our_own_feed_forked_by_a_restored_backup_is_shown_and_never_waits(paired_peer):
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(2)]
    # what we signed before the backup was taken back: another entry 2 of our own feed
    lost = await db(lambda: feed(log.signing_key(), 1, start=2, prev=mine[0].hash, body={"type": "note", "n": "lost"})[0])
    c, _ = await paired_peer.session()
    await c.recv_type("entries")
    await c.entries([lost])
    assert (await c.recv_type("error"))["code"] == "fork"
    await c.recv_type("ack")
    assert (await db(log.append_local, {"type": "note", "n": "still writing"})).seq == 3
    text = await db(peers)
    assert "FORK: our own feed" in text and "restored from an older backup" in text and "kept what we hold" in text
    with pytest.raises(CommandError, match="our own feed"):
        await db(peers, "--fork", mine[0].author, "--block")
    assert await db(pairing.blocked_authors) == set()
    await c.close()


async def test_our_side_does_not_send_a_waiting_feed_again_on_the_same_connection(paired_peer):
    third = Ed25519PrivateKey.generate()
    entries = feed(third, 3)
    assert [o.result for o in await db(log.receive, entries)] == ["stored"] * 3
    c = await paired_peer.connect()
    assert (await c.handshake())["type"] == "have"
    await c.send(protocol.have({author_id(third): 1}))
    frame = await c.recv_type("entries")
    assert [e["seq"] for e in frame["entries"] if e["author"] == author_id(third)] == [2, 3]
    await c.send(protocol.error("waiting", "forked: waits for the owner", entries[1].hash))
    await c.send(protocol.ack({author_id(third): 1}))
    assert await c.quiet(0.5)  # not offered again
    await c.close()
