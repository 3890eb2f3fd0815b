"""Management commands: add, query, rebuild_index."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from events.models import IndexKey, LogEntry

pytestmark = pytest.mark.django_db(databases=["default", "index"])


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_adds_an_event_from_fields_and_prints_its_uid():
    out = run("add", "--title", "lunch", "--start", "2024-03-05T12:00", "--end", "2024-03-05T13:00",
              "--tz", "Europe/Bucharest", "--rrule", "FREQ=WEEKLY;BYDAY=TU", "--json")
    made = json.loads(out)
    assert made["uid"].endswith("@calendar-p2p") and made["start"] == "2024-03-05T12:00:00"
    assert made["tz"] == "Europe/Bucharest"
    text = run("add", "--title", "holiday", "--start", "2024-03-08", "--all-day")
    assert "uid " in text and "holiday" in text


def test_it_refuses_an_event_that_makes_no_sense():
    with pytest.raises(CommandError, match="before start"):
        run("add", "--title", "x", "--start", "2024-03-05T12:00", "--end", "2024-03-05T11:00")
    with pytest.raises(CommandError):
        run("add")


def test_query_prints_occurrences_as_text_and_json():
    run("add", "--title", "lunch", "--start", "2024-03-05T12:00", "--end", "2024-03-05T13:00",
        "--tz", "Europe/Bucharest", "--rrule", "FREQ=WEEKLY;BYDAY=TU")
    text = run("query", "2024-03-25", "2024-04-08", "--tz", "Europe/Bucharest")
    assert text.count("lunch") == 2 and "2024-04-02T12:00:00+03:00" in text
    rows = json.loads(run("query", "2024-03-25", "2024-04-08", "--tz", "UTC", "--json"))
    assert [r["start"] for r in rows] == ["2024-03-26T10:00:00+00:00", "2024-04-02T09:00:00+00:00"]
    assert {"uid", "recurrence_id", "title", "start", "end", "conflict"} <= set(rows[0])
    assert rows[0]["recurrence_id"] == "2024-03-26T12:00:00"


def test_query_with_bad_input_says_what_is_wrong():
    with pytest.raises(CommandError, match="after"):
        run("query", "2024-05-01", "2024-04-01")
    with pytest.raises(CommandError, match="time zone"):
        run("query", "2024-04-01", "2024-05-01", "--tz", "Moon/Base")
    with pytest.raises(CommandError, match="ISO"):
        run("query", "next week", "2024-05-01")
    for far in (("0001-01-01", "0001-02-01"), ("9999-01-01", "9999-12-31")):
        with pytest.raises(CommandError, match="between the years"):
            run("query", *far)


def test_rebuild_index_regenerates_the_same_rows():
    run("add", "--title", "a", "--start", "2024-03-05T12:00", "--tz", "UTC")
    columns = ("calendar", "uid", "state", "event")
    before = list(IndexKey.objects.using("index").values_list(*columns))
    assert len(before) == 1 and before[0][0]  # the event, in the default (Personal) calendar
    out = run("rebuild_index")
    assert f"from {LogEntry.objects.count()} entries" in out  # the key, the calendar and the event
    assert list(IndexKey.objects.using("index").values_list(*columns)) == before


def test_add_text_goes_through_the_parser():
    made = json.loads(run("add", "lunch every tuesday at noon", "--tz", "Europe/Bucharest",
                          "--now", "2025-12-31T09:00", "--json"))
    assert made["rrule"] == "FREQ=WEEKLY;BYDAY=TU" and made["uid"]
    rows = json.loads(run("query", "2026-01-01", "2026-01-15", "--tz", "Europe/Bucharest", "--json"))
    assert [r["start"] for r in rows] == ["2026-01-06T12:00:00+02:00", "2026-01-13T12:00:00+02:00"]
    assert {r["title"] for r in rows} == {"lunch"}


def test_add_text_without_a_title_makes_an_untitled_event():
    made = json.loads(run("add", "tomorrow 3pm", "--tz", "UTC", "--now", "2026-01-05T09:00", "--json"))
    assert (made["title"], made["start"]) == ("(No title)", "2026-01-06T15:00:00")


def test_add_text_reports_what_the_parser_did_not_understand():
    with pytest.raises(CommandError, match="blurgh"):
        run("add", "blurgh")
    assert IndexKey.objects.count() == 0
