"""Editing a series from its pages: "this and following events" from the edit
form and from a drag, and a new series title given to edited occurrences."""

import json
import re

import pytest

from events import calendar
from events.index.history import register_of
from tests.test_ui_edit import edit_data

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def fixed_now(settings):
    settings.CALENDAR_NOW = "2026-11-29T10:00"
    settings.CALENDAR_TIME_ZONE = "UTC"


def shown(uid, rid=None):
    register = register_of(uid, rid)
    return register.shown_event() if register is not None else None


def weekly(title="lunch"):
    return calendar.create_event(title=title, start="2026-11-24T12:00:00", end="2026-11-24T13:00:00", tz="UTC",
                                 rrule="FREQ=WEEKLY;BYDAY=TU")


def test_the_occurrence_form_offers_this_and_following_events(owner_client):
    made = weekly()
    page = owner_client.get(f"/event/?uid={made.uid}&rid=2026-12-08T12:00:00").content.decode()
    assert 'value="following"' in page and "This and following events" in page


def test_saving_this_and_following_splits_the_series_and_both_histories_say_so(owner_client):
    made = weekly()
    response = owner_client.post(f"/event/?uid={made.uid}&rid=2026-12-08T12:00:00",
                                 edit_data(scope="following", title="team lunch", start_time="12:30", end_time="13:30"))
    assert response.status_code == 302
    old = shown(made.uid)
    assert "UNTIL=20261208T115959" in old["rrule"]
    new_uid = old["split_into"]["uid"]
    assert shown(new_uid)["title"] == "team lunch" and shown(new_uid)["start"] == "2026-12-08T12:30:00"
    old_page = owner_client.get(f"/event/?uid={made.uid}").content.decode()
    assert "ended it before Tue 8 Dec 2026, 12:00 (split)" in old_page and new_uid.split("@")[0] in old_page
    new_page = owner_client.get(f"/event/?uid={new_uid}").content.decode()
    assert "split it from" in new_page and "the earlier series" in new_page


def test_this_and_following_with_a_new_repeat_uses_it_for_the_rest(owner_client):
    made = weekly()
    owner_client.post(f"/event/?uid={made.uid}&rid=2026-12-08T12:00:00",
                      edit_data(scope="following", repeat="DAILY", byday=[]))
    new_uid = shown(made.uid)["split_into"]["uid"]
    assert shown(new_uid)["rrule"] == "FREQ=DAILY"


def test_a_drag_can_move_this_and_the_following_occurrences(owner_client):
    made = weekly()
    response = owner_client.post("/event/shift/", {"uid": made.uid, "rid": "2026-12-08T12:00:00", "scope": "following",
                                                   "start_by": 60, "end_by": 60})
    answer = json.loads(response.content)
    assert answer["ok"] and answer["start"] == "2026-12-08T13:00:00" and answer["undo"]["split"]
    assert "UNTIL=20261208T115959" in shown(made.uid)["rrule"]


def test_a_drag_of_this_and_following_from_the_first_occurrence_moves_the_series_and_can_be_undone(owner_client):
    made = weekly()
    answer = json.loads(owner_client.post("/event/shift/", {"uid": made.uid, "rid": "2026-11-24T12:00:00",
                                                            "scope": "following", "start_by": 30, "end_by": 30}).content)
    assert answer["ok"] and answer["undo"]["uid"] == made.uid
    assert shown(made.uid)["start"] == "2026-11-24T12:30:00"


def test_a_split_at_a_time_that_is_no_occurrence_is_one_line(owner_client):
    made = weekly()
    response = owner_client.post("/event/shift/", {"uid": made.uid, "rid": "2026-12-09T12:00:00", "scope": "following",
                                                   "start_by": 60, "end_by": 60})
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "2026-12-09T12:00:00 is not an occurrence of “lunch”"


def test_the_series_form_offers_to_rename_the_changed_occurrences_and_does_by_default(owner_client):
    made = weekly()
    calendar.edit_occurrence(made.uid, "2026-12-08T12:00:00", start="2026-12-08T14:00:00", end="2026-12-08T15:00:00")
    calendar.edit_occurrence(made.uid, "2026-12-15T12:00:00", title="lunch with Ana")
    page = owner_client.get(f"/event/?uid={made.uid}").content.decode()
    assert "Also rename 2 changed occurrences" in page and 'id="id_rename_changed" checked' in page
    owner_client.post(f"/event/?uid={made.uid}", edit_data(title="brunch", start_date="2026-11-24",
                                                          end_date="2026-11-24", rename_changed="on"))
    assert shown(made.uid)["title"] == "brunch"
    assert shown(made.uid, "2026-12-08T12:00:00")["title"] == "brunch"
    assert shown(made.uid, "2026-12-08T12:00:00")["start"] == "2026-12-08T14:00:00"
    assert shown(made.uid, "2026-12-15T12:00:00")["title"] == "brunch"


def test_unticked_the_changed_occurrences_keep_their_titles(owner_client):
    made = weekly()
    calendar.edit_occurrence(made.uid, "2026-12-08T12:00:00", location="café")
    owner_client.post(f"/event/?uid={made.uid}", edit_data(title="brunch", start_date="2026-11-24", end_date="2026-11-24"))
    assert shown(made.uid)["title"] == "brunch"
    assert shown(made.uid, "2026-12-08T12:00:00")["title"] == "lunch"


def test_a_series_without_changed_occurrences_does_not_ask(owner_client):
    made = weekly()
    assert "rename_changed" not in owner_client.get(f"/event/?uid={made.uid}").content.decode()



def undo_offer(page: str) -> dict:
    """The hidden fields of the page's Undo form."""
    form = re.search(r'<form class="undo-offer".*?</form>', page, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def test_a_split_from_the_form_is_undone_from_its_message(owner_client):
    made = weekly()
    calendar.edit_occurrence(made.uid, "2026-12-15T12:00:00", location="café")
    owner_client.post(f"/event/?uid={made.uid}&rid=2026-12-08T12:00:00", edit_data(scope="following", title="brunch"))
    new_uid = shown(made.uid)["split_into"]["uid"]
    page = owner_client.get("/").content.decode()
    assert "a series of their own" in page
    offer = undo_offer(page)
    assert offer["split"] == new_uid and offer["also"].startswith("2026-12-15T12:00:00=")
    response = owner_client.post("/undo/", offer, HTTP_ACCEPT="application/json")
    assert json.loads(response.content) == {"ok": True}
    assert shown(made.uid)["rrule"] == "FREQ=WEEKLY;BYDAY=TU"
    assert shown(made.uid, "2026-12-15T12:00:00")["location"] == "café"
    assert register_of(new_uid).deleted


def test_a_split_is_not_undone_once_the_new_series_was_edited(owner_client):
    made = weekly()
    answer = json.loads(owner_client.post("/event/shift/", {"uid": made.uid, "rid": "2026-12-08T12:00:00",
                                                            "scope": "following", "start_by": 60, "end_by": 60}).content)
    calendar.edit_series(answer["undo"]["split"], location="upstairs")
    response = owner_client.post("/undo/", answer["undo"], HTTP_ACCEPT="application/json")
    assert json.loads(response.content)["error"] == "Could not undo: the new series was changed since, so undoing would lose that."
    assert "UNTIL" in shown(made.uid)["rrule"]


def test_an_occurrence_form_without_a_scope_changes_only_that_occurrence(owner_client):
    made = weekly()
    owner_client.post(f"/event/?uid={made.uid}&rid=2026-12-08T12:00:00", edit_data(title="just once"))
    assert shown(made.uid, "2026-12-08T12:00:00")["title"] == "just once" and shown(made.uid)["title"] == "lunch"
