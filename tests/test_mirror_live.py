"""A mirror between real instances (docs/PROTOCOL.md section 6.8): A and B
never connect to each other, only to the mirror M."""

import json

import pytest

from devtools.instances import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres_too]

NOW = "2026-11-29T10:00"


def titles(inst):
    found = json.loads(inst.manage("query", "2026-12-01", "2026-12-08", "--tz", "UTC", "--json"))
    return {o.get("title") for o in found}


def test_friends_who_cannot_reach_each_other_pair_and_share_through_a_mirror(spawn):
    # A's public URL leads nowhere: nobody can dial it, as behind a home router
    a = spawn("a", now=NOW, tz="UTC", public_url="http://127.0.0.1:9/")
    m = spawn("m", now=NOW, tz="UTC", mode="mirror")
    b = spawn("b", now=NOW, tz="UTC")
    assert "is now this instance's mirror" in a.manage("pair", m.manage("invite").strip(), "--mirror")
    invite = a.manage("invite").strip()
    assert invite.startswith(m.url + "/pair/")
    wait_until(lambda: m.vector().get(a.author(), 0) >= a.vector()[a.author()], 30, message="m holds a's invite")
    assert "paired with m" in b.manage("pair", invite)
    # a learns of b from m's feed, and b's key reaches a through m
    wait_until(lambda: any(p["author"] == b.author() for p in a.peers()["peers"]), 30, message="a has b as a peer")
    a.manage("calendars", "--create", "Team")
    wait_until(lambda: "shared" in a.manage("calendars", "--share", "Team", "--with", "b", "--role", "details", check=False),
               30, message="a shares Team with b")
    a.manage("add", "--title", "planning with b", "--start", "2026-12-02T09:00", "--end", "2026-12-02T10:00",
             "--tz", "UTC", "--calendar", "Team")
    wait_until(lambda: "planning with b" in titles(b), 30, message="the event reaches b through m")
    assert b.stores("planning with b") and not m.stores("planning with b")
    # they never connected to each other
    assert [p["name"] for p in b.peers()["peers"]] == ["m"]
    assert not next(p for p in a.peers()["peers"] if p["author"] == b.author())["connected"]
    # a restart of m loses nothing
    held = m.vector()
    m.stop()
    m.start()
    assert m.vector() == held
    a.manage("add", "--title", "retro with b", "--start", "2026-12-03T09:00", "--end", "2026-12-03T10:00",
             "--tz", "UTC", "--calendar", "Team")
    wait_until(lambda: "retro with b" in titles(b), 40, message="after m's restart")


def test_the_owner_names_its_mirror_from_the_peers_page(spawn):
    from tests.support.browser import OwnerBrowser

    a = spawn("a", now=NOW, tz="UTC")
    m = spawn("m", now=NOW, tz="UTC", mode="mirror")
    owner = OwnerBrowser(a)
    owner.post("/setup/", {"password": "correct horse battery", "password2": "correct horse battery"})
    page = owner.post("/peers/pair/", {"url": m.manage("invite").strip(), "mirror": "on"}, page="/peers/")
    assert "is now this instance&#x27;s mirror" in page
    assert a.manage("invite").strip().startswith(m.url + "/pair/")
