"""The owner's pages with the Django test client: first run, login, every view.

Today is fixed (CALENDAR_NOW, a Sunday) and so is the zone, so what the
pages show does not depend on the day or the machine the tests run on.
"""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from events import calendar

pytestmark = pytest.mark.django_db(databases=["default", "index"])

PASSWORD = "correct horse battery"
NOW = "2026-11-29T10:00"
TODAY = date(2026, 11, 29)


@pytest.fixture(autouse=True)
def fixed_now(settings):
    settings.CALENDAR_NOW = NOW
    settings.CALENDAR_TIME_ZONE = "UTC"


def make_weekly(title="lunch", start="2026-11-24T12:00:00"):
    return calendar.create_event(
        {"title": title, "start": start, "end": start[:11] + "13:00:00", "tz": "UTC", "rrule": "FREQ=WEEKLY;BYDAY=TU"}
    )


def test_it_sends_the_first_visit_to_setup(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/setup/"
    assert client.get("/login/")["Location"] == "/setup/"


def test_it_sets_the_password_once(client):
    response = client.post("/setup/", {"password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert get_user_model().objects.count() == 1
    assert client.get("/").status_code == 200  # logged in by setup
    assert client.get("/setup/").status_code == 404
    other = Client()
    assert other.post("/setup/", {"password": "x" * 10, "password2": "x" * 10}).status_code == 404
    assert get_user_model().objects.count() == 1


def test_it_refuses_short_or_differing_passwords(client):
    assert client.post("/setup/", {"password": "short", "password2": "short"}).status_code == 400
    assert client.post("/setup/", {"password": PASSWORD, "password2": PASSWORD + "x"}).status_code == 400
    assert not get_user_model().objects.exists()


def test_it_logs_in_and_out(client, owner):
    assert client.get("/week/")["Location"].startswith("/login/?next=/week/")
    assert client.post("/login/", {"password": "wrong"}).status_code == 400
    response = client.post("/login/", {"password": PASSWORD, "next": "/week/"})
    assert response["Location"] == "/week/"
    assert client.get("/week/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/week/").status_code == 302


def test_it_does_not_redirect_to_other_sites_after_login(client, owner):
    response = client.post("/login/", {"password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


OWNER_PAGES = [
    "/", "/week/", "/agenda/", "/conflicts/", "/settings/", "/peers/", "/calendar/",
    "/quick/preview/?text=lunch+at+noon", "/calendar.ics", "/?fragment=1", "/peers/?fragment=1",
]


@pytest.mark.parametrize("url", OWNER_PAGES)
def test_it_requires_login(client, owner, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", OWNER_PAGES)
def test_it_renders_every_page_for_the_owner(owner_client, url):
    assert owner_client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/quick/add/", "/event/delete/", "/event/cancel/", "/conflicts/resolve/",
                                 "/peers/invite/", "/peers/pair/", "/peers/unpair/", "/peers/block/",
                                 "/peers/request/", "/calendar/feed/", "/logout/"])
def test_it_requires_login_to_write(client, owner, url):
    response = client.post(url, {"text": "lunch tomorrow at noon"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_invite_landing_page_needs_no_login(client, owner):
    assert client.get("/pair/abcdefghijklmnopqrstuvwx/").status_code == 200


def test_the_month_shows_every_tuesday(owner_client):
    make_weekly()
    page, day_list = owner_client.get("/?d=2026-12-01").content.decode().split('class="day-list"')
    assert page.count(">lunch<") == 5  # Tuesdays 1, 8, 15, 22, 29 December
    assert day_list.count(">lunch<") == 1  # the day asked for, listed under the grid
    assert "↻" in page
    today, today_list = owner_client.get("/").content.decode().split('class="day-list"')
    assert '<div class="day today empty" role="gridcell" aria-selected="true" data-day="2026-11-29">' in today
    assert today.count(">lunch<") == 2  # Tuesday 24 November and, among December's days, the 1st
    assert "Nothing planned" in today_list


def test_the_week_and_agenda_show_the_event(owner_client):
    make_weekly()
    week = owner_client.get("/week/?d=2026-12-01").content.decode()
    assert ">lunch<" in week and "12:00" in week
    agenda = owner_client.get("/agenda/?d=2026-12-01").content.decode()
    assert agenda.count(">lunch<") == 5


def test_the_fragment_is_only_the_view(owner_client):
    make_weekly()
    fragment = owner_client.get("/?d=2026-12-01&fragment=1").content.decode()
    assert fragment.lstrip().startswith('<section id="view"')
    assert "<html" not in fragment and ">lunch<" in fragment


def test_navigation_moves_by_month(owner_client):
    page = owner_client.get("/?d=2026-12-15").content.decode()
    assert "December 2026" in page and "?d=2026-11-01" in page and "?d=2027-01-01" in page


def test_the_time_zone_setting_moves_times(owner_client, settings):
    settings.CALENDAR_TIME_ZONE = ""  # the owner's choice, not the environment's
    calendar.create_event({"title": "call", "start": "2026-12-02T12:00:00", "end": "2026-12-02T13:00:00", "tz": "UTC"})
    assert owner_client.post("/settings/", {"tz": "Nowhere/Land"}).status_code == 400
    assert owner_client.post("/settings/", {"tz": "Europe/Bucharest"}).status_code == 302
    assert "14:00" in owner_client.get("/week/?d=2026-12-02").content.decode()


def test_pages_show_a_colour_per_author(owner_client):
    make_weekly()
    page = owner_client.get("/?d=2026-12-01").content.decode()
    assert "--h:" in page and "You (" in page


def test_an_empty_month_renders(owner_client):
    page = owner_client.get("/?d=2028-01-01").content.decode()
    assert "January 2028" in page and ">lunch<" not in page


@pytest.mark.parametrize(("url", "title"), [
    ("/?d=0001-01-01", "November 2026"), ("/?d=9999-12-01", "November 2026"), ("/?d=garbage", "November 2026"),
    ("/?d=2026-13-40", "November 2026"), ("/week/?d=9999-12-31", "23 – 29 November 2026"),
    ("/agenda/?d=0001-01-01", "29 Nov – 28 Dec 2026"),
])
def test_days_a_calendar_cannot_show_fall_back_to_today(owner_client, url, title):
    response = owner_client.get(url)
    assert response.status_code == 200
    assert f'<h1 class="view-title" id="view-title">{title}</h1>' in response.content.decode()


def test_the_day_list_under_the_month_stops_at_twenty_with_a_link_to_the_day(owner_client):
    for hour in range(24):
        calendar.create_event({"title": f"call {hour}", "start": f"2026-12-02T{hour:02d}:00:00",
                               "end": f"2026-12-02T{hour:02d}:30:00", "tz": "UTC"})
    day_list = owner_client.get("/?d=2026-12-02").content.decode().split('class="day-list"')[1]
    assert day_list.count('class="chip') == 20
    assert '<a class="more" href="/day/?d=2026-12-02">+4 more that day</a>' in day_list
