"""The owner's UI in a real headless Chromium against real daphne instances.

Run alone: DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m browser
Screenshots of the main views land in test-artifacts/.

Every instance runs at a fixed "now" in a fixed zone (CALENDAR_NOW and
TIME_ZONE): by default Sunday 29 November 2026, when the next Tuesday is
among the month grid's days of December.
"""

from __future__ import annotations

import atexit
import calendar as pycal
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from devtools.instances import Instance, wait_until

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PASSWORD = "correct horse battery"
TZ = "Europe/Bucharest"
NOW = "2026-11-29T10:00"
TODAY = date(2026, 11, 29)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


_running: dict = {}  # the one Playwright and Chromium of this process


def _stop_chromium() -> None:
    if _running:
        _running.pop("browser").close()
        _running.pop("playwright").stop()


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run. Every browser test module uses this
    fixture (test_browser_ui.py takes it from here), and each module's copy of
    a session fixture is set up apart, but a second Playwright cannot start in
    the same process: so the first starts it and it stops when the run ends."""
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    if not _running:
        _running["playwright"] = playwright_sync.sync_playwright().start()
        _running["browser"] = _running["playwright"].chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        atexit.register(_stop_chromium)
    return _running["browser"]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def set_up_owner(page, inst: Instance) -> None:
    page.goto(inst.url + "/")
    assert page.url.endswith("/setup/")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Set password")).click()
    page.wait_for_url(inst.url + "/")


def quick_add(page, text: str) -> None:
    box = page.get_by_label("Quick add an event")
    box.fill(text)
    with page.expect_response(lambda r: "/quick/add/" in r.url):
        box.press("Enter")


def tuesdays(month: date) -> list[date]:
    d = month.replace(day=1)
    out = []
    while d.month == month.month:
        if d.weekday() == 1:
            out.append(d)
        d += timedelta(days=1)
    return out


def grid(month: date) -> list[date]:
    """The days a month page shows: Monday before the 1st to Sunday after the last."""
    first = month.replace(day=1)
    last = first.replace(day=pycal.monthrange(first.year, first.month)[1])
    start, end = first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def first_lunch(now: str) -> date:
    """The first Tuesday at noon after `now`: when "lunch every tuesday at noon" starts."""
    moment = datetime.fromisoformat(now)
    d = moment.date()
    while d.weekday() != 1 or datetime.combine(d, time(12)) <= moment:
        d += timedelta(days=1)
    return d


def next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def test_first_run_sets_the_password_then_login_works(page, spawn):
    inst = spawn("first", now=NOW, tz=TZ)
    set_up_owner(page, inst)
    assert page.get_by_role("link", name="Month").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/"))
    page.goto(inst.url + "/setup/")
    assert "404" in page.title() or "Not Found" in page.content()
    page.goto(inst.url + "/week/")
    assert "/login/" in page.url
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("Wrong password.").is_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(inst.url + "/week/")


def test_quick_add_puts_lunch_on_every_tuesday(page, spawn):
    inst = spawn("lunch", now=NOW, tz=TZ)
    set_up_owner(page, inst)
    box = page.get_by_label("Quick add an event")
    box.type("lunch every tuesday at noon", delay=10)
    preview = page.locator("#qa-preview")
    preview.locator("dd", has_text="every Tuesday").wait_for()
    assert preview.locator("mark.k-title", has_text="lunch").count() == 1
    assert "12:00" in preview.inner_text()
    shot(page, "quick-add-preview")
    page.evaluate("window.__marker = 'no reload'")
    with page.expect_response(lambda r: "fragment=1" in r.url):
        box.press("Enter")
    page.locator(".chip", has_text="lunch").first.wait_for()
    assert page.evaluate("window.__marker") == "no reload"  # shown without a full reload
    first = first_lunch(NOW)
    assert first == date(2026, 12, 1)  # among the grid's days of the next month
    for d in grid(TODAY):
        chip = page.locator(f'.day[data-day="{d.isoformat()}"] .chip', has_text="lunch")
        if d.weekday() == 1 and d >= first:
            assert chip.inner_text().startswith("12:00"), d
        else:
            assert chip.count() == 0, d
    shot(page, "month")
    page.get_by_role("link", name="Week").click()
    assert page.locator(".wk-ev .chip").count() == 0  # Sunday: this week's Tuesday has passed
    page.get_by_role("link", name="Next").click()
    page.locator(f'.wk-col[data-day="{first}"] .wk-ev .chip', has_text="lunch").wait_for()
    shot(page, "week")
    page.get_by_role("link", name="Agenda").click()
    shot(page, "agenda")
    phone = page.context.browser.new_context(**PHONE, storage_state=page.context.storage_state())
    mobile = phone.new_page()
    mobile.goto(inst.url + "/")
    december = mobile.locator(f'.day[data-day="{first}"]')
    dot = december.locator(".chip", has_text="lunch")  # a phone's month marks the day with a dot
    assert dot.bounding_box()["width"] <= 8 and dot.get_attribute("tabindex") == "-1"
    december.locator(".dnum").tap()
    mobile.locator(".day-list .chip", has_text="lunch").wait_for()
    assert mobile.locator(".day-list .chip").inner_text().startswith("12:00")
    shot(mobile, "month-phone")
    phone.close()


@pytest.mark.parametrize("now", ["2026-12-31T10:00", "2029-12-31T10:00"])
def test_the_phone_month_marks_every_coming_tuesday(browser, spawn, now):
    """On a phone the month is a small grid where a day with something has a
    dot, and the chosen day's list is beneath: the coming Tuesdays have dots,
    those of the next month among them, and no other day has one. 31 December
    2026 is a Thursday (no Tuesday left in the grid); 31 December 2029 a Monday
    (the next Tuesday is 1 January 2030, in the grid)."""
    inst = spawn("phone", now=now, tz=TZ)
    context = browser.new_context(**PHONE)
    mobile = context.new_page()
    mobile.set_default_timeout(15000)
    set_up_owner(mobile, inst)
    with mobile.expect_response(lambda r: "fragment=1" in r.url):
        quick_add(mobile, "lunch every tuesday at noon")
    today, first = date.fromisoformat(now[:10]), first_lunch(now)
    for month in (today, next_month(today)):
        if month != today:
            mobile.get_by_role("link", name="Next").click()
            mobile.wait_for_url(re.compile(rf"/\?d={month}$"))
        mobile.get_by_role("heading", name=f"{month:%B %Y}").wait_for()
        assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
        expected = [d for d in grid(month) if d.weekday() == 1 and d >= first]
        dotted = [date.fromisoformat(d) for d in mobile.eval_on_selector_all(
            ".day", "cells => cells.filter(c => c.querySelector('.chip')).map(c => c.dataset.day)")]
        assert dotted == expected, month
        inside = [d for d in expected if d.month == month.month]  # a day of another month opens that month
        if inside:
            mobile.locator(f'.day[data-day="{inside[-1]}"] .dnum').tap()
            mobile.locator(".day-list h2", has_text=f"{inside[-1]:%A} {inside[-1].day}").wait_for()
            assert mobile.locator(".day-list .chip", has_text="lunch").inner_text().startswith("12:00")
        shot(mobile, f"month-phone-{month:%Y-%m}-from-{today}")
    context.close()


def test_editing_one_occurrence_moves_only_it(page, spawn):
    inst = spawn("edit", now=NOW, tz=TZ)
    set_up_owner(page, inst)
    quick_add(page, "lunch every tuesday at noon")
    december = next_month(TODAY)
    page.goto(f"{inst.url}/?d={december.isoformat()}")
    days = tuesdays(december)
    target = days[1]
    page.locator(f'.day[data-day="{target.isoformat()}"] .chip').click()
    page.wait_for_url(re.compile(r"/event/\?"))
    assert page.get_by_label("Only this occurrence").is_checked()
    page.get_by_label("Start time").fill("15:00")
    page.get_by_label("End time").fill("16:00")
    shot(page, "edit-form")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/\?d="))
    assert page.locator(f'.day[data-day="{target.isoformat()}"] .chip').inner_text().startswith("15:00")
    for d in days:
        if d != target:
            assert page.locator(f'.day[data-day="{d.isoformat()}"] .chip').inner_text().startswith("12:00"), d


def test_a_phrase_without_a_date_shows_the_error_and_adds_nothing(page, spawn):
    inst = spawn("nodate", now=NOW, tz=TZ)
    set_up_owner(page, inst)
    box = page.get_by_label("Quick add an event")
    box.type("lunch with Bob", delay=10)
    error = page.locator("#qa-error")
    page.locator("#qa-preview .qa-hint").wait_for()  # still typing: a neutral hint, no red error
    assert not error.is_visible()
    with page.expect_response(lambda r: "/quick/add/" in r.url) as info:
        box.press("Enter")
    assert info.value.status == 400
    error.get_by_text("no date or time").wait_for()
    page.goto(inst.url + "/agenda/")
    assert page.locator(".agenda-item").count() == 0


def test_a_script_in_a_title_is_shown_as_text(page, spawn):
    inst = spawn("xss", now=NOW, tz=TZ)
    set_up_owner(page, inst)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    title = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    box = page.get_by_label("Quick add an event")
    box.type(f"{title} tomorrow at 9", delay=2)
    page.locator("#qa-preview dd").first.wait_for()
    quick_add(page, f"{title} tomorrow at 9")
    page.goto(inst.url + "/agenda/")
    assert page.locator(".agenda-item .ttl").first.inner_text() == title
    page.goto(inst.url + "/")
    page.locator(".chip .ttl").first.wait_for()
    assert title in page.locator(".chip .ttl").first.inner_text()
    page.locator(".chip").first.click()
    page.wait_for_url(re.compile(r"/event/"))
    assert page.locator("h1").inner_text().startswith(title)
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


def share_personal(page, friend: str, role: str = "See all event details") -> None:
    """On the Calendars page, share Personal with `friend` (once its key has arrived)."""
    page.get_by_role("link", name="Calendars").click()
    page.get_by_text("Share and edit “Personal”").click()
    friend_box = page.get_by_label("Friend")
    deadline = datetime.now() + timedelta(seconds=20)
    while friend_box.locator("option", has_text=friend).count() == 0 and datetime.now() < deadline:
        page.reload()  # the friend's encryption key arrives with its feed
        page.get_by_text("Share and edit “Personal”").click()
    friend_box.select_option(label=friend)
    page.get_by_label("May").select_option(label=role)
    page.get_by_role("button", name="Share", exact=True).click()
    page.get_by_text(f"Personal is shared with {friend}").wait_for()
    shot(page, "calendars")


def test_two_paired_instances_show_each_others_events_live(browser, spawn):
    alice, bob = spawn("alice", now=NOW, tz=TZ), spawn("bob", now=NOW, tz=TZ)
    pages = {}
    for inst in (alice, bob):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = ctx.new_page()
        pg.set_default_timeout(20000)
        set_up_owner(pg, inst)
        pages[inst.name] = pg
    a, b = pages["alice"], pages["bob"]
    a.get_by_role("link", name="Peers").click()
    a.get_by_role("button", name="Make an invite link").click()
    invite = a.get_by_label("Invite link", exact=True).input_value()
    assert "/pair/" in invite and a.locator(".qr svg").count() == 1
    b.get_by_role("link", name="Peers").click()
    b.get_by_label("Invite link or address").fill(invite)
    b.get_by_role("button", name="Pair").click()
    b.get_by_text("paired with").wait_for()
    b.locator(".peer-name", has_text="alice").wait_for()
    a.locator(".peer-name", has_text="bob").wait_for()  # the peers page refreshes itself
    a.locator(".status", has_text=re.compile("in sync|syncing")).wait_for()
    shot(a, "peers")
    share_personal(a, "bob")
    share_personal(b, "alice")
    a.get_by_role("link", name="Month").click()
    b.get_by_role("link", name="Month").click()
    b.evaluate("window.__marker = 'no reload'")
    quick_add(a, "dinner with bob tomorrow at 19")
    b.locator(".chip", has_text="dinner with bob").wait_for(timeout=20000)
    quick_add(b, "climbing tomorrow at 8")
    a.locator(".chip", has_text="climbing").wait_for(timeout=20000)
    assert b.evaluate("window.__marker") == "no reload"
    chip = a.locator(".chip", has_text="climbing")
    assert "bob" in chip.get_attribute("title")  # the author's name on hover
    wait_until(lambda: len(alice.vector()) == 2 and alice.vector() == bob.vector(), message="same vectors")
    # alice lowers bob to free/busy: her next event reaches his calendar as a busy block
    a.get_by_role("link", name="Calendars").click()
    a.get_by_text("Share and edit “Personal”").click()
    a.get_by_label("Role of bob").select_option(label="See only free/busy")
    a.get_by_role("button", name="Change").click()
    a.get_by_text("Personal is shared with bob: see only free/busy.").wait_for()
    a.get_by_role("link", name="Month").click()
    quick_add(a, "therapy tomorrow at 17")
    b.locator(".chip.busy", has_text="Busy").wait_for(timeout=20000)
    assert b.locator(".chip", has_text="therapy").count() == 0
    assert "therapy" not in b.content()
    for pg in (a, b):
        pg.context.close()


def test_no_page_breaks_the_content_security_policy(page, spawn):
    """Every view, a quick-add and the live socket run under the CSP with no violation."""
    inst = spawn("csp", now=NOW, tz=TZ)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    set_up_owner(page, inst)
    quick_add(page, "lunch every tuesday at noon")
    for path in ("/", "/week/", "/agenda/", "/peers/", "/conflicts/", "/settings/", "/calendar/"):
        response = page.goto(inst.url + path)
        assert response is not None and "default-src 'self'" in response.headers.get("content-security-policy", ""), path
        page.wait_for_load_state("networkidle")
    assert not violations, violations
