"""iCalendar over HTTP: the owner's export, one event, upload, and the secret feed."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from icalendar import Calendar

from events import calendar, log
from events.ics import export, importing
from events.ics.feed import active_feed, is_valid_token, revoke_feed, rotate_feed, url_for
from events.models import CalendarFeed

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture
def lunch():
    return calendar.create_event(
        title="lunch", start="2025-05-02T12:00:00", end="2025-05-02T13:00:00", tz="Europe/Bucharest", rrule="FREQ=WEEKLY"
    )


def test_calendar_ics_needs_login(client, lunch):
    response = client.get("/calendar.ics")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_owner_downloads_the_calendar(owner_client, lunch):
    response = owner_client.get("/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="calendar.ics"'
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == lunch.uid


def test_one_event_alone(owner_client, lunch):
    response = owner_client.get(f"/events/{lunch.uid}.ics")
    assert response.status_code == 200 and response.content.count(b"BEGIN:VEVENT") == 1
    assert owner_client.get("/events/nothing@example.com.ics").status_code == 404
    calendar.delete_event(lunch.uid)
    assert owner_client.get(f"/events/{lunch.uid}.ics").status_code == 404
    owner_client.logout()
    assert owner_client.get(f"/events/{lunch.uid}.ics").status_code == 302


def test_the_feed_needs_no_login_only_its_secret_url(client, lunch):
    feed = rotate_feed()
    path = feed.url.removeprefix("http://127.0.0.1:8000")
    assert path.startswith("/feed/") and path.endswith(".ics") and len(feed.token) >= 43  # 256 bits
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Disposition" not in response
    assert response.content == export.export_calendar()
    assert response["ETag"] and response["Last-Modified"]


def test_the_token_is_stored_only_as_its_hash():
    feed = rotate_feed()
    [row] = CalendarFeed.objects.all()
    assert feed.token not in row.token_hash and len(row.token_hash) == 64


def test_wrong_revoked_and_rotated_tokens_get_404(client, lunch):
    first = rotate_feed()
    path = lambda f: f"/feed/{f.token}.ics"  # noqa: E731
    etag = client.get(path(first))["ETag"]
    assert client.get("/feed/" + "A" * 43 + ".ics").status_code == 404
    assert client.get("/feed/" + "A" * 43 + ".ics", HTTP_IF_NONE_MATCH=etag).status_code == 404
    second = rotate_feed()
    assert client.get(path(first)).status_code == 404
    assert client.get(path(second)).status_code == 200
    assert revoke_feed() == 1
    assert client.get(path(second)).status_code == 404
    assert active_feed() is None


def test_conditional_requests_get_304_until_the_log_changes(client, lunch):
    feed = rotate_feed()
    path = f"/feed/{feed.token}.ics"
    first = client.get(path)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    calendar.edit_series(lunch.uid, title="lunch with Ana")
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert b"SUMMARY:lunch with Ana" in changed.content
    assert client.get(path, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


@override_settings(PUBLIC_URL="https://cal.example.org")
def test_the_feed_url_command_prints_the_url_once(capsys):
    call_command("feed_url")
    url, webcal = capsys.readouterr().out.splitlines()[:2]
    assert url.startswith("https://cal.example.org/feed/") and url.endswith(".ics")
    assert webcal == "webcals://" + url.removeprefix("https://")
    assert is_valid_token(url.rsplit("/", 1)[1].removesuffix(".ics"))
    with pytest.raises(CommandError, match="cannot be shown again"):
        call_command("feed_url")
    call_command("feed_url", "--rotate", "--json")
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["url"] != url and not is_valid_token(url.rsplit("/", 1)[1].removesuffix(".ics"))
    call_command("feed_url", "--revoke")
    assert "revoked" in capsys.readouterr().out and active_feed() is None


def test_webcal_form_for_plain_http():
    assert url_for("a" * 43).webcal == "webcal://127.0.0.1:8000/feed/" + "a" * 43 + ".ics"


def test_the_owner_uploads_a_file_and_gets_the_report(owner_client):
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:up-1\r\nDTSTAMP:20250101T000000Z\r\n"
        b"DTSTART;VALUE=DATE:20250301\r\nSUMMARY:uploaded\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:up-2\r\nSUMMARY:no start\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    response = owner_client.post("/import.ics", {"file": SimpleUploadedFile("mine.ics", data, "text/calendar")})
    assert response.status_code == 200
    report = response.json()
    assert report["created"] == 1 and report["source"] == "mine.ics"
    assert report["skipped"] == [{"what": "VEVENT #2 (UID up-2)", "reason": "it has no DTSTART"}]
    assert owner_client.get("/import.ics").status_code == 405
    assert owner_client.post("/import.ics", {}).status_code == 400
    owner_client.logout()
    assert owner_client.post("/import.ics", {"file": SimpleUploadedFile("mine.ics", data)}).status_code == 302


def test_an_upload_over_the_limit_is_refused_unread(owner_client, monkeypatch):
    monkeypatch.setattr(importing, "MAX_IMPORT_BYTES", 1000)
    response = owner_client.post("/import.ics", {"file": SimpleUploadedFile("big.ics", b"BEGIN:VCALENDAR\r\n" + b"x" * 5000)})
    assert response.status_code == 400 and "files up to" in response.json()["error"]


def test_an_upload_is_not_stored_past_the_limit(owner_client, monkeypatch):
    monkeypatch.setattr(importing, "MAX_IMPORT_BYTES", 200_000)
    big = SimpleUploadedFile("big.ics", b"BEGIN:VCALENDAR\r\n" + b"x" * 3_000_000)
    response = owner_client.post("/import.ics", {"file": big})
    assert response.status_code == 400 and "files up to" in response.json()["error"]
    assert sum(log.vector().values()) == 0


def test_the_feed_answers_head(client, lunch):
    feed = rotate_feed()
    response = client.head(f"/feed/{feed.token}.ics")
    assert response.status_code == 200 and response["ETag"]


def test_the_upload_view_checks_csrf(owner, lunch):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    response = strict.post("/import.ics", {"file": SimpleUploadedFile("a.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")})
    assert response.status_code == 403
