"""Mirrors (docs/PROTOCOL.md section 6.8): which invites a mirror accepts for
its owner, and how the owner learns the peers paired for it."""

import datetime as dt

import pytest
from django.utils import timezone

from devtools.calendars import Remote, receive
from events import log
from sync import mirror, pairing
from sync.models import Peer

pytestmark = pytest.mark.django_db(databases=["default", "index"])

TOKEN = "a-token-of-the-owner-0123456789"


def owner_naming_us(*, expires: dt.datetime | None = None, names_us: bool = True) -> Remote:
    owner = Remote("alice")
    owner.sign({"type": "mirror", "mirror": log.my_author_id() if names_us else "ab" * 32, "url": "http://mirror.example"})
    expiry = expires or timezone.now() + dt.timedelta(days=7)
    owner.sign({"type": "invite", "token": pairing.hash_token(TOKEN), "expires": int(expiry.timestamp() * 1000)})
    receive(*owner.entries)
    return owner


def test_a_mirror_pairs_a_friend_with_its_owners_invite_once():
    owner = owner_naming_us()
    bob, carol = Remote("bob"), Remote("carol")
    peer = pairing.admit(key=bob.id, name="bob", url=None, invite=TOKEN)
    assert peer.author == bob.id and mirror.owners() == {owner.id}
    [paired] = [e.body for e in log.read_feed(log.my_author_id()) if e.body["type"] == "mirror.paired"]
    assert paired == {"type": "mirror.paired", "owner": owner.id, "peer": bob.id, "name": "bob",
                      "invite": pairing.hash_token(TOKEN)}
    with pytest.raises(pairing.PairingRefused) as refused:
        pairing.admit(key=carol.id, name="carol", url=None, invite=TOKEN)
    assert refused.value.code == "bad-invite"


@pytest.mark.parametrize("case", ["expired", "not our owner"])
def test_a_mirror_refuses_an_invite_it_may_not_accept(case):
    owner_naming_us(expires=timezone.now() - dt.timedelta(minutes=1) if case == "expired" else None,
                    names_us=case != "not our owner")
    with pytest.raises(pairing.PairingRefused) as refused:
        pairing.admit(key=Remote("bob").id, name="bob", url=None, invite=TOKEN)
    assert refused.value.code == "bad-invite"
    assert not Peer.objects.exists()


def test_the_owner_adopts_the_peers_its_mirror_paired_for_it():
    me = log.my_author_id()
    m = Remote("m")
    mirror.name_mirror(m.id, "http://mirror.example/")
    bob = Remote("bob")
    m.sign({"type": "mirror.paired", "owner": me, "peer": bob.id, "name": "bob", "invite": "cd" * 32})
    m.sign({"type": "mirror.paired", "owner": "ef" * 32, "peer": Remote("x").id, "name": "x", "invite": "cd" * 32})
    receive(*m.entries)
    assert mirror.adopt() == 1 and mirror.adopt() == 0
    peer = Peer.objects.get(author=bob.id)
    assert (peer.name, peer.url, peer.state) == ("bob", "", Peer.PAIRED)


def test_an_invite_points_at_the_mirror_and_is_published_for_it():
    mirror.name_mirror(Remote("m").id, "http://mirror.example/")
    url = pairing.create_invite()
    assert url.startswith("http://mirror.example/pair/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    published = [e.body for e in log.read_feed(log.my_author_id()) if e.body["type"] == "invite"]
    assert published[-1]["token"] == pairing.hash_token(token)


def test_malformed_mirror_entries_are_left_out():
    odd = Remote("odd")
    odd.sign({"type": "mirror", "mirror": "not an id", "url": "http://x"})
    odd.sign({"type": "invite", "token": "short", "expires": 1})
    odd.sign({"type": "mirror.paired", "owner": 5})
    receive(*odd.entries)
    from events.calendars import mirrors

    assert mirrors.mirror_of(odd.id) is None and mirrors.invite(odd.id, "short") is None


def test_a_mirror_has_no_calendar_pages(owner_client, settings):
    settings.MODE = "mirror"
    page = owner_client.get("/").content.decode()
    assert "This instance is a mirror" in page and "Nobody names it as mirror yet" in page
    response = owner_client.get("/calendars/", follow=True)
    assert "it has no calendar of its own" in response.content.decode()
    response = owner_client.post("/quick/add/", {"text": "lunch tomorrow at noon"})
    assert response.status_code == 400 and "mirror" in response.content.decode()


def pairing_returns(monkeypatch, result: str, key: str | None):
    """The Peers page's pairing, answered without a network: what the dialer would say."""
    from sync import runtime
    from sync.dialer import PairResult

    async def pair(self, url, *, timeout=40.0):
        return PairResult(result, f"{result} with m", key, "m")

    monkeypatch.setattr(runtime.Runtime, "pair", pair)


def test_the_peers_page_names_the_mirror_when_the_box_is_ticked(owner_client, monkeypatch):
    m = Remote("m")
    pairing_returns(monkeypatch, "paired", m.id)
    page = owner_client.post("/peers/pair/", {"url": "http://mirror.example:8000/pair/" + TOKEN, "mirror": "on"},
                             follow=True).content.decode()
    assert "is now this instance&#x27;s mirror" in page
    assert "http://mirror.example:8000" in page.split("<dt>Mirror</dt>", 1)[1].split("</dd>", 1)[0]
    assert mirror.my_mirror() == (m.id, "http://mirror.example:8000")
    assert pairing.create_invite().startswith("http://mirror.example:8000/pair/")


def test_without_the_box_a_pairing_names_no_mirror(owner_client, monkeypatch):
    pairing_returns(monkeypatch, "paired", Remote("m").id)
    page = owner_client.post("/peers/pair/", {"url": "http://m.example/pair/" + TOKEN}, follow=True).content.decode()
    assert "paired with m" in page and "<dt>Mirror</dt>" not in page
    assert mirror.my_mirror() is None


def test_a_mirror_is_named_only_through_an_invite_it_made(owner_client, monkeypatch):
    pairing_returns(monkeypatch, "pending", None)
    page = owner_client.post("/peers/pair/", {"url": "http://m.example", "mirror": "on"}, follow=True).content.decode()
    assert "a mirror is named with an invite link it made" in page
    assert mirror.my_mirror() is None


def test_a_mirror_cannot_name_a_mirror(owner_client, monkeypatch, settings):
    settings.MODE = "mirror"
    pairing_returns(monkeypatch, "paired", Remote("m").id)
    page = owner_client.post("/peers/pair/", {"url": "http://m.example/pair/" + TOKEN, "mirror": "on"},
                             follow=True).content.decode()
    assert "a mirror has no calendar to be mirrored" in page
    assert not Peer.objects.exists()
