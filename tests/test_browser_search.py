"""Searching, and the j/k shortcuts, in headless Chromium as a person does it.

Run alone: DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m browser tests/test_browser_search.py
The instance runs at a fixed "now" (Sunday 29 November 2026, 10:00, Bucharest).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import test_browser as base
from tests.test_browser import NOW, TZ, quick_add, set_up_owner
from tests.test_browser_ui import axe_problems

browser, page = base.browser, base.page

pytestmark = pytest.mark.browser


@pytest.fixture
def owner_page(page, spawn):
    inst = spawn("search", now=NOW, tz=TZ)
    set_up_owner(page, inst)
    page.inst = inst
    return page


def test_s_focuses_the_search_box_and_enter_lists_the_matches(owner_page):
    pg = owner_page
    quick_add(pg, "dentist tomorrow at 9")
    quick_add(pg, "yoga every monday at 18")
    quick_add(pg, "dentist check-up on 2 nov 2026 at 10")
    pg.locator("main").click()
    pg.keyboard.press("s")
    box = pg.get_by_label("Search events")
    assert box.evaluate("el => el === document.activeElement")
    box.type("dent")
    box.press("Enter")
    pg.wait_for_url(re.compile(r"/search/\?q=dent"))
    upcoming = pg.locator(".search-results").nth(0)
    past = pg.locator(".search-results").nth(1)
    assert upcoming.locator(".ttl").all_inner_texts() == ["dentist"]
    assert "Mon 30 November 2026" in upcoming.text_content()
    assert past.locator(".ttl").all_inner_texts() == ["dentist check-up"]
    assert axe_problems(pg) == []
    pg.get_by_label("Words in a title, place or description").fill("yoga")
    pg.get_by_role("button", name="Search", exact=True).click()
    pg.wait_for_url(re.compile(r"q=yoga"))
    assert "Mon 30 November 2026" in pg.locator(".search-results").text_content()  # the next one only
    pg.locator(".search-results .what").click()
    pg.wait_for_url(re.compile(r"/event/"))


def test_a_search_with_query_syntax_is_a_plain_message(owner_page):
    pg = owner_page
    box = pg.get_by_label("Search events")
    for text, said in (('"(NEAR*', "No event has"), ("** ^^ ((", "Type a word to search for.")):
        box.fill(text)
        box.press("Enter")
        pg.wait_for_url(re.compile(r"/search/"))
        assert said in pg.locator("main").inner_text()
        box = pg.get_by_label("Search events")


def test_j_and_k_go_to_the_next_and_previous_month_and_the_help_lists_them(owner_page):
    pg = owner_page
    assert pg.locator("#view-title").inner_text() == "November 2026"
    pg.locator("main").click()
    pg.keyboard.press("j")
    expect(pg.locator("#view-title")).to_have_text("December 2026")
    pg.keyboard.press("k")
    expect(pg.locator("#view-title")).to_have_text("November 2026")
    pg.keyboard.press("k")
    expect(pg.locator("#view-title")).to_have_text("October 2026")
    pg.keyboard.press("?")
    assert "Next / previous (as n and p)" in pg.locator("#help").inner_text()
