"""Undo after a delete, a drag, a cancel and a conflict resolved: the inverse write."""

import re

import pytest

from events import calendar
from events.index.history import register_of
from events.index.registers import PUT
from events.views.undo import undo_write

pytestmark = pytest.mark.django_db(databases=["default", "index"])


def add(title="Dentist", start="2026-12-14T09:00:00", **fields):
    return calendar.create_event({"title": title, "start": start, "tz": "UTC", **fields})


def shown(uid, rid=None):
    register = register_of(uid, rid)
    return register.shown_event() if register is not None else None


def undo_fields(page):
    """The hidden fields of the Undo form on a page."""
    form = page[page.index('class="undo-offer"'):]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'name="(uid|rid|calendar|entry|next)" value="([^"]*)"', form))


def test_a_deleted_event_comes_back_from_the_message(owner_client):
    made = add(location="Main street")
    page = owner_client.post("/event/delete/", {"uid": made.uid}, follow=True).content.decode()
    assert "Deleted “Dentist”." in page and shown(made.uid) is None
    fields = undo_fields(page)
    page = owner_client.post("/undo/", fields, follow=True).content.decode()
    assert "Undone." in page
    assert shown(made.uid)["location"] == "Main street"
    assert 'class="undo-offer"' not in owner_client.get("/").content.decode()  # offered once


def test_undoing_a_cancel_brings_the_occurrence_back_as_it_was():
    series = add("Lunch", "2026-12-01T12:00:00", rrule="FREQ=WEEKLY")
    rid = "2026-12-08T12:00:00"
    calendar.edit_occurrence(series.uid, rid, title="Lunch with Ana")
    cancelled = calendar.cancel_occurrence(series.uid, rid)
    assert shown(series.uid, rid) is None
    undo_write(series.uid, rid, calendar_ref=cancelled.calendar, entry=cancelled.entry.hash)
    assert shown(series.uid, rid)["title"] == "Lunch with Ana"


def test_undoing_the_cancel_of_an_untouched_occurrence_puts_the_series_value_back():
    series = add("Lunch", "2026-12-01T12:00:00", rrule="FREQ=WEEKLY")
    cancelled = calendar.cancel_occurrence(series.uid, "2026-12-08T12:00:00")
    undo_write(series.uid, "2026-12-08T12:00:00", calendar_ref=cancelled.calendar, entry=cancelled.entry.hash)
    back = shown(series.uid, "2026-12-08T12:00:00")
    assert (back["title"], back["start"], back["end"]) == ("Lunch", "2026-12-08T12:00:00", "2026-12-08T13:00:00")


def test_a_drag_answers_with_its_undo_and_undo_moves_it_back(owner_client):
    made = add()
    answer = owner_client.post("/event/shift/", {"uid": made.uid, "start_by": "60", "end_by": "60"}).json()
    assert shown(made.uid)["start"] == "2026-12-14T10:00:00"
    response = owner_client.post("/undo/", answer["undo"], HTTP_ACCEPT="application/json")
    assert response.json() == {"ok": True}
    assert shown(made.uid)["start"] == "2026-12-14T09:00:00"
    register = register_of(made.uid)
    assert len(register.heads) == 1 and not register.conflict  # the undo links the drag's write


def test_undoing_a_resolve_brings_the_conflict_back(owner_client):
    made = add()
    first = calendar.edit_series(made.uid, title="Dentist at 9")
    # a second write on the same head: two values side by side, as when two peers edit at once
    calendar._write({"type": PUT, "uid": made.uid, "recurrence_id": None,
                     "event": {**first.event, "title": "Dentist at 10"}}, [made.entry.hash], made.calendar)
    assert register_of(made.uid).conflict
    page = owner_client.post("/conflicts/resolve/", {"uid": made.uid, "keep": first.entry.hash}, follow=True)
    assert not register_of(made.uid).conflict
    owner_client.post("/undo/", undo_fields(page.content.decode()))
    register = register_of(made.uid)
    assert register.conflict and sorted(register.bodies[h]["event"]["title"] for h in register.heads) == [
        "Dentist at 10", "Dentist at 9"]


def test_undo_is_refused_once_something_else_changed_the_event(owner_client):
    made = add()
    answer = owner_client.post("/event/shift/", {"uid": made.uid, "start_by": "60", "end_by": "60"}).json()
    calendar.edit_series(made.uid, title="Dentist (moved)")
    response = owner_client.post("/undo/", answer["undo"], HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "Could not undo: it was changed again since, so undoing would overwrite that."
    assert shown(made.uid)["title"] == "Dentist (moved)"


def test_a_forged_undo_is_a_message(owner_client):
    for fields in ({}, {"uid": "x", "entry": "y"}, {"uid": "x", "rid": "not a time", "entry": "y"}):
        page = owner_client.post("/undo/", fields, follow=True).content.decode()
        assert "Could not undo:" in page
    response = owner_client.post("/undo/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"
