"""The hub's snapshot: events are pushed before they are folded, anything that
can change who may receive a feed is folded first (sync/store.py)."""

import pytest

from devtools.feeds import FeedWriter
from events import log
from events.calendars.bodies import KEY_PUBLISH
from events.index.fold import catch_up, folded_up_to
from sync import store

pytestmark = pytest.mark.django_db(databases=["default", "index"])

EVENT = {"type": "event.put", "uid": "u@x", "recurrence_id": None, "event": {
    "title": "Lunch", "start": "2026-12-01T12:00:00", "end": "2026-12-01T13:00:00", "tz": "UTC", "all_day": False}}


def test_events_are_pushed_by_the_audiences_held_and_folded_afterwards():
    friend = FeedWriter()
    log.receive([friend.write({"type": KEY_PUBLISH, "x25519": "00" * 32}, time=1)])
    held = store._snapshot()
    assert held.audiences[friend.author] == set() and held.audiences_at == held.arrival == folded_up_to()

    log.receive([friend.write(EVENT, time=2)])
    pushed = store._snapshot(held)
    assert pushed.arrival == log.last_arrival() > held.arrival
    assert pushed.vector[friend.author] == 2
    assert folded_up_to() == held.arrival  # not folded yet
    assert pushed.audiences is held.audiences and pushed.audiences_at == held.audiences_at

    assert store.fold_behind() and folded_up_to() == pushed.arrival
    assert not store.fold_behind()


def test_an_entry_that_may_change_an_audience_is_folded_before_pushing():
    held = store._snapshot()
    other = FeedWriter()
    log.receive([other.write({"type": KEY_PUBLISH, "x25519": "11" * 32}, time=1)])  # now it has an audience
    fresh = store._snapshot(held)
    assert folded_up_to() == fresh.arrival == fresh.audiences_at
    assert fresh.audiences[other.author] == set() and other.author not in held.audiences


def test_audiences_read_before_another_process_folded_are_read_again():
    held = store._snapshot()
    friend = FeedWriter()
    log.receive([friend.write({"type": KEY_PUBLISH, "x25519": "22" * 32}, time=1)])
    catch_up()  # folded elsewhere (a page, a command) before the hub looked
    fresh = store._snapshot(held)
    assert friend.author in fresh.audiences and fresh.audiences_at == folded_up_to()


def test_a_long_run_of_events_is_folded_before_pushing():
    held = store._snapshot()
    friend = FeedWriter()
    log.receive([friend.write({**EVENT, "uid": f"{n}@x"}, time=n) for n in range(1, store._PEEK + 3)])
    assert store._snapshot(held).audiences_at == folded_up_to() == log.last_arrival()
