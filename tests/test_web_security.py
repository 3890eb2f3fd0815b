"""The web UI as an attacker sees it: every URL the resolver knows, CSRF on
every form, hostile text from events and peers, the page script.

Complements test_ui_pages (login on known pages), test_ui_edit (escaping in
the calendar views), test_ui_live (/ws/live/ origins), test_ics_export (iCalendar
line injection) and test_ics_http (the subscription token and its revocation);
key and secret file modes are in test_settings and test_bundle."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from events import calendar, log
from events.calendars.manage import body_for
from events.index.fold import catch_up
from events.index.history import register_of
from sync.models import PairingRequest, Peer

pytestmark = pytest.mark.django_db(databases=["default", "index"])

# Pages anyone may open: first-run setup, login and logout, the invite landing
# page (its token is the secret), the subscription feed (likewise).
PUBLIC = {"setup", "login", "logout", "invite-page", "ics-feed"}
# CalDAV: HTTP Basic with an app password, never a session or a login page,
# and no CSRF token (tested below); /.well-known/caldav only redirects.
DAV = {"dav-well-known", "dav-root", "dav-principal", "dav-home", "dav-collection", "dav-resource"}
DUMMIES = ["abcdefghijklmnopqrstuvwxyz012345", "1", "x"]
STATIC = Path(__file__).resolve().parents[1] / "static"


def url_patterns(patterns=None, prefix=""):
    """(name, pattern) for every URL pattern, included ones too."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield p.name, prefix + str(p.pattern)


def dummy_path(name: str) -> str:
    """The pattern's path with its parameters filled with dummy values."""
    for value in DUMMIES:
        try:
            return reverse(name, kwargs={g: value for g in _groups(name)})
        except NoReverseMatch:
            continue
    raise AssertionError(f"cannot build a path for URL pattern {name!r}: add a dummy value")


def _groups(name):
    """Parameter names of the pattern: <conv:name> or (?P<name>...)."""
    [pattern] = [p for n, p in url_patterns() if n == name]
    return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", pattern)]


ALL = sorted(url_patterns())
PRIVATE = [name for name, _ in ALL if name not in PUBLIC | DAV]


def test_every_url_pattern_has_a_name_and_a_test_path():
    assert ALL and all(name for name, _ in ALL), [p for n, p in ALL if not n]
    assert PUBLIC <= {name for name, _ in ALL}, "a public page was renamed: update PUBLIC"
    for name, _ in ALL:
        dummy_path(name)


@pytest.mark.parametrize("name", PRIVATE)
def test_every_other_url_sends_strangers_to_login(client, owner, name):
    path = dummy_path(name)
    for response in (client.get(path), client.post(path, {"text": "x", "uid": "x", "author": "ab" * 32})):
        if response.status_code in (404, 405):
            continue
        assert response.status_code == 302, (path, response.status_code)
        assert response["Location"].startswith("/login/"), (path, response["Location"])


def test_public_urls_give_nothing_away_without_their_secret(client, owner):
    assert client.get(dummy_path("ics-feed")).status_code == 404
    page = client.get(dummy_path("invite-page")).content.decode()
    assert "manage.py pair" in page and "lunch" not in page


@pytest.mark.parametrize("name", sorted(DAV - {"dav-well-known"}))
def test_dav_urls_want_an_app_password_even_from_a_logged_in_browser(owner, name):
    c = Client(enforce_csrf_checks=True)
    c.force_login(owner)
    path = dummy_path(name)
    for response in (c.get(path), c.post(path), c.generic("PROPFIND", path, HTTP_DEPTH="0")):
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic "), (path, response.status_code)


@pytest.mark.parametrize("name", [name for name, _ in ALL if name not in DAV])
def test_every_post_needs_the_csrf_token(owner, name):
    c = Client(enforce_csrf_checks=True)
    c.force_login(owner)
    response = c.post(dummy_path(name), {"text": "lunch tomorrow at noon", "password": "x", "password2": "x"})
    assert response.status_code == 403, (name, response.status_code)


# --- hostile text ------------------------------------------------------------------------

CSS = "</style><style>body{display:none}</style>"
PAYLOADS = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', CSS, '"><svg onload=alert(1)>']
RAW = ["<script>alert", "<img src=x", "<style>body", "<svg onload"]


def assert_escaped(html: str, where: str) -> None:
    for needle in RAW:
        assert needle not in html, f"{needle!r} unescaped in {where}"
    assert 'href="javascript:' not in html and "href='javascript:" not in html, where


def test_hostile_event_text_is_text_in_history_conflicts_and_the_css_context(owner_client):
    payload = " ".join(PAYLOADS)
    w = calendar.create_event({"title": f"a {payload}", "start": "2026-12-02T09:00:00", "end": "2026-12-02T10:00:00",
                               "tz": "UTC", "location": CSS, "description": payload, "rrule": "FREQ=DAILY;COUNT=3"})
    calendar.edit_series(w.uid, title=f"b {payload}", location="javascript:alert(1)")
    calendar.edit_occurrence(w.uid, "2026-12-03T09:00:00", title=CSS)
    log.append_local(body_for({"type": "event.put", "uid": w.uid, "recurrence_id": None,
                               "event": {**w.event, "title": payload}}, w.calendar), links=[w.entry.hash])  # a conflict
    catch_up()
    assert register_of(w.uid).conflict
    for url in ["/?d=2026-12-01", "/week/?d=2026-12-02", "/agenda/?d=2026-12-01", f"/event/?uid={w.uid}",
                f"/event/?uid={w.uid}&rid=2026-12-03T09:00:00", "/conflicts/", "/?d=2026-12-01&fragment=1"]:
        response = owner_client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode(), url)
    history = owner_client.get(f"/event/?uid={w.uid}").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in history  # shown, as text


def test_a_hostile_peer_name_and_url_are_text_on_the_peers_page(owner_client):
    name = " ".join(PAYLOADS)
    Peer.objects.create(author="ab" * 32, name=name, url="javascript:alert(1)", state=Peer.PAIRED)
    PairingRequest.objects.create(author="cd" * 32, direction="incoming", name=name, url='http://x/"><script>alert(1)</script>',
                                  created="2026-01-01T00:00:00Z")
    for url in ["/peers/", "/peers/?fragment=1"]:
        html = owner_client.get(url).content.decode()
        assert_escaped(html, url)
        assert "&lt;script&gt;" in html


def test_quick_add_preview_is_json_and_the_page_script_writes_text_only(owner_client):
    response = owner_client.get("/quick/preview/", {"text": f"{PAYLOADS[0]} tomorrow at 9"})
    assert response["Content-Type"].startswith("application/json")
    script = (STATIC / "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, f"app.js uses {sink}: server data must go in with textContent"
    assert "textContent" in script
