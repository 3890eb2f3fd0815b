"""Quick-add JSON endpoints, event edit (occurrence/series), conflicts, CSRF, escaping.

Quick-add phrases are read at a fixed now (CALENDAR_NOW, Sunday 29 November
2026, 10:00 UTC), so what they mean does not depend on the day tests run.
"""

import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from events import calendar, log
from events.calendars.manage import body_for
from events.index.fold import catch_up
from events.index.history import register_of
from events.index.query import query as index_query
from events.models import IndexKey, LogEntry, OwnFeedClaim

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def fixed_now(settings):
    settings.CALENDAR_NOW = "2026-11-29T10:00"
    settings.CALENDAR_TIME_ZONE = "UTC"


@pytest.fixture
def csrf_client(owner):
    c = Client(enforce_csrf_checks=True)
    c.force_login(owner)
    return c


def query(start, end):
    return index_query(start, end, "UTC")


def weekly(title="lunch"):
    return calendar.create_event(
        {"title": title, "start": "2026-11-24T12:00:00", "end": "2026-11-24T13:00:00", "tz": "UTC", "rrule": "FREQ=WEEKLY;BYDAY=TU"}
    )


def edit_data(**over):
    data = {
        "title": "lunch", "start_date": "2026-12-08", "start_time": "12:00", "end_date": "2026-12-08", "end_time": "13:00",
        "tz": "UTC", "repeat": "WEEKLY", "interval": "1", "byday": ["TU"], "ends": "never", "location": "", "description": "",
    }
    data.update(over)
    return data


# --- quick add ----------------------------------------------------------------------


def test_the_preview_says_how_the_phrase_is_understood(owner_client):
    data = owner_client.get("/quick/preview/", {"text": "lunch every tuesday at noon at Luigi's"}).json()
    assert data["ok"]
    assert data["summary"]["title"] == "lunch"
    assert data["summary"]["repeat"] == "every Tuesday"
    assert data["summary"]["when"] == "Tue 1 Dec 2026, 12:00–13:00 (UTC)"
    assert data["summary"]["where"] == "Luigi's"
    assert {s["kind"] for s in data["spans"]} >= {"title", "time"}
    assert LogEntry.objects.count() == 0  # a preview writes nothing


def test_the_preview_reports_the_parser_error(owner_client):
    data = owner_client.get("/quick/preview/", {"text": "lunch"}).json()
    assert not data["ok"] and "no date or time" in data["error"]


def test_adding_creates_the_event(owner_client):
    response = owner_client.post("/quick/add/", {"text": "lunch every tuesday at noon"})
    assert response.status_code == 201
    data = response.json()
    assert data["ok"] and data["title"] == "lunch" and data["rrule"] == "FREQ=WEEKLY;BYDAY=TU"
    assert data["start"] == "2026-12-01T12:00:00"
    assert register_of(data["uid"]) is not None


def test_a_phrase_without_a_date_creates_nothing(owner_client):
    response = owner_client.post("/quick/add/", {"text": "lunch"})
    assert response.status_code == 400 and "no date or time" in response.json()["error"]
    assert LogEntry.objects.count() == 0


def test_adding_while_writes_are_held_says_why(owner_client):
    OwnFeedClaim.objects.create(seq=50, peer="ab" * 32, peer_name="laptop", backed_at=timezone.now())
    response = owner_client.post("/quick/add/", {"text": "lunch tomorrow at noon"})
    assert response.status_code == 409
    assert "restored from an old" in response.json()["error"]
    assert LogEntry.objects.count() == 0
    assert "Writes are held" in owner_client.get("/").content.decode()


# --- CSRF ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/quick/add/", "/settings/", "/calendar/", "/event/delete/", "/conflicts/resolve/", "/peers/invite/",
                                 "/calendar/feed/", "/logout/"])
def test_writes_need_the_csrf_token(csrf_client, url):
    assert csrf_client.post(url, {"text": "lunch tomorrow at noon", "tz": "UTC"}).status_code == 403


def test_setup_and_login_need_the_csrf_token(db):
    c = Client(enforce_csrf_checks=True)
    assert c.post("/setup/", {"password": "x" * 12, "password2": "x" * 12}).status_code == 403
    assert not get_user_model().objects.exists()


def test_quick_add_works_with_the_token_from_the_page(csrf_client):
    page = csrf_client.get("/").content.decode()
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = csrf_client.post("/quick/add/", {"text": "dentist tomorrow at 9"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


# --- edit ---------------------------------------------------------------------------


def test_the_edit_form_shows_every_field(owner_client):
    w = weekly()
    page = owner_client.get("/event/", {"uid": w.uid}).content.decode()
    for name in ("title", "start_date", "start_time", "end_date", "end_time", "all_day", "tz", "repeat", "interval",
                 "byday", "ends", "until", "count", "location", "description"):
        assert f'name="{name}"' in page, name
    assert "History" in page and "created" in page


def test_editing_one_occurrence_moves_only_it(owner_client):
    w = weekly()
    url = f"/event/?uid={w.uid}&rid=2026-12-08T12:00:00"
    page = owner_client.get(url).content.decode()
    assert "Only this occurrence" in page and "Cancel this occurrence" in page
    response = owner_client.post(url, edit_data(start_time="15:00", end_time="16:00", scope="occurrence"))
    assert response.status_code == 302, response.content.decode()[:2000]
    starts = [o.start.isoformat() for o in query(date(2026, 12, 1), date(2026, 12, 16)).occurrences]
    assert starts == ["2026-12-01T12:00:00+00:00", "2026-12-08T15:00:00+00:00", "2026-12-15T12:00:00+00:00"]


def test_an_occurrence_edit_needs_no_repeat_fields(owner_client):
    w = weekly()
    url = f"/event/?uid={w.uid}&rid=2026-12-08T12:00:00"
    data = {k: v for k, v in edit_data(start_time="15:00", end_time="16:00", scope="occurrence").items()
            if k not in ("repeat", "interval", "byday", "ends", "until", "count")}
    assert owner_client.post(url, data).status_code == 302


def test_editing_the_series_from_an_occurrence_keeps_its_first_day(owner_client):
    w = weekly()
    url = f"/event/?uid={w.uid}&rid=2026-12-08T12:00:00"
    response = owner_client.post(url, edit_data(title="long lunch", start_time="12:30", end_time="14:00", scope="series"))
    assert response.status_code == 302
    occ = query(date(2026, 11, 24), date(2026, 12, 2)).occurrences
    assert [(o.title, o.start.isoformat()) for o in occ] == [
        ("long lunch", "2026-11-24T12:30:00+00:00"), ("long lunch", "2026-12-01T12:30:00+00:00")]


def test_the_repeat_fields_build_the_rule(owner_client):
    w = weekly()
    data = edit_data(start_date="2026-11-24", end_date="2026-11-24", repeat="WEEKLY", interval="2", byday=["TU", "TH"],
                     ends="count", count="3")
    assert owner_client.post(f"/event/?uid={w.uid}", data).status_code == 302
    assert register_of(w.uid) is not None
    occ = query(date(2026, 11, 1), date(2027, 1, 1)).occurrences
    assert [o.start.date().isoformat() for o in occ] == ["2026-11-24", "2026-11-26", "2026-12-08"]


def test_a_bad_edit_says_what_is_wrong_and_writes_nothing(owner_client):
    w = weekly()
    before = LogEntry.objects.count()
    response = owner_client.post(f"/event/?uid={w.uid}", edit_data(end_date="2026-12-01", tz="Mars/Base"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "not a known time zone" in page
    assert LogEntry.objects.count() == before


def test_cancelling_one_occurrence(owner_client):
    w = weekly()
    assert owner_client.post("/event/cancel/", {"uid": w.uid, "rid": "2026-12-08T12:00:00"}).status_code == 302
    days = [o.start.day for o in query(date(2026, 12, 1), date(2026, 12, 16)).occurrences]
    assert days == [1, 15]
    assert owner_client.get("/event/", {"uid": w.uid, "rid": "2026-12-08T12:00:00"}).status_code == 404


def test_deleting_the_series(owner_client):
    w = weekly()
    assert owner_client.post("/event/delete/", {"uid": w.uid}).status_code == 302
    assert query(date(2026, 12, 1), date(2026, 12, 16)).occurrences == []
    assert owner_client.get("/event/", {"uid": w.uid}).status_code == 404


def test_an_unknown_event_is_a_404(owner_client):
    assert owner_client.get("/event/", {"uid": "nope"}).status_code == 404
    assert owner_client.get("/event/").status_code == 404


def test_the_history_lists_who_changed_what(owner_client):
    w = weekly()
    calendar.edit_series(w.uid, location="Luigi's")
    page = owner_client.get("/event/", {"uid": w.uid}).content.decode()
    assert "edited" in page and "location" in page and "Luigi&#x27;s" in page


# --- conflicts ------------------------------------------------------------------------


def make_conflict():
    w = calendar.create_event({"title": "standup", "start": "2026-12-02T09:00:00", "end": "2026-12-02T09:15:00", "tz": "UTC"})
    head = w.entry.hash
    for title in ("standup (room A)", "standup (room B)"):
        body = {"type": "event.put", "uid": w.uid, "recurrence_id": None, "event": {**w.event, "title": title}}
        log.append_local(body_for(body, w.calendar), links=[head])
    catch_up()
    return w


def test_conflicts_are_listed_side_by_side(owner_client):
    w = make_conflict()
    page = owner_client.get("/conflicts/").content.decode()
    assert "standup (room A)" in page and "standup (room B)" in page and "Keep this one" in page
    month = owner_client.get("/?d=2026-12-01").content.decode()
    assert "⚠" in month
    detail = owner_client.get("/event/", {"uid": w.uid}).content.decode()
    assert "conflicting versions" in detail and "/conflicts/#" in detail


def test_choosing_a_version_resolves_the_conflict(owner_client):
    w = make_conflict()
    register = register_of(w.uid)
    keep = next(h for h in register.heads if register.bodies[h]["event"]["title"] == "standup (room B)")
    assert owner_client.post("/conflicts/resolve/", {"uid": w.uid, "rid": "", "keep": keep}).status_code == 302
    assert not IndexKey.objects.using("index").filter(conflict=True).exists()
    assert [o.title for o in query(date(2026, 12, 2), date(2026, 12, 3)).occurrences] == ["standup (room B)"]
    assert "No conflicts" in owner_client.get("/conflicts/").content.decode()


def test_saving_a_merged_version_resolves_the_conflict(owner_client):
    w = make_conflict()
    data = edit_data(title="standup (room A+B)", start_date="2026-12-02", end_date="2026-12-02", start_time="09:00",
                     end_time="09:15", repeat="")
    assert owner_client.post(f"/event/?uid={w.uid}", data).status_code == 302
    assert not IndexKey.objects.using("index").filter(conflict=True).exists()


# --- escaping -------------------------------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "javascript:alert(1)"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_event_text_is_escaped_in_every_view(owner_client, payload):
    w = calendar.create_event(
        {"title": f"x {payload}", "start": "2026-12-02T09:00:00", "end": "2026-12-02T10:00:00", "tz": "UTC",
         "location": payload, "description": payload, "rrule": "FREQ=DAILY;COUNT=3"}
    )
    calendar.edit_series(w.uid, title=f"y {payload}")
    pages = [
        "/?d=2026-12-01", "/week/?d=2026-12-02", "/agenda/?d=2026-12-01", f"/event/?uid={w.uid}",
        f"/event/?uid={w.uid}&rid=2026-12-03T09:00:00", "/?d=2026-12-01&fragment=1",
    ]
    for url in pages:
        html = owner_client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert 'href="javascript:' not in html, url
    preview = owner_client.get("/quick/preview/", {"text": f"{payload} tomorrow at 9"})
    assert "<script>" not in preview.content.decode() or preview["Content-Type"] == "application/json"


def test_conflict_versions_are_escaped(owner_client):
    w = calendar.create_event({"title": "a", "start": "2026-12-02T09:00:00", "end": "2026-12-02T10:00:00", "tz": "UTC"})
    for title in PAYLOADS[:2]:
        body = {"type": "event.put", "uid": w.uid, "recurrence_id": None, "event": {**w.event, "title": title}}
        log.append_local(body_for(body, w.calendar), links=[w.entry.hash])
    catch_up()
    assert register_of(w.uid).conflict
    html = owner_client.get("/conflicts/").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert json.dumps({"ok": 1})  # keeps the json import honest for readers of the JSON tests above
