"""Calendars between real instances: A paired with B, B with C, C not with A,
driven only through the commands (docs/PROTOCOL.md section 6)."""

import json

import pytest

from devtools.instances import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres_too]

NOW = "2026-11-29T10:00"


def pair(a, b):
    """b pairs with a by invite."""
    assert "paired with" in b.manage("pair", a.manage("invite").strip())


def query(inst):
    return json.loads(inst.manage("query", "2026-12-01", "2026-12-08", "--tz", "UTC", "--json"))


def titles(inst):
    return {o.get("title") for o in query(inst)}


def calendars(inst):
    return {c["name"]: c for c in json.loads(inst.manage("calendars", "--json"))}


def add(inst, title, day, *more):
    inst.manage("add", "--title", title, "--start", f"2026-12-0{day}T09:00", "--end", f"2026-12-0{day}T10:00",
                "--tz", "UTC", *more)


@pytest.fixture
def line(spawn):
    a, b, c = spawn("a", now=NOW, tz="UTC"), spawn("b", now=NOW, tz="UTC"), spawn("c", now=NOW, tz="UTC")
    pair(a, b)
    pair(b, c)
    return a, b, c


def test_sharing_reaches_only_the_audience(line):
    a, b, c = line
    add(a, "dentist appointment", 1)
    a.manage("calendars", "--create", "Team")
    a.manage("calendars", "--share", "Team", "--with", "b", "--role", "details")
    add(a, "team planning", 2, "--calendar", "Team")
    a.manage("calendars", "--create", "Club", "--public")
    add(a, "club meetup", 3, "--calendar", "Club")

    wait_until(lambda: {"team planning", "club meetup"} <= titles(b), 30, message="b sees Team and Club")
    wait_until(lambda: "club meetup" in titles(c), 30, message="the public calendar reaches c through b")
    assert "dentist appointment" not in titles(b)
    assert a.stores("dentist appointment") and b.stores("team planning")  # the check finds what is kept
    assert not b.stores("dentist appointment") and not c.stores("dentist appointment")
    assert "team planning" not in titles(c) and not c.stores("team planning")
    team = calendars(b)["Team"]
    assert team["my_role"] == "details" and team["owner"] == a.author()
    # a's feed reaches c only as far as c is in its audience: through the public calendar here
    assert {o["title"] for o in query(c)} == {"club meetup"}


def test_free_busy_shows_a_block_without_details_and_refuses_edits(line):
    a, b, _ = line
    add(a, "therapy session", 4)
    a.manage("calendars", "--share", "Personal", "--with", "b", "--role", "busy")
    block = wait_until(lambda: [o for o in query(b) if o.get("busy")], 30, message="b sees a busy block")
    assert block[0]["start"].startswith("2026-12-04T09:00") and "title" not in block[0]
    assert not b.stores("therapy session")
    with pytest.raises(RuntimeError, match="not added: you may see only when its owner is busy"):
        b.manage("add", "--title", "moved", "--start", "2026-12-05T09:00", "--tz", "UTC", "--calendar", block[0]["calendar"])


def test_after_removal_new_events_stay_closed(line):
    a, b, _ = line
    a.manage("calendars", "--create", "Team")
    a.manage("calendars", "--share", "Team", "--with", "b", "--role", "editor")
    add(a, "kick-off", 1, "--calendar", "Team")
    wait_until(lambda: "kick-off" in titles(b), 30, message="b reads Team")
    add(b, "b's retro", 2, "--calendar", "Team")
    wait_until(lambda: "b's retro" in titles(a), 30, message="an editor's event reaches the owner")
    a.manage("calendars", "--unshare", "Team", "--with", "b")
    add(a, "reorganisation plans", 3, "--calendar", "Team")
    wait_until(lambda: a.vector() == b.vector() or a.vector().items() <= b.vector().items(), 30, message="b holds a's feed")
    assert "reorganisation plans" not in titles(b)
    assert not b.stores("reorganisation plans")
    assert "Team" not in calendars(b) or calendars(b)["Team"]["my_role"] == ""
