"""The snapshot range queries keep between calls (events.index.snapshot): every
index change shows in the next query, and a snapshot brought up to date key by
key answers exactly as one read again from nothing."""

import random
from datetime import date

import pytest
from django.db import transaction

from devtools.calendars import Remote, receive
from events import calendar, log
from events.calendars import own, state
from events.index import snapshot
from events.index.fold import catch_up, rebuild
from events.index.query import query
from events.index.rows import generation_of, next_version
from events.models import IndexCursor

pytestmark = pytest.mark.django_db(databases=["default", "index"])

ZONE = "Europe/Bucharest"
MARCH = (date(2026, 3, 1), date(2026, 4, 1))


def timed(title, start, end, tz=ZONE, **more):
    return {"title": title, "start": start, "end": end, "tz": tz, "all_day": False, **more}


def seen(result):
    return [
        (o.uid, o.recurrence_id, o.title, o.start.isoformat(), o.end.isoformat(), o.is_override, o.conflict, o.calendar)
        for o in result.occurrences
    ], sorted(result.capped)


def month(window=MARCH, tz=ZONE):
    return seen(query(*window, tz))


def read_from_nothing(monkeypatch, window=MARCH, tz=ZONE):
    """The same query answered by a snapshot read again whole."""
    with monkeypatch.context() as m:
        m.setattr(snapshot, "_snapshot", None)
        return month(window, tz)


def titles(window=MARCH):
    return [(o.title, o.start.strftime("%d %H:%M")) for o in query(*window, ZONE).occurrences]


@pytest.fixture
def weekly():
    return calendar.create_event(timed("standup", "2026-03-02T09:00:00", "2026-03-02T09:15:00", rrule="FREQ=WEEKLY;COUNT=6"))


def test_an_edit_shows_in_the_next_query(weekly, monkeypatch):
    lunch = calendar.create_event(timed("lunch", "2026-03-10T12:00:00", "2026-03-10T13:00:00"))
    assert ("lunch", "10 12:00") in titles()
    calendar.edit_series(lunch.uid, title="long lunch", end="2026-03-10T14:00:00")
    assert ("long lunch", "10 12:00") in titles() and ("lunch", "10 12:00") not in titles()
    calendar.edit_series(weekly.uid, title="daily standup")
    assert [t for t, _ in titles()].count("daily standup") == 5
    assert month() == read_from_nothing(monkeypatch)


def test_a_cancelled_or_moved_occurrence_shows_in_the_next_query(weekly, monkeypatch):
    assert len(titles()) == 5
    calendar.cancel_occurrence(weekly.uid, "2026-03-09T09:00:00")
    assert ("standup", "09 09:00") not in titles()
    calendar.edit_occurrence(weekly.uid, "2026-03-16T09:00:00", start="2026-03-17T10:00:00", end="2026-03-17T10:30:00")
    assert ("standup", "16 09:00") not in titles() and ("standup", "17 10:00") in titles()
    assert month() == read_from_nothing(monkeypatch)


def test_a_deleted_event_leaves_the_next_query_with_its_overrides(weekly, monkeypatch):
    calendar.edit_occurrence(weekly.uid, "2026-03-16T09:00:00", title="standup (moved)", start="2026-03-17T10:00:00",
                             end="2026-03-17T10:30:00")
    assert ("standup (moved)", "17 10:00") in titles()
    calendar.delete_event(weekly.uid)
    assert titles() == []
    assert month() == read_from_nothing(monkeypatch)


def test_an_override_shows_only_while_its_event_repeats(weekly, monkeypatch):
    calendar.edit_occurrence(weekly.uid, "2026-03-16T09:00:00", title="retro", start="2026-03-16T15:00:00",
                             end="2026-03-16T16:00:00")
    assert ("retro", "16 15:00") in titles()
    calendar.edit_series(weekly.uid, rrule=None)
    assert titles() == [("standup", "02 09:00")]
    calendar.edit_series(weekly.uid, rrule="FREQ=WEEKLY;COUNT=6")
    assert ("retro", "16 15:00") in titles() and ("standup", "16 09:00") not in titles()
    assert month() == read_from_nothing(monkeypatch)


def test_an_event_moved_into_or_out_of_the_window_follows(monkeypatch):
    trip = calendar.create_event(timed("trip", "2026-05-10T08:00:00", "2026-05-10T18:00:00"))
    assert titles() == []
    calendar.edit_series(trip.uid, start="2026-03-20T08:00:00", end="2026-03-20T18:00:00")
    assert titles() == [("trip", "20 08:00")]
    calendar.edit_series(trip.uid, start="2027-01-05T08:00:00", end="2027-01-05T18:00:00")
    assert titles() == []
    assert month() == read_from_nothing(monkeypatch)


def test_a_new_calendar_key_shows_its_events_in_the_next_query(monkeypatch):
    own.ensure_own_entries()
    me = log.my_author_id()
    alice, bob = Remote("alice"), Remote("bob")
    alice.publish()
    bob.publish()
    december = (date(2026, 12, 1), date(2026, 12, 8))
    alice.calendar("0123456789abcdef0123456789abcdef", {me: "details", bob.id: "editor"},
                   seal_to={me: bytes.fromhex(state.my_public_key()), bob.id: bob.public})
    bob.put(alice.id, "0123456789abcdef0123456789abcdef", "b1", "bob's event", "2026-12-01T09:00:00",
            keys=alice.epochs["0123456789abcdef0123456789abcdef"][0])
    receive(*bob.entries)  # sealed for a calendar not known yet: nothing to show
    assert titles(december) == []
    receive(*alice.entries)  # the calendar and its key: the calendar is folded again whole
    assert [t for t, _ in titles(december)] == ["bob's event"]
    assert month(december) == read_from_nothing(monkeypatch, december)


def test_a_query_inside_a_transaction_that_rolls_back_forgets_what_it_saw(monkeypatch):
    calendar.create_event(timed("kept", "2026-03-03T10:00:00", "2026-03-03T11:00:00"))
    assert titles() == [("kept", "03 10:00")]
    with pytest.raises(RuntimeError), transaction.atomic(using="index"), transaction.atomic():
        calendar.create_event(timed("undone", "2026-03-04T10:00:00", "2026-03-04T11:00:00"))
        assert ("undone", "04 10:00") in titles()
        raise RuntimeError("rolled back")
    assert titles() == [("kept", "03 10:00")]
    calendar.create_event(timed("after", "2026-03-05T10:00:00", "2026-03-05T11:00:00"))
    assert titles() == [("kept", "03 10:00"), ("after", "05 10:00")]
    assert month() == read_from_nothing(monkeypatch)


def test_a_rebuild_or_a_version_from_elsewhere_reads_everything_again(weekly, monkeypatch):
    before = month()
    rebuild()
    assert month() == before
    IndexCursor.objects.using("index").update(version="written-by-an-older-version")
    assert month() == before
    calendar.create_event(timed("lunch", "2026-03-10T12:00:00", "2026-03-10T13:00:00"))
    assert ("lunch", "10 12:00") in titles()
    assert month() == read_from_nothing(monkeypatch)


def test_a_version_keeps_its_generation_until_rows_may_go():
    first = next_version("", drop=False)
    assert generation_of(first) is not None
    assert generation_of(next_version(first, drop=False)) == generation_of(first)
    assert generation_of(next_version(first, drop=True)) != generation_of(first)
    assert generation_of("0123456789abcdef0123456789abcdef") is None  # written before generations


def test_random_edits_answer_as_a_snapshot_read_from_nothing(monkeypatch):
    """Every step: the month and the week of the DST change, in two zones,
    patched key by key, equal what a fresh snapshot says."""
    rng = random.Random(7)
    windows = [MARCH, (date(2026, 3, 23), date(2026, 3, 30))]
    uids: list[str] = []
    for step in range(40):
        day, hour = rng.randrange(1, 28), rng.randrange(7, 20)
        start, end = f"2026-03-{day:02}T{hour:02}:00:00", f"2026-03-{day:02}T{hour:02}:45:00"
        choice = rng.random()
        if not uids or choice < 0.3:
            rule = rng.choice([None, "FREQ=DAILY;COUNT=10", "FREQ=WEEKLY", "FREQ=WEEKLY;BYDAY=MO,TH"])
            uids.append(calendar.create_event(timed(f"event {step}", start, end, tz=rng.choice([ZONE, "UTC"]), rrule=rule)).uid)
            continue
        uid = rng.choice(uids)
        occurrences = [o for o in query(*MARCH, ZONE).occurrences if o.uid == uid and o.recurrence_id and not o.is_override]
        if occurrences and choice < 0.5:
            calendar.cancel_occurrence(uid, rng.choice(occurrences).recurrence_id)
        elif occurrences and choice < 0.7:
            calendar.edit_occurrence(uid, rng.choice(occurrences).recurrence_id, title=f"moved {step}", start=start, end=end)
        elif choice < 0.9:
            calendar.edit_series(uid, title=f"edited {step}", start=start, end=end)
        else:
            calendar.delete_event(uid)
            uids.remove(uid)
        for window in windows:
            for tz in (ZONE, "America/New_York"):
                assert month(window, tz) == read_from_nothing(monkeypatch, window, tz), (step, window, tz)
    catch_up()


def test_an_edit_is_taken_key_by_key_not_by_reading_everything_again(weekly, monkeypatch):
    titles()
    loads = []
    real = snapshot.Snapshot.load
    monkeypatch.setattr(snapshot.Snapshot, "load", classmethod(lambda cls, *a: loads.append(a) or real(*a)))
    calendar.cancel_occurrence(weekly.uid, "2026-03-09T09:00:00")
    calendar.create_event(timed("lunch", "2026-03-10T12:00:00", "2026-03-10T13:00:00"))
    assert ("lunch", "10 12:00") in titles() and ("standup", "09 09:00") not in titles()
    assert loads == []


def test_query_results_are_shared_so_they_refuse_changes(weekly):
    found = query(*MARCH, ZONE).occurrences
    with pytest.raises(TypeError, match="shared"):
        found.sort(key=lambda o: o.title)
    with pytest.raises(TypeError, match="shared"):
        found.append(found[0])
    mine = list(found)
    mine.reverse()
    assert [o.start for o in query(*MARCH, ZONE).occurrences] == sorted(o.start for o in mine)


def test_forgetting_the_kept_answers_changes_nothing_but_the_work(weekly):
    before = month()
    snapshot.forget_answers()
    assert month() == before
