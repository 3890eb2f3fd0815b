"""events.index and events.calendar: the view over the log, range queries, history."""

import logging
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devtools.feeds import FeedWriter
from events import calendar, log
from events.index.expand import Frame
from events.index.fold import catch_up, rebuild
from events.index.history import history, register_of
from events.index.query import QueryError, query
from events.models import IndexCursor, IndexKey

pytestmark = pytest.mark.django_db(databases=["default", "index"])

UTC = ZoneInfo("UTC")


Peer = FeedWriter  # another instance writing its own feed


def deliver(*entries):
    outcomes = log.receive(list(entries))
    assert all(o.result == "stored" for o in outcomes), outcomes
    catch_up()


def timed(title, start, end, tz="UTC", **more):
    return {"title": title, "start": start, "end": end, "tz": tz, "all_day": False, **more}


def titles(result):
    return [(o.title, o.start.isoformat()) for o in result.occurrences]


def spans(result):
    return [(o.title, o.start.isoformat(), o.end.isoformat(), o.recurrence_id) for o in result.occurrences]


def state():
    rows = IndexKey.objects.using("index").order_by("uid", "rid")
    return [
        (r.uid, r.rid, r.state, r.kind, r.deleted, r.skipped, r.conflict, r.shown, r.event, r.span_start, r.span_end, r.long)
        for r in rows
    ]


def test_it_finds_a_single_event_in_its_range():
    made = calendar.create_event(timed("dentist", "2024-05-02T09:00:00", "2024-05-02T10:00:00", "Europe/Bucharest"))
    result = query(date(2024, 5, 1), date(2024, 5, 3), "Europe/Bucharest")
    [o] = result.occurrences
    assert (o.uid, o.title, o.start.hour, o.is_recurring, o.recurrence_id) == (made.uid, "dentist", 9, False, None)
    assert o.author == log.my_author_id()
    assert query(date(2024, 5, 3), date(2024, 5, 4), "Europe/Bucharest").occurrences == []
    [o] = query(date(2024, 5, 1), date(2024, 5, 3), "America/New_York").occurrences
    assert o.start.hour == 2  # 09:00 +03 is 02:00 -04


def test_weekly_noon_in_bucharest_stays_at_noon_across_dst():
    calendar.create_event(
        timed("lunch", "2024-03-05T12:00:00", "2024-03-05T13:00:00", "Europe/Bucharest", rrule="FREQ=WEEKLY;BYDAY=TU")
    )
    march = query(date(2024, 3, 20), date(2024, 4, 10), "Europe/Bucharest").occurrences
    october = query(date(2024, 10, 20), date(2024, 11, 6), "Europe/Bucharest").occurrences
    assert [o.start.day for o in march] == [26, 2, 9] and {o.start.hour for o in march} == {12}
    assert [o.start.day for o in october] == [22, 29, 5] and {o.start.hour for o in october} == {12}
    assert all(o.is_recurring and o.recurrence_id.endswith("T12:00:00") for o in march + october)
    seen_in_london = query(date(2024, 3, 20), date(2024, 4, 10), "Europe/London").occurrences
    assert [o.start.hour for o in seen_in_london] == [10, 10, 10]  # 12:00 +02 / +03 is 10:00 +00 / +01
    seen_in_utc = query(date(2024, 10, 20), date(2024, 11, 6), "UTC").occurrences
    assert [o.start.hour for o in seen_in_utc] == [9, 10, 10]


@pytest.mark.parametrize("viewer", ["Pacific/Honolulu", "Pacific/Kiritimati", "UTC"])
def test_all_day_events_stay_on_their_date_in_every_zone(viewer):
    calendar.create_event(title="holiday", start="2024-07-04", end="2024-07-05", all_day=True)
    calendar.create_event(title="birthday", start="2020-02-29", end="2020-03-01", all_day=True, rrule="FREQ=YEARLY")
    [o] = query(date(2024, 7, 4), date(2024, 7, 5), viewer).occurrences
    assert (o.start, o.end, o.all_day) == (date(2024, 7, 4), date(2024, 7, 5), True)
    assert query(date(2024, 7, 5), date(2024, 7, 6), viewer).occurrences == []
    assert query(date(2024, 7, 3), date(2024, 7, 4), viewer).occurrences == []
    [b] = query(date(2028, 2, 1), date(2028, 3, 1), viewer).occurrences
    assert b.start == date(2028, 2, 29) and b.recurrence_id == "2028-02-29"


def test_floating_times_show_the_same_wall_time_to_every_viewer():
    calendar.create_event(timed("wake up", "2024-06-01T07:00:00", "2024-06-01T07:30:00", tz=None, rrule="FREQ=DAILY"))
    for viewer in ("Pacific/Honolulu", "Asia/Tokyo", "UTC"):
        occ = query(date(2024, 6, 10), date(2024, 6, 12), viewer).occurrences
        assert [(o.start.day, o.start.hour, o.floating) for o in occ] == [(10, 7, True), (11, 7, True)]


def test_exdates_overrides_and_cancellations():
    made = calendar.create_event(
        timed("standup", "2024-01-01T09:00:00", "2024-01-01T09:15:00", rrule="FREQ=DAILY", exdates=["2024-01-03T09:00:00"])
    )
    uid = made.uid
    calendar.cancel_occurrence(uid, "2024-01-04T09:00:00")
    calendar.edit_occurrence(uid, "2024-01-05T09:00:00", start="2024-01-20T15:00:00", end="2024-01-20T15:15:00")
    calendar.edit_occurrence(uid, "2024-01-06T09:00:00", title="standup (long)", end="2024-01-06T10:00:00")
    week = query(date(2024, 1, 1), date(2024, 1, 8), "UTC").occurrences
    assert [(o.start.day, o.title) for o in week] == [
        (1, "standup"),
        (2, "standup"),
        (6, "standup (long)"),
        (7, "standup"),
    ]
    assert [o.is_override for o in week] == [False, False, True, False]
    moved = query(date(2024, 1, 20), date(2024, 1, 21), "UTC").occurrences
    assert [(o.start.hour, o.recurrence_id, o.is_override) for o in moved] == [
        (9, "2024-01-20T09:00:00", False),
        (15, "2024-01-05T09:00:00", True),
    ]
    calendar.delete_event(uid)
    assert query(date(2024, 1, 1), date(2024, 2, 1), "UTC").occurrences == []


def test_two_writers_editing_apart_see_a_flagged_conflict_and_the_same_primary():
    alice, bob = Peer(), Peer()
    first = alice.write({"type": "event.put", "uid": "u1", "recurrence_id": None,
                         "event": timed("review", "2024-02-01T10:00:00", "2024-02-01T11:00:00")}, time=1000)
    a2 = alice.write({"type": "event.put", "uid": "u1", "recurrence_id": None,
                      "event": timed("review (room 2)", "2024-02-01T10:00:00", "2024-02-01T11:00:00")},
                     time=3000, links=[first.hash])
    b2 = bob.write({"type": "event.put", "uid": "u1", "recurrence_id": None,
                    "event": timed("review", "2024-02-01T14:00:00", "2024-02-01T15:00:00")},
                   time=2000, links=[first.hash])
    deliver(b2, first, a2)  # b2 links first, which arrives after it
    [o] = query(date(2024, 2, 1), date(2024, 2, 2), "UTC").occurrences
    assert o.conflict and o.title == "review (room 2)" and o.author == a2.author
    other = register_of("u1")
    assert other.others == [b2.hash]
    calendar.resolve_conflict("u1", keep=b2.hash, title="review (room 2)")
    [o] = query(date(2024, 2, 1), date(2024, 2, 2), "UTC").occurrences
    assert not o.conflict and (o.title, o.start.hour) == ("review (room 2)", 14)
    steps = history("u1")
    assert [s.action for s in steps] == ["created", "edited", "edited", "edited"]
    assert steps[1].changes == {"start": ("2024-02-01T10:00:00", "2024-02-01T14:00:00"),
                                "end": ("2024-02-01T11:00:00", "2024-02-01T15:00:00")}


def test_bad_bodies_are_skipped_with_a_reason_and_catch_up_goes_on(caplog):
    peer = Peer()
    bad = [
        {"title": "", "start": "2024-01-01T10:00:00", "end": "2024-01-01T11:00:00", "tz": "UTC"},
        timed("backwards", "2024-01-01T10:00:00", "2024-01-01T09:00:00"),
        timed("nowhere", "2024-01-01T10:00:00", "2024-01-01T11:00:00", tz="Mars/Olympus"),
        timed("gibberish", "2024-01-01T10:00:00", "2024-01-01T11:00:00", rrule="EVERY=SOMETIMES"),
        timed("too often", "1900-01-01T00:00:00", "1900-01-01T00:00:01", rrule="FREQ=SECONDLY"),
        "not an object",
    ]
    entries = [
        peer.write({"type": "event.put", "uid": f"bad{i}", "recurrence_id": None, "event": e}, time=i)
        for i, e in enumerate(bad)
    ]
    entries.append(peer.write({"type": "peer.intro", "name": "someone"}, time=50))
    entries.append(peer.write({"type": "event.put", "uid": "good", "recurrence_id": None,
                               "event": timed("fine", "2024-01-01T10:00:00", "2024-01-01T11:00:00")}, time=60))
    with caplog.at_level(logging.WARNING, logger="events.index"):
        deliver(*entries)
    [o] = query(date(2024, 1, 1), date(2024, 1, 2), "UTC").occurrences
    assert o.title == "fine"
    skipped = dict(IndexKey.objects.using("index").exclude(skipped="").values_list("uid", "skipped"))
    assert set(skipped) == {f"bad{i}" for i in range(len(bad))}
    assert "SECONDLY" in skipped["bad4"] and "missing title" in skipped["bad0"]
    assert len([r for r in caplog.records if "not showing" in r.message]) == len(bad)
    assert IndexCursor.objects.using("index").get().arrival == log.last_arrival()


def test_huge_counts_and_dense_rules_stay_bounded():
    calendar.create_event(timed("tick", "1900-01-01T00:00:00", "1900-01-01T00:00:00", rrule="FREQ=MINUTELY"))
    calendar.create_event(timed("many", "1900-01-01T00:00:00", "1900-01-01T00:30:00", rrule="FREQ=HOURLY;COUNT=1000000000"))
    result = query(date(2024, 1, 1), date(2024, 1, 2), "UTC")
    assert result.truncated and len(result.capped) == 2
    assert len([o for o in result.occurrences if o.title == "tick"]) == 1000


def test_rebuild_equals_incremental_and_a_fresh_index_equals_both():
    test_exdates_overrides_and_cancellations()
    test_two_writers_editing_apart_see_a_flagged_conflict_and_the_same_primary()
    calendar.create_event(timed("later", "2024-03-01T10:00:00", "2024-03-01T11:00:00", rrule="FREQ=MONTHLY;COUNT=5"))
    incremental = state()
    rebuild()
    assert state() == incremental
    IndexKey.objects.using("index").all().delete()
    IndexCursor.objects.using("index").all().delete()
    catch_up(batch=3)
    assert state() == incremental


def test_arrival_order_does_not_change_what_is_shown():
    peers = [Peer(), Peer()]
    feeds = [[], []]
    heads = []
    rng = random.Random(7)
    for n in range(20):
        who = rng.randrange(2)
        body = {"type": "event.put", "uid": "k", "recurrence_id": None,
                "event": timed(f"v{n}", "2024-02-01T10:00:00", "2024-02-01T11:00:00")}
        links = rng.sample(heads, k=min(len(heads), rng.randrange(3)))
        e = peers[who].write(body, time=rng.randrange(5), links=links)
        feeds[who].append(e)
        heads.append(e.hash)
    deliver(*feeds[1], *feeds[0])
    first = state()
    rebuild()
    assert state() == first


@pytest.mark.parametrize(
    "start,end,tz",
    [(date(2024, 2, 1), date(2024, 1, 1), "UTC"), (date(2024, 1, 1), date(2024, 2, 1), "Nowhere/Special")],
)
def test_bad_queries_get_a_clear_error(start, end, tz):
    with pytest.raises(QueryError):
        query(start, end, tz)


def test_it_takes_aware_bounds():
    calendar.create_event(timed("call", "2024-05-02T09:00:00", "2024-05-02T09:30:00", "Asia/Tokyo"))
    tokyo = ZoneInfo("Asia/Tokyo")
    [o] = query(datetime(2024, 5, 2, 0, 0, tzinfo=UTC), datetime(2024, 5, 2, 1, tzinfo=UTC), "Asia/Tokyo").occurrences
    assert o.start == datetime(2024, 5, 2, 9, tzinfo=tokyo)


def test_an_event_across_the_dst_change_ends_at_its_wall_time():
    calendar.create_event(timed("night shift", "2024-03-30T22:00:00", "2024-03-31T06:00:00", "Europe/Bucharest",
                                rrule="FREQ=DAILY;COUNT=3"))
    occ = query(date(2024, 3, 30), date(2024, 4, 2), "Europe/Bucharest").occurrences
    assert [(o.start.hour, o.end.hour, (o.end.timestamp() - o.start.timestamp()) / 3600) for o in occ] == [
        (22, 6, 7.0),  # one hour shorter: the clocks skipped 03:00-04:00
        (22, 6, 8.0),
        (22, 6, 8.0),
    ]


def test_the_constant_offset_shortcut_gives_the_same_occurrences(monkeypatch):
    calendar.create_event(timed("a", "2023-01-02T09:30:00", "2023-01-02T10:15:00", "America/New_York", rrule="FREQ=DAILY"))
    calendar.create_event(timed("b", "2023-01-03T23:30:00", "2023-01-04T00:30:00", "Asia/Tokyo", rrule="FREQ=WEEKLY;BYDAY=TU,FR"))
    calendar.create_event(timed("c", "2023-01-05T07:00:00", "2023-01-05T08:00:00", tz=None, rrule="FREQ=DAILY;INTERVAL=2"))
    calendar.create_event(title="d", start="2023-01-01", end="2023-01-02", all_day=True, rrule="FREQ=WEEKLY")
    windows = [(date(2024, m, 1), date(2024, m, 1 + w)) for m in range(1, 13) for w in (7, 20)]
    for viewer in ("Europe/Bucharest", "Australia/Sydney", "UTC"):
        fast = [spans(query(lo, hi, viewer)) for lo, hi in windows]
        with monkeypatch.context() as m:
            m.setattr(Frame, "MAX_WINDOW", timedelta(0))
            slow = [spans(query(lo, hi, viewer)) for lo, hi in windows]
        assert fast == slow


def test_a_window_asked_again_shows_what_was_written_meanwhile():
    first = calendar.create_event(timed("first", "2024-05-02T09:00:00", "2024-05-02T10:00:00"))
    window = (date(2024, 5, 1), date(2024, 5, 3), "Europe/Bucharest")
    assert [t for t, _ in titles(query(*window))] == ["first"]
    calendar.create_event(timed("second", "2024-05-02T11:00:00", "2024-05-02T12:00:00"))
    daily = calendar.create_event(timed("daily", "2024-04-01T08:00:00", "2024-04-01T09:00:00", rrule="FREQ=DAILY"))
    assert [t for t, _ in titles(query(*window))] == ["daily", "daily", "first", "second"]
    calendar.delete_event(first.uid)
    calendar.cancel_occurrence(daily.uid, "2024-05-01T08:00:00")
    assert [t for t, _ in titles(query(*window))] == ["daily", "second"]
