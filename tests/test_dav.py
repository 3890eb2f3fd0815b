"""CalDAV: discovery, app-password login, PROPFIND and GET."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from icalendar import Calendar

from dav import passwords
from dav.models import AppPassword
from devtools.dav_client import C, D, DavClient, personal, responses
from events import calendar, throttle

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def personal_calendar(db):
    """A new instance has its Personal calendar (events.setup makes it on first start)."""
    from events.calendars import own

    own.ensure_own_entries()

HOME = "/dav/calendars/"


@pytest.fixture(autouse=True)
def fresh_throttle():
    throttle.reset()
    passwords.forget()
    yield
    throttle.reset()


@pytest.fixture
def phone(owner):
    return DavClient(passwords.create("Phone").password)


@pytest.fixture
def lunch():
    return calendar.create_event(
        title="lunch",
        start="2026-11-02T12:00:00",
        end="2026-11-02T13:00:00",
        tz="Europe/Bucharest",
        rrule="FREQ=WEEKLY",
    )


def test_well_known_leads_to_the_service(client):
    response = client.get("/.well-known/caldav")
    assert response.status_code == 301 and response["Location"] == "/dav/"
    assert client.generic("PROPFIND", "/.well-known/caldav").status_code == 301


def test_the_principal_names_the_calendar_home(phone):
    response = phone.propfind("/dav/", "<d:prop><d:current-user-principal/></d:prop>")
    assert response.status_code == 207
    [root] = responses(response).values()
    principal = root["props"][f"{D}current-user-principal"].findtext(f"{D}href")
    assert principal == "/dav/principal/"
    found = responses(
        phone.propfind(
            principal, "<d:prop><c:calendar-home-set/><d:current-user-principal/></d:prop>"
        )
    )
    assert found[principal]["props"][f"{C}calendar-home-set"].findtext(f"{D}href") == HOME


def test_the_home_lists_the_personal_calendar_with_its_properties(phone):
    props = (
        "<d:prop><d:displayname/><d:resourcetype/><ical:calendar-color/><c:supported-calendar-component-set/>"
        "<cs:getctag/><d:sync-token/><d:current-user-privilege-set/></d:prop>"
    )
    found = responses(phone.propfind(HOME, props, depth="1"))
    assert set(found) == {HOME, personal()}
    props = found[personal()]["props"]
    assert props[f"{D}displayname"].text == "Personal"
    assert props[f"{D}resourcetype"].find(f"{C}calendar") is not None
    assert props["{http://apple.com/ns/ical/}calendar-color"].text.startswith("#")
    assert [c.get("name") for c in props[f"{C}supported-calendar-component-set"]] == ["VEVENT"]
    assert (
        props["{http://calendarserver.org/ns/}getctag"].text == props[f"{D}sync-token"].text
    )
    privileges = {p[0].tag for p in props[f"{D}current-user-privilege-set"]}
    assert {f"{D}read", f"{D}write", f"{D}write-content"} <= privileges


def test_depth_infinity_is_refused_politely(phone):
    response = phone.propfind(HOME, depth="infinity")
    assert response.status_code == 403 and b"propfind-finite-depth" in response.content


def test_a_listed_event_is_fetched_with_its_etag(phone, lunch):
    found = responses(phone.propfind(personal(), "<d:prop><d:getetag/></d:prop>", depth="1"))
    [href] = [h for h in found if h != personal()]
    etag = found[href]["props"][f"{D}getetag"].text
    response = phone.get(href)
    assert response.status_code == 200 and response["ETag"] == etag
    assert response["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == lunch.uid and str(event["SUMMARY"]) == "lunch"
    assert phone.get(href, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert phone.get(personal() + "nothing.ics").status_code == 404


def test_an_edit_on_the_web_page_changes_the_etag_and_ctag_at_once(phone, lunch):
    def state():
        found = responses(
            phone.propfind(personal(), "<d:prop><d:getetag/><cs:getctag/></d:prop>", depth="1")
        )
        ctag = found[personal()]["props"]["{http://calendarserver.org/ns/}getctag"].text
        return ctag, {h: v["props"][f"{D}getetag"].text for h, v in found.items() if h != personal()}

    before = state()
    calendar.edit_series(lunch.uid, title="long lunch")
    after = state()
    assert after[0] != before[0] and after[1] != before[1] and after[1].keys() == before[1].keys()


def test_no_credentials_get_a_basic_challenge(client, owner):
    response = client.generic("PROPFIND", "/dav/", HTTP_DEPTH="0")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic ")


@pytest.mark.parametrize(
    "user, password", [("owner", "wrong"), ("someone", "RIGHT"), ("owner", "correct horse battery")]
)
def test_wrong_credentials_get_the_same_401(owner, user, password):
    right = passwords.create("Laptop").password
    response = DavClient(right if password == "RIGHT" else password, user=user).propfind("/dav/")
    assert response.status_code == 401 and response.content.startswith(
        b"Log in with the user name and an app password"
    )


def test_the_web_session_does_not_open_dav(owner_client):
    assert owner_client.generic("PROPFIND", "/dav/", HTTP_DEPTH="0").status_code == 401


def test_repeated_failures_are_throttled(owner):
    wrong = DavClient("guess")
    statuses = [wrong.propfind("/dav/").status_code for _ in range(throttle.ADDRESS_LIMIT + 1)]
    assert statuses[:-1] == [401] * throttle.ADDRESS_LIMIT and statuses[-1] == 429
    right = DavClient(passwords.create("Phone").password)
    response = right.propfind("/dav/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_a_revoked_password_stops_at_once(phone):
    assert phone.propfind("/dav/").status_code == 207
    passwords.revoke("Phone")
    assert phone.propfind("/dav/").status_code == 401


def test_passwords_are_stored_hashed_and_named_once(owner):
    made = passwords.create("Phone")
    row = AppPassword.objects.get(name="Phone")
    assert made.password not in row.password and row.password.startswith(
        "md5$"
    )  # the tests' fast hasher
    with pytest.raises(passwords.PasswordError, match="already an app password named"):
        passwords.create(" Phone ")


def test_the_command_creates_lists_and_revokes(owner, capsys):
    call_command("app_password", "--create", "Phone", "--json")
    made = json.loads(capsys.readouterr().out)
    assert set(made) == {"name", "password", "username", "url"} and made["url"].endswith("/dav/")
    assert made["username"] == "owner"
    assert DavClient(made["password"]).propfind("/dav/").status_code == 207
    call_command("app_password", "--list")
    listed = capsys.readouterr().out
    assert "Phone" in listed and made["password"] not in listed
    call_command("app_password", "--revoke", "Phone")
    assert DavClient(made["password"]).propfind("/dav/").status_code == 401
    with pytest.raises(CommandError, match="no app password named"):
        call_command("app_password", "--revoke", "Phone")


def test_the_site_root_answers_a_calendar_app_and_still_shows_the_page(phone, owner, owner_client):
    found = responses(phone.propfind("/", "<d:prop><d:current-user-principal/></d:prop>"))
    assert (
        found["/dav/"]["props"][f"{D}current-user-principal"].findtext(f"{D}href")
        == "/dav/principal/"
    )
    assert owner_client.get("/").status_code == 200
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post("/").status_code == 403


def test_options_says_what_the_server_speaks_without_credentials(client):
    response = client.options("/dav/calendars/personal/")
    assert (
        response.status_code == 200
        and "calendar-access" in response["DAV"]
        and "REPORT" in response["Allow"]
    )


def test_the_command_says_what_is_missing_in_one_line(owner):
    with pytest.raises(
        CommandError, match="one of the arguments --create --list --revoke is required"
    ):
        call_command("app_password")
    with pytest.raises(CommandError, match="at most 100 characters"):
        call_command("app_password", "--create", "x" * 101)
