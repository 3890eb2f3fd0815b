"""Bounds: entry times, event times and repeat rules that no reader can place
(docs/PROTOCOL.md sections 2.3 and 5.2, rules `fields` and `bounds`).

New entries out of range are refused at the door with the rule named; entries
stored before the rules existed (written here as a previous version would
have stored them) must not break any reader.
"""

import io
import json
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import events.entry
import events.recurrence.expansion
from devtools.feeds import FeedWriter
from events import calendar, log
from events.entry import EntryInvalid, check_linkage, parse_entry
from events.ics import export, importing
from events.ics.read import NotICalendar, read_calendar
from events.index.fold import catch_up, rebuild
from events.index.history import history
from events.index.query import query
from events.models import IndexKey
from events.recurrence.expansion import GaveUp, iter_starts, parse_timing
from events.recurrence.rrule import parse_rule
from events.recurrence.timing import RecurrenceError
from events.verify import index_matches_log, verify_log

pytestmark = pytest.mark.django_db(databases=["default", "index"])

T = 1_795_000_000_000
ADAK = {"title": "end of time", "start": "9999-12-31T20:00:00", "end": "9999-12-31T21:00:00", "all_day": False,
        "tz": "America/Adak", "rrule": None, "exdates": [], "location": None, "description": None}
NEVER = "FREQ=MINUTELY;BYSETPOS=-1,1;BYMONTH=2;BYMONTHDAY=30"


def event(**fields):
    base = {"title": "t", "start": "2026-05-01T10:00:00", "end": "2026-05-01T11:00:00", "all_day": False,
            "tz": "UTC", "rrule": None, "exdates": [], "location": None, "description": None}
    return {**base, **fields}


def put(uid, value, rid=None):
    return {"type": "event.put", "uid": uid, "recurrence_id": rid, "event": value}


@pytest.fixture
def old_version(monkeypatch):
    """Store entries as a version without the new rules did: no `bounds`
    check, and any integer `time` signed and accepted."""

    class Old:
        def __enter__(self):
            monkeypatch.setattr(events.entry, "bounds_problem", lambda body: None, raising=False)
            monkeypatch.setattr(events.entry, "MAX_TIME", 2**200, raising=False)
            monkeypatch.setattr(events.entry, "MIN_TIME", -(2**200), raising=False)
            monkeypatch.setattr(events.recurrence.expansion, "first_start", lambda rule, start: start, raising=False)

        def __exit__(self, *exc):
            monkeypatch.undo()

    return Old()


def hostile(writer, body, *, time=T):
    """An entry signed without the writer's own checks, as a hostile peer would."""
    obj = {"author": writer.author, "seq": writer.seq + 1, "prev": writer.prev, "links": [], "time": time, "body": body}
    obj["sig"] = writer.key.sign(events.entry.signed_bytes(obj)).hex()
    return json.dumps(obj)


def store_old(old_version, writer, body, *, time=T, links=()):
    with old_version:
        entry = writer.write(body, time=time, links=links)
        [outcome] = log.receive([entry])
    assert outcome.result == "stored", outcome
    return entry


def readers_survive(client, uid=None):
    """Every reader of stored data answers: fold, query, rebuild, verify, export, pages."""
    catch_up()
    query(date(2026, 1, 1), date(2027, 1, 1), "UTC")
    query(date(9998, 12, 1), date(9998, 12, 31), "Pacific/Kiritimati")
    rebuild()
    assert index_matches_log() == []
    export.export_calendar()
    export.cached_export()
    for url in ["/", "/week/", "/agenda/", "/conflicts/", "/calendar.ics", "/calendar/"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    if uid:
        assert client.get("/event/", {"uid": uid}).status_code in (200, 404)
        assert client.get(f"/events/{uid}.ics").status_code in (200, 404)
        history(uid)
    calendar.create_event(event(title="still writable"))


# --- attack 1: an instant in the year 10000 ----------------------------------------------


def test_an_event_whose_instant_is_in_the_year_10000_is_refused_at_the_door():
    [outcome] = log.receive([hostile(FeedWriter(), put("adak", ADAK))])
    assert (outcome.result, outcome.rule) == ("invalid", "bounds")
    assert "9999" in outcome.message
    assert log.vector() == {}


def test_an_old_database_holding_it_still_folds_queries_and_serves(old_version, owner_client):
    writer = FeedWriter()
    store_old(old_version, writer, put("adak", ADAK))
    readers_survive(owner_client, "adak")
    row = IndexKey.objects.using("index").get(uid="adak")
    assert row.kind == "" and "9999" in row.skipped
    assert [c.not_shown for c in history("adak")] == [row.skipped]
    page = owner_client.get("/event/", {"uid": "adak"})
    assert page.status_code == 200 and "Not shown on the calendar" in page.content.decode()
    report = verify_log()
    assert not report.ok and any("invalid (bounds)" in p for p in report.problems)
    # after deleting it, the calendar is as usable as before
    store_old(old_version, writer, {"type": "event.del", "uid": "adak", "recurrence_id": None},
              links=IndexKey.objects.using("index").get(uid="adak").shown and [row.shown])
    readers_survive(owner_client)


def test_typed_locally_it_gets_one_line_and_nothing_is_stored(owner_client, tmp_path):
    with pytest.raises(calendar.CalendarError, match="outside the years"):
        calendar.create_event(ADAK)
    with pytest.raises(CommandError, match="not added: .*outside the years") as caught:
        call_command("add", "--title", "x", "--start", "9999-12-31T20:00", "--tz", "America/Adak")
    assert "\n" not in str(caught.value)
    script = tmp_path / "ops.jsonl"
    script.write_text(json.dumps({"op": "create", "event": ADAK}) + "\n")
    with pytest.raises((CommandError, SystemExit)):
        call_command("ops", str(script))
    response = owner_client.post("/quick/add/", {"text": "party 31 dec 9999 8pm"})
    assert response.status_code < 500
    response = owner_client.post("/event/", {"uid": "nope"})
    assert response.status_code < 500
    assert log.vector() == {}


def test_the_event_form_refuses_it_with_a_message(owner_client):
    made = calendar.create_event(event(title="movable"))
    response = owner_client.post("/event/?uid=" + made.uid, {
        "uid": made.uid, "title": "movable", "start": "9999-12-31T20:00", "end": "9999-12-31T21:00",
        "tz": "America/Adak", "repeat": "", "interval": 1, "ends": "never"})
    assert response.status_code == 400
    assert "outside the years" in response.content.decode() or "year" in response.content.decode()
    assert len(history(made.uid)) == 1


# --- attack 2: entry times no reader can format ------------------------------------------


@pytest.mark.parametrize("when", [10**30, 2**63, -(2**63), -1])
def test_an_entry_time_out_of_range_is_refused_at_the_door(when):
    text = hostile(FeedWriter(), {"type": "note"}, time=when)
    [outcome] = log.receive([text])
    assert (outcome.result, outcome.rule) == ("invalid", "fields")
    with pytest.raises(EntryInvalid) as caught:
        parse_entry(text)
    assert caught.value.rule == "fields" and "time" in caught.value.message
    with pytest.raises(EntryInvalid):
        FeedWriter().write({"type": "note"}, time=when)


@pytest.mark.parametrize("when", [10**30, 2**63, -(2**63)])
def test_stored_huge_times_break_no_reader(old_version, owner_client, when):
    writer, other = FeedWriter(), FeedWriter()
    first = store_old(old_version, writer, put("huge", event(title="huge")), time=when)
    # a conflict: two heads of one key, one of them with the huge time
    store_old(old_version, other, put("huge", event(title="rival")), time=T)
    store_old(old_version, writer, put("lone", event(title="alone", start="2026-06-01T10:00:00",
                                                    end="2026-06-01T11:00:00")), time=when)
    readers_survive(owner_client, "huge")
    assert b"BEGIN:VEVENT" in export.export_calendar()
    assert export.export_event("lone") is not None
    assert owner_client.get("/conflicts/").status_code == 200
    assert any(c.hash == first.hash for c in history("huge"))
    from events.ics import feed

    token = feed.rotate_feed().token
    response = owner_client.get(reverse("ics-feed", kwargs={"token": token}))
    assert response.status_code == 200 and b"BEGIN:VEVENT" in response.content
    out = io.StringIO()
    call_command("export_ics", stdout=out)


# --- attack 3: a repeat rule that never occurs --------------------------------------------


def test_a_rule_that_never_occurs_is_refused_at_the_door():
    [outcome] = log.receive([hostile(FeedWriter(), put("never", event(rrule=NEVER)))])
    assert (outcome.result, outcome.rule) == ("invalid", "bounds")
    assert "no occurrence" in outcome.message


def test_a_stored_rule_that_never_occurs_costs_milliseconds_per_query(old_version, owner_client):
    writer = FeedWriter()
    for n in range(3):
        store_old(old_version, writer, put(f"never{n}", event(rrule=NEVER)))
    started = time.process_time()
    catch_up()
    assert all(r.kind == "" and "no occurrence" in r.skipped for r in IndexKey.objects.using("index").all())
    for _ in range(3):
        query(date(2026, 5, 1), date(2026, 6, 1), "UTC")
    assert owner_client.get("/").status_code == 200
    assert time.process_time() - started < 2


def test_an_index_folded_before_the_rule_still_answers_quickly(old_version):
    """Rows a previous version folded as series: the query drops what it can no
    longer parse, and any walk gives up within its budget."""
    with old_version:
        writer = FeedWriter()
        entry = writer.write(put("never", event(rrule=NEVER)), time=T)
        log.receive([entry])
        catch_up()
    assert IndexKey.objects.using("index").get(uid="never").kind == "series"
    started = time.process_time()
    assert query(date(2026, 5, 1), date(2026, 6, 1), "UTC").occurrences == []
    rule = parse_rule(NEVER, datetime(2026, 5, 1, 10))
    with pytest.raises(GaveUp):
        list(iter_starts(rule, datetime(2026, 5, 1, 10), datetime(2026, 5, 1), datetime(2026, 6, 1)))
    assert time.process_time() - started < 1


@pytest.mark.parametrize("rule", [NEVER, "FREQ=MINUTELY;BYSETPOS=2", "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31",
                                  "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=31;BYMINUTE=1,2"])
def test_a_rule_that_never_occurs_is_refused_quickly_everywhere(rule):
    started = time.process_time()
    with pytest.raises(RecurrenceError, match="no occurrence within 10 years"):
        parse_timing(event(rrule=rule))
    with pytest.raises(calendar.CalendarError, match="no occurrence"):
        calendar.create_event(event(rrule=rule))
    assert time.process_time() - started < 1


@pytest.mark.parametrize("rule", ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=MINUTELY;INTERVAL=7;BYMONTH=2;BYMONTHDAY=29",
                                  "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO"])
def test_rare_rules_that_occur_are_kept(rule):
    timing = parse_timing(event(start="2026-03-01T10:00:00", end="2026-03-01T11:00:00", rrule=rule))
    assert timing.rule is not None


# --- attack 4: deeply nested .ics --------------------------------------------------------


def test_a_deeply_nested_ics_is_refused_before_parsing():
    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + b"BEGIN:VEVENT\r\nSUMMARY:x\r\n" * 3000
            + b"END:VEVENT\r\n" * 3000 + b"END:VCALENDAR\r\n")
    started = time.process_time()
    with pytest.raises(NotICalendar, match="nested 3001 deep"):
        read_calendar(data)
    report = importing.import_calendar(data)
    assert not report.ok and "nested" in report.error
    assert time.process_time() - started < 1
    assert log.vector() == {}


def test_real_nesting_and_many_events_still_import():
    alarm = b"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\n"
    events_ = b"".join(
        b"BEGIN:VEVENT\r\nUID:n%d\r\nDTSTART:20260501T100000Z\r\nSUMMARY:s\r\n" % n + alarm + b"END:VEVENT\r\n"
        for n in range(300)
    )
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + events_ + b"END:VCALENDAR\r\n"
    report = importing.import_calendar(data)
    assert report.ok and report.created == 300, report.as_text()


@pytest.mark.parametrize("all_day", [True, False])
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Adak"])
def test_a_year_long_series_in_the_year_2_is_queried_without_overflow(all_day, zone):
    """Its occurrences are looked for from a year before the window: before the year 1."""
    start, end = ("0002-01-10", "0003-01-11") if all_day else ("0002-01-10T00:30:00", "0003-01-11T05:00:00")
    body = put("long", event(start=start, end=end, all_day=all_day, tz=None, rrule="FREQ=YEARLY", exdates=[]))
    assert log.receive([FeedWriter().write(body, time=1)])[0].result == "stored"
    catch_up()
    [found] = query(date(2, 1, 1), date(2, 3, 1), zone).occurrences
    assert found.is_recurring


# --- everything at once ------------------------------------------------------------------

ZONES = st.sampled_from(["UTC", "America/Adak", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Bucharest",
                         "Australia/Lord_Howe", "Asia/Kathmandu", None])
YEARS = st.one_of(st.integers(1, 9999), st.sampled_from([1, 2, 9998, 9999]))
RULES = st.one_of(
    st.none(),
    st.builds(
        lambda freq, parts: ";".join([f"FREQ={freq}", *parts]),
        st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY"]),
        st.lists(st.sampled_from(["BYMONTH=2", "BYMONTHDAY=30", "BYMONTHDAY=29", "BYSETPOS=-1,1", "BYSETPOS=2",
                                  "BYDAY=MO", "BYDAY=-1FR", "INTERVAL=3", "COUNT=5", "UNTIL=99991231T235959Z",
                                  "UNTIL=20300101T000000Z", "BYYEARDAY=366", "BYWEEKNO=53", "BYHOUR=3"]),
                 max_size=4, unique_by=lambda p: p.split("=")[0]),
    ),
)


@st.composite
def bodies(draw):
    year = draw(YEARS)
    start = datetime(year, draw(st.integers(1, 12)), draw(st.integers(1, 28)), draw(st.integers(0, 23)),
                     draw(st.integers(0, 59)))
    all_day = draw(st.booleans())
    hours = draw(st.integers(0, 48))
    end_year = min(9999, year + draw(st.integers(0, 1)))
    end = start.replace(year=end_year, hour=(start.hour + hours) % 24)
    fmt = (lambda d: d.date().isoformat()) if all_day else (lambda d: d.isoformat())
    value = event(start=fmt(start), end=fmt(max(start, end)), all_day=all_day, tz=None if all_day else draw(ZONES),
                  rrule=draw(RULES), exdates=[fmt(start)] if draw(st.booleans()) else [])
    return put(f"p{draw(st.integers(0, 5))}", value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies(), when=st.integers(0, 253_402_300_799_999))  # the range of time (section 2.1)
def test_random_bodies_are_either_refused_by_name_or_folded_queried_and_exported(body, when):
    writer = FeedWriter()
    entry = writer.write({"type": "note"}, time=when)
    try:
        entry = writer.write(body, time=when, links=())
    except EntryInvalid as e:  # the writer refuses to sign what breaks a rule
        assert e.rule == "bounds", e
        return
    check_linkage(entry)
    outcomes = log.receive([FeedWriter().write(body, time=when)])
    assert outcomes[0].result == "stored"
    catch_up()
    start = body["event"]["start"][:10]
    year = int(start[:4])
    lo = date(min(max(year, 2), 9998), 1, 1)
    query(lo, date(lo.year, 3, 1), "Pacific/Kiritimati")
    query(lo, date(lo.year, 3, 1), "America/Adak")
    export.export_calendar()


def test_the_bounds_vectors_are_documented():
    text = (Path(__file__).resolve().parents[1] / "docs" / "PROTOCOL.md").read_text()
    assert "`bounds`" in text and "tests/data/vectors/bounds.jsonl" in text
