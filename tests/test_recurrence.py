"""events.recurrence: rules, wall times, fast-forward (pure, no database)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.recurrence.expansion import checkpoints, fast_forward, parse_timing
from events.recurrence.rrule import parse_rule
from events.recurrence.timing import RecurrenceError, get_zone, is_zone, parse_local, recurrence_key
from tests.support.recurrence import expand, naive_expand, to_utc

BUCHAREST = ZoneInfo("Europe/Bucharest")


def test_it_parses_local_dates_and_times():
    assert parse_local("2024-03-05") == date(2024, 3, 5)
    assert parse_local("2024-03-05T12:00:00") == datetime(2024, 3, 5, 12)
    assert parse_local("2024-03-05T12:00") == datetime(2024, 3, 5, 12)
    for bad in ("2024-13-01", "tomorrow", "2024-03-05T12:00:00Z", 5, None):
        with pytest.raises(RecurrenceError):
            parse_local(bad)


def test_it_normalizes_recurrence_ids():
    assert recurrence_key("2024-03-05T12:00") == "2024-03-05T12:00:00"
    assert recurrence_key("2024-03-05") == "2024-03-05"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "FREQ=FORTNIGHTLY",
        "FREQ=SECONDLY",
        "FREQ=DAILY;COUNT=3;UNTIL=20250101",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;BYDAY=XX",
        "FREQ=MONTHLY;BYMONTHDAY=32",
        "FREQ=DAILY;FREQ=WEEKLY",
        "FREQ=DAILY;COLOR=RED",
        "FREQ=DAILY;COUNT=abc",
        "FREQ",
        42,
    ],
)
def test_it_rejects_bad_rules(text):
    with pytest.raises(RecurrenceError):
        parse_rule(text, datetime(2024, 1, 1, 9))


def test_it_keeps_weekly_noon_in_bucharest_across_both_dst_changes():
    start = datetime(2024, 3, 5, 12)  # a tuesday
    rule = parse_rule("FREQ=WEEKLY;BYDAY=TU", start, zone=BUCHAREST)
    starts = expand(rule, start, datetime(2024, 3, 1), datetime(2024, 11, 30)).starts
    assert all(s.hour == 12 and s.weekday() == 1 for s in starts)
    utc_hours = {to_utc(s, BUCHAREST).hour for s in starts}
    assert utc_hours == {9, 10}  # 10:00 UTC in winter (+02), 09:00 in summer (+03)
    assert to_utc(datetime(2024, 3, 26, 12), BUCHAREST).hour == 10
    assert to_utc(datetime(2024, 4, 2, 12), BUCHAREST).hour == 9
    assert to_utc(datetime(2024, 10, 29, 12), BUCHAREST).hour == 10


def test_it_moves_a_time_in_the_dst_gap_forward_and_takes_the_first_of_two():
    gap = to_utc(datetime(2024, 3, 31, 3, 30), BUCHAREST).astimezone(BUCHAREST)
    assert (gap.hour, gap.minute) == (4, 30)
    twice = to_utc(datetime(2024, 10, 27, 3, 30), BUCHAREST)
    assert twice.hour == 0  # 03:30 at +03:00, the first one


def test_it_fast_forwards_a_daily_rule_from_years_ago():
    start = datetime(2014, 6, 1, 8, 30)
    rule = parse_rule("FREQ=DAILY", start)
    moved = fast_forward(rule, start, datetime(2024, 6, 10))
    assert moved == datetime(2024, 6, 10)
    got = expand(rule, start, datetime(2024, 6, 10), datetime(2024, 6, 12, 23)).starts
    assert got == [datetime(2024, 6, d, 8, 30) for d in (10, 11, 12)]


def test_it_keeps_monthly_on_the_31st_when_moving_forward():
    start = datetime(2020, 1, 31, 9)
    rule = parse_rule("FREQ=MONTHLY", start)
    got = expand(rule, start, datetime(2024, 1, 1), datetime(2024, 6, 30)).starts
    assert [s.month for s in got] == [1, 3, 5]


def test_it_caps_occurrences_and_says_so():
    start = datetime(1900, 1, 1)
    rule = parse_rule("FREQ=MINUTELY", start)
    result = expand(rule, start, datetime(2024, 1, 1), datetime(2024, 2, 1), limit=1000)
    assert len(result.starts) == 1000 and result.capped


def test_it_bounds_a_huge_count_rule():
    start = datetime(1900, 1, 1)
    rule = parse_rule("FREQ=HOURLY;COUNT=1000000000", start)
    marks, last = checkpoints(rule, start)
    assert last is None and marks
    result = expand(rule, start, datetime(2024, 1, 1), datetime(2024, 1, 2), marks=marks)
    assert result.capped  # too far past the checkpoints: bounded, and said so


def test_count_rules_restart_from_checkpoints():
    start = datetime(2000, 1, 1, 7)
    rule = parse_rule("FREQ=DAILY;COUNT=5000", start)
    marks, last = checkpoints(rule, start)
    assert last == start + timedelta(days=4999)
    lo, hi = datetime(2010, 3, 1), datetime(2010, 3, 31)
    assert expand(rule, start, lo, hi, marks=marks).starts == naive_expand(rule, start, lo, hi)
    assert expand(rule, start, datetime(2020, 1, 1), datetime(2020, 2, 1), marks=marks).starts == []


def test_it_validates_event_times():
    ok = parse_timing({"start": "2024-03-05", "end": "2024-03-06", "all_day": True})
    assert ok.all_day and ok.zone is None and ok.duration == timedelta(days=1)
    floating = parse_timing({"start": "2024-03-05T10:00:00", "end": "2024-03-05T11:00:00", "tz": None})
    assert floating.floating
    for bad in (
        {"start": "2024-03-05T10:00:00", "end": "2024-03-05T09:00:00", "tz": "UTC"},
        {"start": "2024-03-05T10:00:00", "end": "2024-03-05T11:00:00", "tz": "Mars/Olympus"},
        {"start": "2024-03-05", "end": "2024-03-06T00:00:00", "all_day": True},
        {"start": "2024-03-05T10:00:00", "rrule": "FREQ=SECONDLY"},
        {"start": "2024-03-05T10:00:00", "rrule": "bogus"},
        {"end": "2024-03-05T10:00:00"},
    ):
        with pytest.raises(RecurrenceError):
            parse_timing(bad)



def test_one_check_decides_what_is_a_zone():
    assert is_zone("Europe/Bucharest") and is_zone("UTC")
    for bad in ("Mars/Olympus", "Europe", "/etc/localtime", "../zoneinfo/UTC", "", None, 3, "A" * 65):
        assert not is_zone(bad)
        with pytest.raises(RecurrenceError):
            get_zone(bad)

# --- fast-forward equals plain expansion ------------------------------------------

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def rules(draw):
    freq = draw(st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 5))}"]
    if draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
        if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
            days = [f"{draw(st.sampled_from([1, 2, -1]))}{d}" for d in days]
        parts.append("BYDAY=" + ",".join(days))
    elif freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 15, 28, 30, 31, -1]))}")
    if freq == "YEARLY" and draw(st.booleans()):
        parts.append(f"BYMONTH={draw(st.integers(1, 12))}")
    if freq in ("DAILY", "WEEKLY") and draw(st.booleans()):
        parts.append(f"BYHOUR={draw(st.integers(0, 23))},{draw(st.integers(0, 23))}")
    if freq == "MONTHLY" and "BYDAY" in parts[-1] and draw(st.booleans()):
        parts.append("BYSETPOS=-1")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(WEEKDAYS))}")
    ending = draw(st.sampled_from(["none", "until", "count"]))
    if ending == "until":
        parts.append(f"UNTIL={draw(st.integers(2000, 2040))}0615T000000")
    elif ending == "count":
        parts.append(f"COUNT={draw(st.integers(1, 400))}")
    return ";".join(parts)


@settings(max_examples=300, deadline=None)
@given(
    text=rules(),
    start=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    offset=st.integers(-400, 20_000),
    span=st.integers(1, 60),
)
def test_fast_forward_expansion_equals_plain_expansion(text, start, offset, span):
    rule = parse_rule(text, start)
    lo = start + timedelta(days=offset)
    hi = lo + timedelta(days=span)
    if rule.freq >= 4:  # HOURLY: keep the plain walk short
        lo = start + timedelta(hours=offset)
        hi = lo + timedelta(hours=span * 3)
    marks = checkpoints(rule, start)[0] if rule.count else None
    got = expand(rule, start, lo, hi, marks=marks, limit=100_000).starts
    assert got == naive_expand(rule, start, lo, hi)


@settings(max_examples=300, deadline=None)
@given(
    day=st.sampled_from(WEEKDAYS),
    n=st.sampled_from([1, 2, 3, 4, 5, -1, -2, -4, -5]),
    interval=st.integers(1, 4),
    ending=st.sampled_from(["", ";COUNT=7", ";COUNT=40", ";UNTIL=20250615T000000"]),
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    offset=st.integers(-60, 4000),
    span=st.integers(1, 100),
)
def test_nth_weekday_of_the_month_by_arithmetic_equals_plain_expansion(day, n, interval, ending, start, offset, span):
    rule = parse_rule(f"FREQ=MONTHLY;INTERVAL={interval};BYDAY={n}{day}{ending}", start)
    assert rule.simple is not None or (abs(n) == 5 and "COUNT" in ending)
    lo = start + timedelta(days=offset)
    hi = lo + timedelta(days=span)
    marks = checkpoints(rule, start)[0] if rule.count else None
    assert expand(rule, start, lo, hi, marks=marks).starts == naive_expand(rule, start, lo, hi)
