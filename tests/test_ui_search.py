"""Searching the events: the page, the index's search table, and bad input."""

from datetime import date

import pytest
from django.db import connections

from devtools.calendars import Remote, receive
from events import calendar, clock, log
from events.calendars import state
from events.index import fold
from events.index.query import query
from events.index.search import SearchError, search, words_of
from sync.models import Peer

pytestmark = pytest.mark.django_db(databases=["default", "index"])

NOW = "2026-12-10T12:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(settings):
    settings.CALENDAR_NOW = NOW


def add(title, start, **fields):
    return calendar.create_event({"title": title, "start": start, "tz": "UTC", **fields})


def _now():
    return clock.now("UTC")


def titles(text):
    found = search(text, now=_now(), tz="UTC")
    return [o.title for o in found.upcoming], [o.title for o in found.past]


def test_it_finds_words_in_titles_places_and_descriptions():
    add("Dentist", "2026-12-14T09:00:00")
    add("Lunch", "2026-12-15T12:00:00", location="Luigi's trattoria")
    add("Call", "2026-12-16T10:00:00", description="bring the dentist's invoice")
    assert titles("dentist") == (["Dentist", "Call"], [])
    assert titles("trattoria") == (["Lunch"], [])
    assert titles("LUI") == (["Lunch"], [])  # word beginnings, any case
    assert titles("lunch luigi") == (["Lunch"], [])  # every word
    assert titles("lunch dentist") == ([], [])


def test_past_matches_are_listed_latest_first():
    add("Yoga", "2026-11-02T18:00:00")
    add("Yoga", "2026-12-01T18:00:00")
    add("Yoga", "2026-12-20T18:00:00")
    found = search("yoga", now=_now(), tz="UTC")
    assert [o.start.date().isoformat() for o in found.upcoming] == ["2026-12-20"]
    assert [o.start.date().isoformat() for o in found.past] == ["2026-12-01", "2026-11-02"]


def test_a_recurring_event_shows_its_next_occurrence_not_a_cancelled_one():
    written = add("Standup", "2026-12-01T09:00:00", rrule="FREQ=DAILY")
    calendar.cancel_occurrence(written.uid, "2026-12-11T09:00:00")
    [occurrence] = search("standup", now=_now(), tz="UTC").upcoming
    assert occurrence.start.isoformat() == "2026-12-12T09:00:00+00:00" and occurrence.is_recurring


def test_a_finished_series_shows_its_last_occurrence():
    add("Course", "2026-10-01T09:00:00", rrule="FREQ=WEEKLY;COUNT=4")
    found = search("course", now=_now(), tz="UTC")
    assert found.upcoming == [] and [o.start.date().isoformat() for o in found.past] == ["2026-10-22"]


def test_deleted_and_edited_away_events_are_not_found():
    gone = add("Secret meeting", "2026-12-14T09:00:00")
    renamed = add("Old name", "2026-12-15T09:00:00")
    calendar.delete_event(gone.uid)
    calendar.edit_series(renamed.uid, title="New name")
    assert titles("secret") == ([], []) and titles("old") == ([], [])
    assert titles("new") == (["New name"], [])


def test_a_rebuilt_index_answers_the_same():
    add("Piano lesson", "2026-12-14T16:00:00", rrule="FREQ=WEEKLY")
    add("Piano tuner", "2026-11-14T16:00:00")
    before = titles("piano")
    fold.rebuild()
    if connections["index"].vendor == "sqlite":  # PostgreSQL searches the rows themselves: no table to fill
        with connections["index"].cursor() as cursor:  # filled by the rebuild itself, not by the next search
            cursor.execute("SELECT count(*) FROM index_search")
            assert cursor.fetchone() == (2,)
    assert titles("piano") == before == (["Piano lesson"], ["Piano tuner"])


def test_a_friends_busy_block_has_no_words_to_find(db):
    friend = Remote("bob")
    friend.publish()
    receive(*friend.entries)
    Peer.objects.create(author=friend.id, name="bob", state=Peer.PAIRED)
    mine = log.my_author_id()
    friend.calendar("0123456789abcdef0123456789abcdef", {mine: "busy"}, seal_to={mine: bytes.fromhex(state.my_public_key())})
    friend.put(friend.id, "0123456789abcdef0123456789abcdef", "u1", "therapy", "2026-12-14T09:00:00",
               keys=friend.epochs["0123456789abcdef0123456789abcdef"][0])
    receive(*friend.entries[1:])
    shown = query(date(2026, 12, 14), date(2026, 12, 15), "UTC").occurrences
    assert [(o.uid, o.busy) for o in shown] == [("u1", True)]
    assert titles("therapy") == ([], []) and titles("busy") == ([], [])


@pytest.mark.parametrize("text", ['"', "AND OR NOT", "title:x", "a* NEAR(b c)", "(((", "-x ^y", "'; DROP TABLE index_key; --"])
def test_query_syntax_characters_are_plain_words(text):
    add("Dentist", "2026-12-14T09:00:00")
    try:
        assert titles(text) == ([], [])
    except SearchError as e:
        assert str(e) == "Type a word to search for."


def test_bad_searches_say_what_is_wrong():
    with pytest.raises(SearchError, match="at most 200 characters"):
        words_of("x" * 201)
    with pytest.raises(SearchError, match="Type a word"):
        words_of("  ** ")


def test_the_page_lists_upcoming_and_past_matches(owner_client):
    add("Dentist", "2026-12-14T09:00:00", location="Main street 4")
    add("Dentist", "2026-11-14T09:00:00")
    page = owner_client.get("/search/", {"q": "dentist"}).content.decode()
    assert page.index("Upcoming") < page.index("Mon 14 December 2026") < page.index("Past") < page.index("Sat 14 November 2026")
    assert "Main street 4" in page and 'value="dentist"' in page


def test_the_page_answers_bad_input_with_a_message(owner_client):
    for text in ['"unbalanced', "x" * 5000, "***"]:
        response = owner_client.get("/search/", {"q": text})
        assert response.status_code in (200, 400)
        page = response.content.decode()
        assert "No event has" in page or 'role="alert"' in page
    response = owner_client.get("/search/", {"q": "x" * 5000})
    assert response.status_code == 400 and "Search for at most 200 characters." in response.content.decode()
    assert "No event has “nothing” in its title" in owner_client.get("/search/", {"q": "nothing"}).content.decode()
