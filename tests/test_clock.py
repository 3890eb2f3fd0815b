"""events.clock: the real time, or the fixed CALENDAR_NOW of tests and demos."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from events import clock


def test_without_calendar_now_it_is_the_real_time(settings):
    settings.CALENDAR_NOW = ""
    zone = ZoneInfo("Europe/Bucharest")
    before = datetime.now(zone)  # genuinely about the real clock
    got = clock.now("Europe/Bucharest")
    assert before <= got <= datetime.now(zone) and got.tzinfo == zone
    assert clock.today(zone) in (before.date(), datetime.now(zone).date())


def test_a_time_without_offset_is_the_wall_clock_in_the_zone(settings):
    settings.CALENDAR_NOW = "2026-11-29T10:00"
    for tz in ("Europe/Bucharest", "America/New_York", "UTC"):
        got = clock.now(tz)
        assert got.replace(tzinfo=None) == datetime(2026, 11, 29, 10, 0) and got.tzinfo == ZoneInfo(tz)
        assert clock.today(tz) == date(2026, 11, 29)


def test_a_time_with_an_offset_is_that_instant_in_the_zone(settings):
    settings.CALENDAR_NOW = "2026-12-31T22:30:00+00:00"
    assert clock.today("UTC") == date(2026, 12, 31)
    assert clock.today("Europe/Bucharest") == date(2027, 1, 1)  # already the new year there
    assert clock.now(ZoneInfo("America/New_York")).hour == 17
    assert clock.now("Europe/Bucharest").utcoffset() == timedelta(hours=2)


def test_a_bad_value_says_what_is_wrong(settings):
    settings.CALENDAR_NOW = "next tuesday"
    with pytest.raises(ImproperlyConfigured, match="CALENDAR_NOW 'next tuesday' is not an ISO datetime"):
        clock.now("UTC")


def test_the_parse_command_reads_phrases_from_the_fixed_now(settings):
    settings.CALENDAR_NOW = "2026-11-29T10:00"
    out = StringIO()
    call_command("parse", "lunch tomorrow at noon", "--tz", "Europe/Bucharest", "--json", stdout=out)
    assert json.loads(out.getvalue())["start"] == "2026-11-30T12:00:00"
    out = StringIO()
    call_command("parse", "lunch tomorrow at noon", "--tz", "UTC", "--now", "2027-02-28T09:00", "--json", stdout=out)
    assert json.loads(out.getvalue())["start"] == "2027-03-01T12:00:00"  # --now still wins


@pytest.mark.django_db(databases=["default", "index"])
def test_the_add_command_reads_phrases_from_the_fixed_now(settings):
    settings.CALENDAR_NOW = "2028-02-28T18:00"
    out = StringIO()
    call_command("add", "dentist tomorrow at 9", "--tz", "Europe/Bucharest", "--json", stdout=out)
    made = json.loads(out.getvalue())
    assert made["start"] == "2028-02-29T09:00:00" and made["tz"] == "Europe/Bucharest"
