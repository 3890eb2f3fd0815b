"""The screenshots in docs/screenshots/ (shown in the README), made by a real
browser on a real instance at a fixed date, on a wide screen and a phone.

Run alone: DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m browser tests/test_browser_screens.py
It rewrites the PNGs; commit them when the pages changed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import test_browser as base
from tests.test_browser import NOW, TZ, quick_add, set_up_owner

browser, page = base.browser, base.page

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 375, "height": 812}}
PAGES = {
    "month": "/?d=2026-12-01",
    "week": "/week/?d=2026-12-01",
    "day": "/day/?d=2026-12-01",
    "agenda": "/agenda/?d=2026-11-30",
    "peers": "/peers/",
    "find-a-time": "/find-time/?minutes=60",
}
EVENTS = (
    "standup every weekday at 9:30 for 15 minutes",
    "lunch with Ana on 1 dec at 12:30 at Luigi's",
    "dentist on 2 dec at 15:00",
    "team offsite from 3 dec to 4 dec",
    "climbing every tuesday at 19:00 at the wall",
    "review budget on 1 dec at 10:30 for 2 hours",
    "call mum on 6 dec at 18:00",
)


def test_the_screenshots_of_the_main_pages(browser, page, spawn):
    inst = spawn("screens", now=NOW, tz=TZ)
    set_up_owner(page, inst)
    for text in EVENTS:
        quick_add(page, text)
    SCREENSHOTS.mkdir(exist_ok=True)
    state = page.context.storage_state()
    for size, viewport in SIZES.items():
        phone = size == "phone"
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, storage_state=state)
        pg = context.new_page()
        pg.set_default_timeout(15000)
        for name, path in PAGES.items():
            pg.goto(inst.url + path)
            pg.wait_for_load_state("networkidle")
            pg.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"))
        pg.goto(inst.url + "/agenda/?d=2026-11-30")
        pg.locator(".agenda-item a.what", has_text="lunch with Ana").click()
        pg.wait_for_url(re.compile(r"/event/"))
        pg.screenshot(path=str(SCREENSHOTS / f"event-{size}.png"))
        context.close()
    made = sorted(p.name for p in SCREENSHOTS.glob("*.png"))
    assert made == sorted(f"{n}-{s}.png" for n in [*PAGES, "event"] for s in SIZES)
