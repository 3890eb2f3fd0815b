"""Series and phones in headless Chromium: "this and following events" from a
drag and from the edit form, a default reminder from the Calendars page to
the event, and dragging with a finger (long press) on a 375x812 phone.

Run alone: DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m browser tests/test_browser_series.py
Every instance runs at a fixed "now" (Sunday 29 November 2026, 10:00) in a fixed zone.
"""

from __future__ import annotations

import re

import pytest

from devtools.instances import wait_until
from tests import test_browser as base
from tests.test_browser import NOW, TZ, quick_add, set_up_owner, shot

browser = base.browser  # the one Chromium of the run

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def owner_page(browser, spawn):
    context = browser.new_context(**DESKTOP)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    inst = spawn("series", now=NOW, tz=TZ)
    set_up_owner(pg, inst)
    pg.inst = inst
    yield pg
    context.close()


@pytest.fixture
def phone(browser, owner_page):
    context = browser.new_context(**PHONE, storage_state=owner_page.context.storage_state())
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.inst = owner_page.inst
    yield pg
    context.close()


def lunches_at(pg, hour: str) -> list[str]:
    """The days of December whose lunch the month page shows at `hour`."""
    pg.goto(pg.inst.url + "/?d=2026-12-01")
    chips = pg.locator(".day .chip", has_text="lunch").filter(has_text=hour)
    return sorted(chips.evaluate_all("cs => cs.map(c => c.closest('.day').dataset.day)"))


def mouse_drag(pg, locator, dy: float) -> None:
    box = wait_until(locator.bounding_box, 10, message="the element to drag is on screen")
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    pg.mouse.move(x, y)
    pg.mouse.down()
    pg.mouse.move(x, y + dy / 2, steps=5)
    pg.mouse.move(x, y + dy, steps=5)
    pg.mouse.up()


def test_dragging_one_lunch_can_move_it_and_the_following_ones(owner_page):
    pg = owner_page
    quick_add(pg, "lunch every tuesday at noon")
    pg.goto(pg.inst.url + "/week/?d=2026-12-08")
    pg.locator(".wk-body").evaluate("b => b.scrollTop = b.scrollHeight * 10 / 24")
    hour = pg.locator(".wk-col").first.bounding_box()["height"] / 24
    mouse_drag(pg, pg.locator(".wk-ev", has_text="lunch"), hour)
    dialog = pg.get_by_role("dialog", name="Change a repeating event")
    assert dialog.get_by_role("button").all_inner_texts() == ["This event", "This and following events", "All events",
                                                               "Cancel"]
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        dialog.get_by_role("button", name="This and following events").click()
    pg.locator(".wk-ev", has_text="lunch").filter(has_text="13:00").wait_for()
    assert lunches_at(pg, "12:00") == ["2026-12-01"]
    assert lunches_at(pg, "13:00") == ["2026-12-08", "2026-12-15", "2026-12-22", "2026-12-29"]
    pg.locator('.day[data-day="2026-12-15"] .chip', has_text="lunch").click()
    pg.wait_for_url(re.compile(r"/event/"))
    pg.get_by_role("link", name="Open the series").click()
    history = pg.locator(".history")
    history.get_by_text("split it from").wait_for()
    history.get_by_role("link", name="the earlier series").click()
    pg.locator(".history").get_by_text(re.compile(r"ended it before Tue 8 Dec 2026, 12:00 \(split\)")).wait_for()


def test_the_edit_form_renames_this_and_the_following_lunches(owner_page):
    pg = owner_page
    quick_add(pg, "lunch every tuesday at noon")
    pg.goto(pg.inst.url + "/?d=2026-12-01")
    pg.locator('.day[data-day="2026-12-15"] .chip', has_text="lunch").click()
    pg.wait_for_url(re.compile(r"/event/"))
    pg.get_by_label("This and following events").check()
    pg.get_by_label("Title").fill("team lunch")
    shot(pg, "event-this-and-following")
    pg.get_by_role("button", name="Save").click()
    pg.wait_for_url(re.compile(r"/\?d=2026-12-15"))
    days = pg.locator(".day .chip", has_text="lunch").evaluate_all(
        "cs => cs.map(c => [c.closest('.day').dataset.day, c.textContent.includes('team')])")
    assert [d for d, team in days if team and d.startswith("2026-12")] == ["2026-12-15", "2026-12-22", "2026-12-29"]
    assert [d for d, team in days if not team and d.startswith("2026-12")] == ["2026-12-01", "2026-12-08"]


def test_a_default_reminder_set_on_the_calendars_page_reaches_a_quick_added_event(owner_page):
    pg = owner_page
    pg.goto(pg.inst.url + "/calendars/")
    pg.locator(".sharing summary").first.click()
    pg.get_by_label("New events get a reminder").first.select_option(label="10 minutes before")
    pg.locator(".reminder-form").first.get_by_role("button", name="Save").click()
    pg.get_by_text(re.compile(r"get a reminder 10 minutes before")).wait_for()
    pg.locator(".sharing summary").first.click()
    shot(pg, "calendars-default-reminder")
    quick_add(pg, "dentist tomorrow at 9")
    pg.goto(pg.inst.url + "/agenda/")
    pg.locator(".agenda-item a.what", has_text="dentist").click()
    pg.wait_for_url(re.compile(r"/event/"))
    assert pg.get_by_label("Reminders (minutes before)").input_value() == "10"


def touch(pg, kind: str, x: float | None = None, y: float | None = None) -> None:
    """A finger on the screen, as the phone's touch screen reports it (Chromium
    turns it into pointer events of type "touch", and scrolls for it)."""
    points = [] if x is None else [{"x": x, "y": y}]
    pg.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def finger_drag(pg, x: float, y: float, dx: float, dy: float, *, hold: bool) -> None:
    """Put a finger down; with `hold`, keep it still until the page picks the
    event up; then move it by (dx, dy) in steps and lift it."""
    touch(pg, "touchStart", x, y)
    if hold:
        pg.locator(".picked-up").wait_for()
    for step in range(1, 11):
        touch(pg, "touchMove", x + dx * step / 10, y + dy * step / 10)
    touch(pg, "touchEnd")


# how far the phone's grid has scrolled down: the page, and the part of the grid that
# scrolls inside it (the whole grid in the week, its body in the day)
SCROLLED = "window.scrollY + document.querySelector('.week-grid').scrollTop + document.querySelector('.wk-body').scrollTop"


def on_screen(locator) -> dict:
    """The box of an event brought to the middle of the screen (the grid redraws after
    each write and may come back scrolled elsewhere; the message of the last write sits
    at the foot of the screen)."""
    def box():
        locator.evaluate("e => e.scrollIntoView({block: 'center'})")
        return locator.bounding_box()
    return wait_until(box, 10, message="the event is on screen")


def phone_week(pg, day: str, hour: float, *, view: str = "week"):
    """The phone's week (or day) from `day`, scrolled to show `hour` o'clock; the height of an hour."""
    pg.cdp = pg.context.new_cdp_session(pg)
    pg.goto(pg.inst.url + f"/{view}/?d={day}")
    pg.locator(".wk-col").first.wait_for()
    for scroller in (".week-grid", ".wk-body"):
        pg.locator(scroller).evaluate(f"g => g.scrollTop = g.querySelector('.wk-col').offsetHeight * {hour - 2} / 24")
    return pg.locator(".wk-col").first.bounding_box()["height"] / 24


def test_a_long_press_drags_an_event_on_a_phone_and_its_foot_resizes_it(phone, owner_page):
    quick_add(owner_page, "dentist on 1 dec at 9")
    pg = phone
    hour = phone_week(pg, "2026-11-30", 9)
    assert pg.evaluate("document.documentElement.scrollWidth") <= 375
    box = on_screen(pg.locator(".wk-ev", has_text="dentist"))
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        finger_drag(pg, box["x"] + box["width"] / 2, box["y"] + 10, 0, 2 * hour, hold=True)
    moved = pg.locator(".wk-ev", has_text="dentist").filter(has_text="11:00")
    moved.wait_for()
    shot(pg, "week-phone-touch-drag")
    box = on_screen(moved)
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        finger_drag(pg, box["x"] + box["width"] / 2, box["y"] + box["height"] - 4, 0, hour, hold=True)
    pg.locator(".wk-ev .chip", has_text="dentist").tap()
    pg.wait_for_url(re.compile(r"/event/"))
    assert pg.get_by_label("Start time").input_value() == "11:00"
    assert pg.get_by_label("End time").input_value() == "13:00"


def test_a_quick_swipe_over_an_event_scrolls_the_page_and_moves_nothing(phone, owner_page):
    quick_add(owner_page, "dentist on 1 dec at 9")
    pg = phone
    hour = phone_week(pg, "2026-11-30", 9)
    box = on_screen(pg.locator(".wk-ev", has_text="dentist"))
    scrolled = pg.evaluate(SCROLLED)
    finger_drag(pg, box["x"] + box["width"] / 2, box["y"] + 10, 0, -3 * hour, hold=False)
    wait_until(lambda: pg.evaluate(SCROLLED) > scrolled, 10, message="the grid scrolled with the finger")
    assert pg.locator(".picked-up").count() == 0 and pg.get_by_role("dialog").count() == 0
    pg.goto(pg.inst.url + "/week/?d=2026-11-30")
    assert pg.locator(".wk-ev", has_text="dentist").inner_text().startswith("09:00")


def test_a_long_press_on_a_repeating_event_moves_the_following_ones_and_undo_puts_them_back(phone, owner_page):
    quick_add(owner_page, "lunch every tuesday at noon")
    pg = phone
    hour = phone_week(pg, "2026-12-07", 12)
    box = on_screen(pg.locator(".wk-ev", has_text="lunch"))
    finger_drag(pg, box["x"] + box["width"] / 2, box["y"] + 10, 0, hour, hold=True)
    dialog = pg.get_by_role("dialog", name="Change a repeating event")
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        dialog.get_by_role("button", name="This and following events").tap()
    pg.locator(".wk-ev", has_text="lunch").filter(has_text="13:00").wait_for()
    shot(pg, "week-phone-split")
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        pg.locator("#grid-status").get_by_role("button", name="Undo").tap()
    pg.locator(".wk-ev", has_text="lunch").filter(has_text="12:00").wait_for()
    assert lunches_at(pg, "12:00") == ["2026-12-01", "2026-12-08", "2026-12-15", "2026-12-22", "2026-12-29"]


def test_on_a_phone_day_a_tap_on_an_empty_slot_adds_and_a_long_press_moves(phone, owner_page):
    pg = phone
    hour = phone_week(pg, "2026-12-02", 14, view="day")
    col = pg.locator(".wk-col").bounding_box()
    pg.touchscreen.tap(col["x"] + col["width"] / 2, col["y"] + 14.2 * hour)
    box = pg.get_by_label("New event 14:00–15:00")
    box.fill("Tea with Mara")
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        box.press("Enter")
    event = pg.locator(".wk-ev", has_text="Tea with Mara")
    event.wait_for()
    shot(pg, "day-phone")
    start = on_screen(event)
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        finger_drag(pg, start["x"] + start["width"] / 2, start["y"] + 10, 0, -hour, hold=True)
    pg.locator(".wk-ev", has_text="Tea with Mara").filter(has_text="13:00").wait_for()
