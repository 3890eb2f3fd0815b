"""Undo in headless Chromium: after a drag, after a delete, and the offer going away.

Run alone: DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m browser tests/test_browser_undo.py
The instance runs at a fixed "now" (Sunday 29 November 2026, 10:00, Bucharest).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import test_browser as base
from tests.test_browser import NOW, TZ, quick_add, set_up_owner
from tests.test_browser_ui import drag

browser, page = base.browser, base.page

pytestmark = pytest.mark.browser


@pytest.fixture
def owner_page(page, spawn):
    inst = spawn("undo", now=NOW, tz=TZ)
    set_up_owner(page, inst)
    page.inst = inst
    return page


def test_a_dragged_event_goes_back_with_undo(owner_page):
    pg = owner_page
    quick_add(pg, "dentist on 1 dec at 9")
    pg.goto(pg.inst.url + "/week/?d=2026-12-01")
    pg.locator(".wk-body").evaluate("b => b.scrollTop = b.scrollHeight * 7 / 24")
    hour = pg.locator(".wk-col").first.bounding_box()["height"] / 24
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        drag(pg, pg.locator(".wk-ev", has_text="dentist"), 0, 2 * hour)
    expect(pg.locator(".wk-ev", has_text="dentist")).to_contain_text("11:00")
    status = pg.locator("#grid-status")
    expect(status).to_contain_text("Moved.")
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        status.get_by_role("button", name="Undo").click()
    expect(status).to_contain_text("Undone.")
    expect(pg.locator(".wk-ev", has_text="dentist")).to_contain_text("09:00")


def test_a_deleted_event_comes_back_from_the_message(owner_page):
    pg = owner_page
    quick_add(pg, "dentist on 1 dec at 9")
    pg.goto(pg.inst.url + "/agenda/?d=2026-12-01")
    pg.locator(".agenda-item a.what", has_text="dentist").click()
    pg.wait_for_url(re.compile(r"/event/"))
    pg.once("dialog", lambda d: d.accept())
    pg.get_by_role("button", name=re.compile("^Delete")).click()
    pg.wait_for_url(re.compile(r"/\?d=2026-12-01"))
    messages = pg.locator(".messages")
    expect(messages).to_contain_text("Deleted “dentist”.")
    assert pg.locator('.day[data-day="2026-12-01"] .chip').count() == 0
    messages.get_by_role("button", name="Undo").click()
    expect(messages).to_contain_text("Undone.")
    expect(pg.locator('.day[data-day="2026-12-01"] .chip', has_text="dentist")).to_be_visible()
    # the offer is taken by the page that shows it
    pg.reload()
    assert pg.locator("form.undo-offer").count() == 0


def test_the_undo_button_goes_away_after_half_a_minute(owner_page):
    pg = owner_page
    quick_add(pg, "dentist on 1 dec at 9")
    pg.clock.install()
    pg.goto(pg.inst.url + "/agenda/?d=2026-12-01")
    pg.locator(".agenda-item a.what", has_text="dentist").click()
    pg.once("dialog", lambda d: d.accept())
    pg.get_by_role("button", name=re.compile("^Delete")).click()
    pg.wait_for_url(re.compile(r"/\?d=2026-12-01"))
    undo = pg.locator(".messages").get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    pg.clock.run_for("00:29")
    expect(undo).to_be_visible()
    pg.clock.run_for("00:02")
    expect(undo).to_have_count(0)
    expect(pg.locator(".messages")).to_contain_text("Deleted “dentist”.")
