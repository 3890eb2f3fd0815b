"""Splitting a series at one occurrence ("this and following events"):
the old series ends just before it, a new one starts there."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from events import calendar
from events.index.history import register_of
from events.index.query import query
from events.recurrence.rrule import split_rrule

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def fixed_now(settings):
    settings.CALENDAR_NOW = "2026-11-29T10:00"
    settings.CALENDAR_TIME_ZONE = "UTC"


def weekly(rrule="FREQ=WEEKLY;BYDAY=TU", tz="UTC", title="lunch"):
    return calendar.create_event(title=title, start="2026-11-24T12:00:00", end="2026-11-24T13:00:00", tz=tz, rrule=rrule)


def shown(uid, rid=None):
    register = register_of(uid, rid)
    return register.shown_event() if register is not None else None


def starts(lo, hi, tz="UTC"):
    occ = query(datetime.fromisoformat(lo), datetime.fromisoformat(hi), tz).occurrences
    return [(o.title, o.start.strftime("%m-%d %H:%M")) for o in occ]


def test_it_ends_the_series_before_the_occurrence_and_starts_a_new_one_with_the_change():
    series = weekly()
    written = calendar.split_series(series.uid, "2026-12-08T12:00:00", title="team lunch", start="2026-12-08T12:30:00",
                                    end="2026-12-08T13:30:00")
    new = written[0]
    assert new.uid != series.uid and new.calendar == series.calendar
    assert shown(series.uid)["rrule"] == "FREQ=WEEKLY;UNTIL=20261208T115959;BYDAY=TU"
    assert shown(new.uid)["start"] == "2026-12-08T12:30:00" and shown(new.uid)["rrule"] == "FREQ=WEEKLY;BYDAY=TU"
    assert starts("2026-11-23", "2026-12-23") == [
        ("lunch", "11-24 12:00"), ("lunch", "12-01 12:00"), ("team lunch", "12-08 12:30"), ("team lunch", "12-15 12:30"),
        ("team lunch", "12-22 12:30")]
    assert shown(new.uid)["split_from"] == {"uid": series.uid, "at": "2026-12-08T12:00:00"}
    assert shown(series.uid)["split_into"] == {"uid": new.uid, "at": "2026-12-08T12:00:00"}


def test_a_count_carries_on_as_the_remaining_count():
    series = weekly("FREQ=WEEKLY;COUNT=5")
    new = calendar.split_series(series.uid, "2026-12-08T12:00:00", title="moved")[0]
    assert "COUNT=3" in shown(new.uid)["rrule"]
    assert [t for t, _ in starts("2026-11-23", "2027-02-01")] == ["lunch", "lunch", "moved", "moved", "moved"]


def test_later_edited_and_cancelled_occurrences_follow_the_new_series():
    series = weekly()
    calendar.edit_occurrence(series.uid, "2026-12-15T12:00:00", location="café")
    calendar.edit_occurrence(series.uid, "2026-12-29T12:00:00", title="own title")
    calendar.cancel_occurrence(series.uid, "2026-12-22T12:00:00")
    calendar.edit_occurrence(series.uid, "2026-12-01T12:00:00", location="before")
    new = calendar.split_series(series.uid, "2026-12-08T12:00:00", title="brunch", start="2026-12-08T11:00:00",
                                end="2026-12-08T12:00:00")[0]
    got = starts("2026-11-23", "2027-01-06")
    assert got == [("lunch", "11-24 12:00"), ("lunch", "12-01 12:00"), ("brunch", "12-08 11:00"), ("brunch", "12-15 11:00"),
                   ("own title", "12-29 11:00"), ("brunch", "01-05 11:00")]
    assert shown(new.uid, "2026-12-15T11:00:00")["location"] == "café"
    assert register_of(new.uid, "2026-12-22T11:00:00").deleted
    assert register_of(series.uid, "2026-12-15T12:00:00").deleted
    assert shown(series.uid, "2026-12-01T12:00:00")["location"] == "before"


def test_an_all_day_series_ends_the_day_before():
    series = calendar.create_event(title="standup", start="2026-12-01", end="2026-12-02", all_day=True, rrule="FREQ=DAILY")
    new = calendar.split_series(series.uid, "2026-12-04", title="retro")[0]
    assert shown(series.uid)["rrule"] == "FREQ=DAILY;UNTIL=20261203"
    assert shown(new.uid)["start"] == "2026-12-04" and shown(new.uid)["end"] == "2026-12-05"
    titles = [o.title for o in query(datetime(2026, 12, 1), datetime(2026, 12, 7), "UTC").occurrences]
    assert titles == ["standup"] * 3 + ["retro"] * 3


def test_a_zoned_series_keeps_its_wall_time_across_a_daylight_saving_change():
    # Bucharest is on winter time from 25 October 2026; split a series begun in September at an October occurrence
    summer = calendar.create_event(title="choir", start="2026-09-01T19:00:00", end="2026-09-01T21:00:00",
                                   tz="Europe/Bucharest", rrule="FREQ=WEEKLY")
    new = calendar.split_series(summer.uid, "2026-10-20T19:00:00", location="hall")[0]
    assert split_rrule(shown(summer.uid)["rrule"]).until == "2026-10-20"
    occ = query(datetime(2026, 10, 12), datetime(2026, 11, 5), "Europe/Bucharest").occurrences
    choir = [(o.uid == new.uid, o.start.astimezone(ZoneInfo("Europe/Bucharest")).strftime("%m-%d %H:%M"))
             for o in occ if o.title == "choir"]
    assert choir == [(False, "10-13 19:00"), (True, "10-20 19:00"), (True, "10-27 19:00"), (True, "11-03 19:00")]


def test_from_the_first_occurrence_it_changes_the_whole_series():
    series = weekly()
    written = calendar.split_series(series.uid, "2026-11-24T12:00:00", title="dinner")
    assert [w.uid for w in written] == [series.uid]
    assert shown(series.uid)["title"] == "dinner" and shown(series.uid)["rrule"] == "FREQ=WEEKLY;BYDAY=TU"


@pytest.mark.parametrize("rid, message", [
    ("2026-12-09T12:00:00", "is not an occurrence"),
    ("2026-12-08", "is not an occurrence"),
    ("not a time", "recurrence"),
])
def test_a_time_that_is_no_occurrence_is_refused(rid, message):
    series = weekly()
    with pytest.raises(calendar.CalendarError, match=message):
        calendar.split_series(series.uid, rid, title="x")


def test_a_cancelled_occurrence_or_a_single_event_cannot_be_split():
    series = weekly()
    calendar.cancel_occurrence(series.uid, "2026-12-08T12:00:00")
    with pytest.raises(calendar.CalendarError, match="not an occurrence"):
        calendar.split_series(series.uid, "2026-12-08T12:00:00", title="x")
    single = calendar.create_event(title="once", start="2026-12-08T12:00:00", tz="UTC")
    with pytest.raises(calendar.CalendarError, match="does not repeat"):
        calendar.split_series(single.uid, "2026-12-08T12:00:00", title="x")


def test_the_last_occurrence_of_a_count_can_be_split_off():
    series = weekly("FREQ=WEEKLY;COUNT=3")
    new = calendar.split_series(series.uid, "2026-12-08T12:00:00", title="last")[0]
    assert "COUNT=1" in shown(new.uid)["rrule"]
    assert [t for t, _ in starts("2026-11-23", "2027-01-01")] == ["lunch", "lunch", "last"]


def test_other_calendar_apps_see_the_two_halves_meet_without_a_gap_or_a_repeat():
    """The export (RFC 5545: a zoned UNTIL in UTC) read back by another library."""
    import recurring_ical_events
    from icalendar import Calendar

    from events.ics.export import export_calendar

    summer = calendar.create_event(title="choir", start="2026-09-01T19:00:00", end="2026-09-01T21:00:00",
                                   tz="Europe/Bucharest", rrule="FREQ=WEEKLY;COUNT=12")
    calendar.split_series(summer.uid, "2026-10-27T19:00:00", title="choir (hall)")
    exported = Calendar.from_ical(export_calendar())
    seen = [(str(e["SUMMARY"]), e["DTSTART"].dt.astimezone(ZoneInfo("Europe/Bucharest")).strftime("%m-%d %H:%M"))
            for e in recurring_ical_events.of(exported).between((2026, 10, 12), (2026, 11, 30))]
    assert sorted(seen, key=lambda s: s[1]) == [
        ("choir", "10-13 19:00"), ("choir", "10-20 19:00"), ("choir (hall)", "10-27 19:00"),
        ("choir (hall)", "11-03 19:00"), ("choir (hall)", "11-10 19:00"), ("choir (hall)", "11-17 19:00")]


def test_a_carried_occurrence_that_fails_its_check_writes_nothing(monkeypatch):
    from events import log

    series = weekly()
    calendar.edit_occurrence(series.uid, "2026-12-15T12:00:00", title="late lunch")
    before = log.vector()
    real_check = calendar._check

    def refuse_carried(event, *, override=False):
        if override:
            raise calendar.CalendarError("the carried occurrence is refused")
        real_check(event, override=override)

    monkeypatch.setattr(calendar, "_check", refuse_carried)
    with pytest.raises(calendar.CalendarError, match="carried occurrence is refused"):
        calendar.split_series(series.uid, "2026-12-08T12:00:00", title="team lunch")
    assert log.vector() == before
    assert [t for t, _ in starts("2026-11-23", "2026-12-23")] == ["lunch", "lunch", "lunch", "late lunch", "lunch"]


@pytest.mark.parametrize("start", ["2026-12-09T12:00:00", "2026-12-09T11:00:00", "2026-12-07T18:00:00"])
def test_moving_the_first_of_the_following_to_another_weekday_moves_the_weekday_of_the_rest(start):
    series = weekly()
    end = start[:11] + f"{int(start[11:13]) + 1:02d}:00:00"
    new = calendar.split_series(series.uid, "2026-12-08T12:00:00", start=start, end=end)[0]
    day = {"09": "WE", "07": "MO"}[start[8:10]]
    assert shown(new.uid)["rrule"] == f"FREQ=WEEKLY;BYDAY={day}"
    later = [s for _, s in starts("2026-12-05", "2026-12-24")]
    assert later[0] == start[5:10] + " " + start[11:16] and len(later) == 3


def test_a_weekly_rule_on_several_days_moves_every_day_by_the_same_offset():
    series = weekly("FREQ=WEEKLY;BYDAY=TU,TH")
    new = calendar.split_series(series.uid, "2026-12-08T12:00:00", start="2026-12-09T12:00:00",
                                end="2026-12-09T13:00:00")[0]
    assert shown(new.uid)["rrule"] == "FREQ=WEEKLY;BYDAY=WE,FR"


def test_a_move_the_rule_cannot_follow_is_refused_and_writes_nothing():
    from events import log

    series = calendar.create_event(title="rent", start="2026-11-08T09:00:00", end="2026-11-08T10:00:00", tz="UTC",
                                   rrule="FREQ=MONTHLY;BYMONTHDAY=8")
    before = log.vector()
    with pytest.raises(calendar.CalendarError, match="does not repeat on 2026-12-09"):
        calendar.split_series(series.uid, "2026-12-08T09:00:00", start="2026-12-09T09:00:00", end="2026-12-09T10:00:00")
    assert log.vector() == before
