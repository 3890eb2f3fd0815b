"""The pure conversion layer: any event we can hold survives VEVENT and back."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from events.ics.compare import same_event
from events.ics.read import read_calendar, read_vevent
from events.ics.write import build_calendar, to_vevent
from events.recurrence.timing import format_local

ZONES = [None, "UTC", "Europe/Bucharest", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
RULES = [None, "FREQ=DAILY;COUNT=5", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=MONTHLY;BYDAY=1TH", "FREQ=YEARLY;INTERVAL=2",
         "FREQ=WEEKLY;UNTIL=20300101T000000Z", "FREQ=MONTHLY;UNTIL=20291231"]
text = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from(["\n", ",", ";", ":", "\\"]), max_size=40)


@st.composite
def events(draw):
    all_day = draw(st.booleans())
    # before the UNTIL of RULES: a rule with no occurrence is no event we can hold
    day = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2029, 12, 30)))
    if all_day:
        start = day
        end = day + timedelta(days=draw(st.integers(1, 10)))
        tz = None
    else:
        start = datetime(day.year, day.month, day.day, draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 59])))
        end = start + timedelta(minutes=draw(st.integers(0, 3000)))
        tz = draw(st.sampled_from(ZONES))
    rrule = draw(st.sampled_from(RULES))
    exdates = []
    if rrule:
        step = timedelta(days=1 if all_day else 1)
        exdates = sorted({format_local(start + step * n) for n in draw(st.lists(st.integers(1, 30), max_size=3))})
    title = draw(text.filter(lambda t: t.strip())) or "x"
    return {
        "title": title,
        "start": format_local(start),
        "end": format_local(end),
        "all_day": all_day,
        "tz": tz,
        "rrule": rrule,
        "exdates": exdates,
        "location": draw(st.none() | text),
        "description": draw(st.none() | text),
    }


@settings(max_examples=150, deadline=None)
@given(events())
def test_an_event_survives_a_vevent_and_back(event):
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    body = build_calendar([to_vevent("uid-1", event, stamp=stamp)]).to_ical()
    parsed = read_calendar(body)
    [vevent] = parsed.vevents
    back = read_vevent(vevent, 1)
    assert back.uid == "uid-1" and back.recurrence_id is None
    assert same_event(event, back.event), (event, back.event)
    [again] = Calendar.from_ical(body).walk("VEVENT")
    assert not again.subcomponents
