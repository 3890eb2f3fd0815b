"""CalDAV REPORTs: calendar-query with time ranges, calendar-multiget, sync-collection."""

import pytest

from dav import passwords
from dav.changes import default_name
from devtools.dav_client import C, D, DavClient, personal, responses, sync_token
from events import calendar, throttle

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def personal_calendar(db):
    """A new instance has its Personal calendar (events.setup makes it on first start)."""
    from events.calendars import own

    own.ensure_own_entries()

NS = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"'


@pytest.fixture
def phone(owner):
    throttle.reset()
    passwords.forget()
    return DavClient(passwords.create("Phone").password)


@pytest.fixture
def events():
    weekly = calendar.create_event(
        title="yoga",
        start="2026-10-06T18:00:00",
        end="2026-10-06T19:00:00",
        tz="Europe/Berlin",
        rrule="FREQ=WEEKLY",
    )
    once = calendar.create_event(
        title="dentist", start="2026-11-05T15:00:00", end="2026-11-05T16:00:00", tz="Europe/Berlin"
    )
    old = calendar.create_event(title="old", start="2025-01-05", end="2025-01-06", all_day=True)
    return {"weekly": weekly.uid, "once": once.uid, "old": old.uid}


def href(uid):
    return personal() + default_name(uid)


def time_range(start, end, props="<d:getetag/>"):
    return (
        f'<c:calendar-query {NS}><d:prop>{props}</d:prop><c:filter><c:comp-filter name="VCALENDAR">'
        f'<c:comp-filter name="VEVENT"><c:time-range start="{start}" end="{end}"/></c:comp-filter>'
        "</c:comp-filter></c:filter></c:calendar-query>"
    )


def test_a_time_range_finds_series_and_single_events_by_their_occurrences(phone, events):
    found = responses(phone.report(personal(), time_range("20261101T000000Z", "20261201T000000Z")))
    assert set(found) == {href(events["weekly"]), href(events["once"])}
    found = responses(phone.report(personal(), time_range("20250101T000000Z", "20250201T000000Z")))
    assert set(found) == {href(events["old"])}


def test_a_series_whose_occurrences_in_range_are_all_cancelled_is_not_found(phone, events):
    calendar.cancel_occurrence(events["weekly"], "2026-11-10T18:00:00")
    found = responses(phone.report(personal(), time_range("20261110T000000Z", "20261111T000000Z")))
    assert found == {}


def test_query_without_a_range_gives_every_event_and_todos_give_none(phone, events):
    everything = f'<c:calendar-query {NS}><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter></c:filter></c:calendar-query>'
    assert len(responses(phone.report(personal(), everything))) == 3
    todos = everything.replace('name="VEVENT"', 'name="VTODO"')
    assert responses(phone.report(personal(), todos)) == {}


def test_a_uid_text_match_finds_one_event_with_its_data(phone, events):
    body = (
        f'<c:calendar-query {NS}><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR">'
        f'<c:comp-filter name="VEVENT"><c:prop-filter name="UID"><c:text-match collation="i;octet">{events["once"]}'
        "</c:text-match></c:prop-filter></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
    )
    [(_, item)] = responses(phone.report(personal(), body)).items()
    assert "SUMMARY:dentist" in item["props"][f"{C}calendar-data"].text


def test_multiget_returns_what_exists_and_404_for_the_rest(phone, events):
    body = (
        f"<c:calendar-multiget {NS}><d:prop><d:getetag/><c:calendar-data/></d:prop>"
        f"<d:href>{href(events['once'])}</d:href><d:href>{personal()}missing.ics</d:href></c:calendar-multiget>"
    )
    found = responses(phone.report(personal(), body))
    assert "BEGIN:VCALENDAR" in found[href(events["once"])]["props"][f"{C}calendar-data"].text
    assert "404" in found[personal() + "missing.ics"]["status"]


def sync(phone, token=""):
    body = f"<d:sync-collection {NS}><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
    return phone.report(personal(), body)


def test_sync_collection_reports_only_what_changed_since_the_token(phone, events):
    first = sync(phone)
    assert len(responses(first)) == 3
    token = sync_token(first)
    nothing = sync(phone, token)
    assert responses(nothing) == {} and sync_token(nothing) == token
    calendar.edit_series(events["once"], title="dentist (moved)")
    calendar.delete_event(events["old"])
    changed = sync(phone, token)
    found = responses(changed)
    assert set(found) == {href(events["once"]), href(events["old"])}
    assert (
        f"{D}getetag" in found[href(events["once"])]["props"]
        and "404" in found[href(events["old"])]["status"]
    )
    assert sync_token(changed) != token
    assert responses(sync(phone, sync_token(changed))) == {}


def test_an_unknown_token_gets_valid_sync_token(phone, events):
    for token in ("http://elsewhere/sync/1", sync_token(sync(phone)) + "999"):
        response = sync(phone, token)
        assert response.status_code == 403 and b"valid-sync-token" in response.content


def test_sync_with_a_limit_pages_through_the_changes(phone, events):
    body = f"<d:sync-collection {NS}><d:sync-token/><d:sync-level>1</d:sync-level><d:limit><d:nresults>2</d:nresults></d:limit><d:prop><d:getetag/></d:prop></d:sync-collection>"
    first = phone.report(personal(), body)
    found = responses(first)
    assert "507" in found[personal()]["status"] and len(found) == 3
    rest = responses(sync(phone, sync_token(first)))
    assert len(rest) == 1


def test_a_bad_filter_is_a_clear_403(phone, events):
    body = f'<c:calendar-query {NS}><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VEVENT"/></c:filter></c:calendar-query>'
    response = phone.report(personal(), body)
    assert response.status_code == 403 and b"valid-filter" in response.content
    assert phone.report(personal(), "<not-xml").status_code == 400
    entity = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><d:sync-collection xmlns:d="DAV:">&a;</d:sync-collection>'
    assert phone.report(personal(), entity).status_code == 400


def test_text_match_is_case_insensitive_unless_octet_is_asked(phone, events):
    def search(text, collation):
        body = (
            f'<c:calendar-query {NS}><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR">'
            f'<c:comp-filter name="VEVENT"><c:prop-filter name="SUMMARY"><c:text-match collation="{collation}">{text}'
            "</c:text-match></c:prop-filter></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
        )
        return set(responses(phone.report(personal(), body)))

    assert search("DENT", "i;ascii-casemap") == {href(events["once"])}
    assert search("DENT", "i;octet") == set() and search("dent", "i;octet") == {
        href(events["once"])
    }


def test_calendars_cannot_be_made_over_dav(phone):
    assert phone.request("MKCALENDAR", "/dav/calendars/new/").status_code == 403


def test_an_event_from_a_peer_changes_the_ctag_and_shows_in_the_next_sync(phone, events):
    """A friend who edits our Personal calendar adds an event: it arrives sealed."""
    from devtools.calendars import Remote, receive
    from events import log
    from events.calendars import manage, state

    token = sync_token(sync(phone))
    bob = Remote("bob")
    bob.publish()
    receive(*bob.entries)
    mine = next(r for r in state.visible() if r.owner == log.my_author_id())
    manage.share(mine.ref, bob.id, "editor")
    mine = state.get(mine.ref)
    keys = state.epoch_keys(mine, mine.epoch)  # what bob opens from the box sealed to him
    owner, _, calendar_id = mine.ref.partition(".")
    [outcome] = receive(bob.put(owner, calendar_id, "from-peer@x", "peer party", "2026-11-21T20:00:00", keys=keys))
    assert outcome.result == "stored"
    changed = sync(phone, token)
    assert set(responses(changed)) == {href("from-peer@x")} and sync_token(changed) != token
    ctag = responses(phone.propfind(personal(), "<d:prop><cs:getctag/></d:prop>"))[personal()]["props"]
    assert ctag["{http://calendarserver.org/ns/}getctag"].text == sync_token(changed)


def test_a_token_from_before_the_table_was_emptied_is_refused(phone, events):
    from dav.models import DavResource, DavState

    token = sync_token(sync(phone))
    DavResource.objects.all().delete()
    DavState.objects.all().delete()
    response = sync(phone, token)
    assert response.status_code == 403 and b"valid-sync-token" in response.content
    assert len(responses(sync(phone))) == 3


def test_a_rebuilt_index_changes_nothing_a_device_sees(phone, events):
    from events.index.fold import rebuild

    token = sync_token(sync(phone))
    rebuild()
    again = sync(phone, token)
    assert responses(again) == {} and sync_token(again) == token
    calendar.delete_event(events["old"])
    assert set(responses(sync(phone, token))) == {href(events["old"])}


def test_free_busy_gives_the_busy_periods_of_the_range(phone, events):
    from icalendar import Calendar

    body = f'<c:free-busy-query {NS}><c:time-range start="20261110T000000Z" end="20261111T000000Z"/></c:free-busy-query>'
    response = phone.report(personal(), body)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    [vfreebusy] = Calendar.from_ical(response.content).walk("VFREEBUSY")
    lines = vfreebusy.to_ical().decode().replace("\r\n ", "").splitlines()
    assert [line for line in lines if line.startswith("FREEBUSY")] == [
        "FREEBUSY;VALUE=PERIOD:20261110T170000Z/20261110T180000Z"
    ]


def test_expand_gives_each_occurrence_in_utc_with_its_recurrence_id(phone, events):
    from icalendar import Calendar

    calendar.edit_occurrence(
        events["weekly"],
        "2026-11-17T18:00:00",
        title="yoga (late)",
        start="2026-11-17T20:00:00",
        end="2026-11-17T21:00:00",
    )
    data = '<c:calendar-data><c:expand start="20261110T000000Z" end="20261120T000000Z"/></c:calendar-data>'
    found = responses(
        phone.report(
            personal(), time_range("20261110T000000Z", "20261120T000000Z", f"<d:getetag/>{data}")
        )
    )
    text = found[href(events["weekly"])]["props"][f"{C}calendar-data"].text
    vevents = Calendar.from_ical(text).walk("VEVENT")
    assert [
        (
            str(v["SUMMARY"]),
            v.decoded("DTSTART").isoformat(),
            v.decoded("RECURRENCE-ID").isoformat(),
        )
        for v in vevents
    ] == [
        ("yoga", "2026-11-10T17:00:00+00:00", "2026-11-10T17:00:00+00:00"),
        ("yoga (late)", "2026-11-17T19:00:00+00:00", "2026-11-17T17:00:00+00:00"),
    ]
    assert all("RRULE" not in v for v in vevents) and "VTIMEZONE" not in text


def test_an_event_whose_rows_leave_the_index_is_reported_gone(phone, events):
    """As when its calendar is deleted: its rows go and no new ones come."""
    from events.models import IndexCursor, IndexKey
    from events.routers import INDEX_DB

    token = sync_token(sync(phone))
    IndexKey.objects.using(INDEX_DB).filter(uid=events["once"]).delete()
    IndexCursor.objects.using(INDEX_DB).update(version="after-a-refold")
    found = responses(sync(phone, token))
    assert set(found) == {href(events["once"])} and "404" in found[href(events["once"])]["status"]
