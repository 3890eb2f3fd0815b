"""CalDAV sees calendars (docs/PROTOCOL.md section 6): one collection per
calendar, privileges by role, events written as the calendar wants them."""

import pytest

from dav import passwords
from devtools.calendars import Remote, receive
from devtools.dav_client import D, DavClient, personal, responses
from events import log, throttle
from events.calendars import own, state

pytestmark = pytest.mark.django_db(databases=["default", "index"])

CAL = "0123456789abcdef0123456789abcdef"
HOME = "/dav/calendars/"
EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
         "DTSTAMP:20261101T090000Z\r\nDTSTART:20261102T093000Z\r\nDTEND:20261102T103000Z\r\n"
         "SUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture
def phone(owner):
    throttle.reset()
    passwords.forget()
    own.ensure_own_entries()
    return DavClient(passwords.create("Phone").password)


@pytest.fixture
def friends_busy_calendar():
    """Alice shares a calendar with us as free/busy only."""
    me = log.my_author_id()
    alice = Remote("alice")
    alice.publish()
    alice.calendar(CAL, {me: "busy"}, seal_to={me: bytes.fromhex(state.my_public_key())}, name="Alice's")
    alice.put(alice.id, CAL, "a1", "therapy", "2026-11-03T09:00:00", keys=alice.epochs[CAL][0])
    receive(*alice.entries)
    return f"{HOME}{CAL}/"


def privileges(found, path):
    return {p[0].tag for p in found[path]["props"][f"{D}current-user-privilege-set"]}


def test_each_calendar_is_a_collection_with_the_privileges_of_its_role(phone, friends_busy_calendar):
    work = own.create("Work")
    found = responses(phone.propfind(HOME, "<d:prop><d:displayname/><d:current-user-privilege-set/></d:prop>", depth="1"))
    work_path = f"{HOME}{work.partition('.')[2]}/"
    assert {personal(), work_path, friends_busy_calendar} <= set(found)
    assert found[work_path]["props"][f"{D}displayname"].text == "Work"
    assert f"{D}write" in privileges(found, personal())
    assert f"{D}write" not in privileges(found, friends_busy_calendar) and f"{D}read" in privileges(found, friends_busy_calendar)


def test_a_busy_block_has_no_details_and_cannot_be_changed(phone, friends_busy_calendar):
    found = responses(phone.propfind(friends_busy_calendar, "<d:prop><d:getetag/></d:prop>", depth="1"))
    [href] = [h for h in found if h != friends_busy_calendar]
    body = phone.get(href).content.decode()
    assert "SUMMARY:Busy" in body and "therapy" not in body
    response = phone.put(friends_busy_calendar + "mine.ics", EVENT.format(uid="mine@x", title="sneaky"))
    assert response.status_code == 403
    assert not any(b"sneaky" in e.raw for e in log.all_entries())


def test_an_event_put_in_personal_is_sealed_in_the_log(phone):
    response = phone.put(personal() + "dentist.ics", EVENT.format(uid="dentist@phone", title="dentist appointment"),
                         HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 201
    assert not any(b"dentist appointment" in e.raw for e in log.all_entries())
    assert "SUMMARY:dentist appointment" in phone.get(personal() + "dentist.ics").content.decode()
