"""Reminders: the event form's field, the reminders due (for the page's
notifications), and VALARMs in the .ics export."""

from datetime import datetime

import pytest
from icalendar import Calendar

from events import calendar
from events.ics.write import to_vevent
from events.index.history import register_of

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def fixed_now(settings, monkeypatch):
    settings.CALENDAR_NOW = "2026-12-07T08:00:00+00:00"
    monkeypatch.setattr("events.views.reminders.viewer_tz", lambda: "UTC")  # whatever zone other tests chose


def add(title="Dentist", start="2026-12-07T09:00:00", **fields):
    return calendar.create_event({"title": title, "start": start, "tz": "UTC", **fields})


def form_data(**over):
    data = {"title": "Dentist", "start_date": "2026-12-07", "start_time": "09:00", "end_date": "2026-12-07",
            "end_time": "10:00", "tz": "UTC", "repeat": "", "interval": "1", "ends": "never", "location": "",
            "description": "", "reminders": "10, 60"}
    data.update(over)
    return data


def test_the_form_keeps_reminders_as_minutes(owner_client):
    made = add()
    response = owner_client.post(f"/event/?uid={made.uid}", form_data(reminders="60 10,10"))
    assert response.status_code == 302
    assert register_of(made.uid).shown_event()["reminders"] == [10, 60]
    page = owner_client.get("/event/", {"uid": made.uid}).content.decode()
    assert 'value="10, 60"' in page and "Reminders (minutes before)" in page


@pytest.mark.parametrize(("typed", "said"), [("ten", "minutes before the start"), ("-5", "four weeks"),
                                             ("50000", "four weeks"), (" ".join(map(str, range(11))), "At most 10")])
def test_bad_reminders_are_a_message_on_the_field(owner_client, typed, said):
    made = add()
    response = owner_client.post(f"/event/?uid={made.uid}", form_data(reminders=typed))
    assert response.status_code == 400 and said in response.content.decode()
    assert "reminders" not in register_of(made.uid).shown_event()


def test_the_reminders_due_in_the_next_day(owner_client):
    add("Dentist", location="Main street", reminders=[10, 60])
    series = add("Standup", "2026-12-07T10:00:00", rrule="FREQ=DAILY", reminders=[5])
    calendar.edit_occurrence(series.uid, "2026-12-08T10:00:00", start="2026-12-08T11:00:00", end="2026-12-08T11:30:00")
    add("No reminder", "2026-12-07T09:30:00")
    add("Too far", "2026-12-20T09:00:00", reminders=[10])
    answer = owner_client.get("/reminders/").json()
    assert answer["now"] == int(datetime.fromisoformat("2026-12-07T08:00:00+00:00").timestamp() * 1000)
    due = [(r["title"], r["body"], (r["at"] - answer["now"]) // 60000) for r in answer["reminders"]]
    # the dentist's 60 minutes fall due now; the override of the 8th has no reminders of its own
    assert due == [("Dentist", "09:00 · Main street (in 60 min)", 0), ("Dentist", "09:00 · Main street (in 10 min)", 50),
                   ("Standup", "10:00 (in 5 min)", 115)]


def test_reminders_are_exported_as_valarms():
    event = {"title": "Dentist", "start": "2026-12-07T09:00:00", "end": "2026-12-07T10:00:00", "tz": "UTC",
             "reminders": [60, 10, "x", True, -1]}
    vevent = to_vevent("u1", event, stamp=datetime(2026, 12, 1))
    text = Calendar.from_ical(vevent.to_ical()).to_ical().decode()
    assert text.count("BEGIN:VALARM") == 2 and "TRIGGER:-PT10M" in text and "TRIGGER:-PT1H" in text
    assert "ACTION:DISPLAY" in text
