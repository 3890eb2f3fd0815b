"""Reminders as notifications and finding a time, in headless Chromium.

Run alone: DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m browser tests/test_browser_plan.py
The instance runs at a fixed "now" (Sunday 29 November 2026, 10:00, Bucharest);
the page's own clock is set to the same moment and moved forward by the test.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests import test_browser as base
from tests.test_browser import NOW, TZ, quick_add, set_up_owner

browser, page = base.browser, base.page

pytestmark = pytest.mark.browser

# every notification the page makes is also noted here, for the test to read
NOTE_HOOK = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.shownNotes = [];
  const Hooked = function (title, options) {
    window.shownNotes.push({ title: title, body: (options || {}).body });
    return new Real(title, options);
  };
  Object.defineProperty(Hooked, "permission", { get: () => Real.permission });
  Hooked.requestPermission = (...a) => Real.requestPermission(...a);
  window.Notification = Hooked;
})();
"""


@pytest.fixture
def owner_page(page, spawn):
    inst = spawn("plan", now=NOW, tz=TZ)
    page.context.grant_permissions(["notifications"], origin=inst.url)
    page.context.add_init_script(NOTE_HOOK)
    page.clock.install(time=datetime.fromisoformat(NOW).replace(tzinfo=ZoneInfo(TZ)))
    set_up_owner(page, inst)
    page.inst = inst
    return page


def notes(pg) -> list[dict]:
    return pg.evaluate("() => window.shownNotes")


def notes_soon(pg) -> list[dict]:
    """The notifications shown once the page's clock has moved on a few
    seconds more (the page may still be reading the reminders' answer)."""
    for _ in range(10):
        if found := notes(pg):
            return found
        pg.clock.run_for(500)
    return notes(pg)


def test_a_reminder_set_on_the_form_shows_as_a_notification_when_due(owner_page):
    pg = owner_page
    quick_add(pg, "dentist today at 10:30 at Main street")
    pg.goto(pg.inst.url + "/agenda/")
    pg.locator(".agenda-item a.what", has_text="dentist").click()
    pg.wait_for_url(re.compile(r"/event/"))
    pg.get_by_label("Reminders (minutes before)").fill("10")
    with pg.expect_response(lambda r: "/reminders/" in r.url):  # the month page asks what is due
        pg.get_by_role("button", name="Save").click()
    pg.wait_for_url(re.compile(r"/\?d="))
    pg.clock.run_for(1000)
    assert notes(pg) == []  # due at 10:20
    pg.clock.fast_forward("19:30")
    assert notes(pg) == []
    pg.clock.fast_forward("01:00")
    assert notes_soon(pg) == [{"title": "dentist", "body": "10:30 · Main street (in 10 min)"}]
    with pg.expect_response(lambda r: "/reminders/" in r.url):
        pg.reload()  # shown once, whichever page is open
    assert notes_soon(pg) == []


def test_a_free_slot_found_becomes_an_event(owner_page):
    pg = owner_page
    quick_add(pg, "planning tomorrow at 9")
    pg.get_by_role("link", name="Find a time").click()
    pg.get_by_label("How long").select_option("60")
    pg.get_by_role("button", name="Find free times").click()
    pg.wait_for_url(re.compile(r"minutes=60"))
    first = pg.locator(".slots li").first
    assert first.locator(".slot-when").inner_text() == "Mon 30 Nov, 10:00–11:00"  # 9:00 is taken
    first.get_by_role("textbox").fill("Budget review")
    first.get_by_role("button", name=re.compile("^Book")).click()
    pg.wait_for_url(re.compile(r"/event/"))
    assert "Added “Budget review” on Mon 30 Nov at 10:00." in pg.locator(".messages").inner_text()
    assert pg.get_by_label("Start time").input_value() == "10:00"


def test_working_hours_change_the_proposals(owner_page):
    pg = owner_page
    pg.goto(pg.inst.url + "/find-time/")
    pg.get_by_label("From").fill("14:00")
    pg.get_by_label("to", exact=True).fill("16:00")
    pg.get_by_role("button", name="Save working hours").click()
    expect(pg.locator(".messages")).to_contain_text("Working hours: 14:00–16:00")
    pg.get_by_role("button", name="Find free times").click()
    assert pg.locator(".slot-when").first.inner_text() == "Mon 30 Nov, 14:00–15:00"
