"""The calendar as a person uses it, in headless Chromium: with the keyboard,
on a phone, with long titles, and checked by axe for accessibility.

Run alone: DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m browser tests/test_browser_ui.py
Every instance runs at a fixed "now" (Sunday 29 November 2026, 10:00) in a fixed zone.
"""

from __future__ import annotations

import re

import pytest

from devtools.instances import wait_until
from tests import test_browser as base
from tests.test_browser import NOW, TZ, quick_add, set_up_owner, shot

browser, page = base.browser, base.page  # the same Chromium and page fixtures as test_browser.py

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
LONG_TITLE = "Planning" + "x" * 300
LINK_TITLE = "Standup https://meet.example.org/abc-def?x=1&y=2 then coffee"


def axe_problems(pg) -> list[str]:
    """Serious and critical axe violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(pg, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def owner_page(page, spawn):
    inst = spawn("ui", now=NOW, tz=TZ)
    set_up_owner(page, inst)
    page.inst = inst
    return page


def phone_page(browser, page):
    context = browser.new_context(**PHONE, storage_state=page.context.storage_state())
    mobile = context.new_page()
    mobile.set_default_timeout(15000)
    return mobile


def fill_some(pg) -> None:
    for text in ("lunch every tuesday at noon", "dentist tomorrow at 9", "team offsite from 1 dec to 3 dec",
                 LINK_TITLE + " tomorrow at 11"):
        quick_add(pg, text)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_main_pages_have_no_serious_accessibility_problems(owner_page, browser, scheme):
    pg = owner_page
    fill_some(pg)
    url = pg.inst.url
    pg.emulate_media(color_scheme=scheme)
    pages = ["/", "/?d=2026-12-01", "/week/?d=2026-12-01", "/day/?d=2026-11-30", "/agenda/", "/peers/",
             "/settings/", "/calendar/", "/conflicts/"]
    problems = {}
    for path in pages:
        pg.goto(url + path)
        pg.wait_for_load_state("networkidle")
        problems[path] = axe_problems(pg)
    pg.goto(url + "/agenda/")
    pg.locator(".agenda-item a.what").first.click()
    pg.wait_for_url(re.compile(r"/event/"))
    pg.get_by_label("Time zone").fill("Mars/Olympus")
    pg.get_by_role("button", name="Save").click()
    pg.locator(".has-error").first.wait_for()
    problems["event with an error"] = axe_problems(pg)
    mobile = phone_page(browser, pg)
    mobile.emulate_media(color_scheme=scheme)
    for path in ("/", "/week/", "/day/"):
        mobile.goto(url + path)
        mobile.wait_for_load_state("networkidle")
        problems["phone " + path] = axe_problems(mobile)
    mobile.context.close()
    assert {k: v for k, v in problems.items() if v} == {}


def test_an_invalid_field_points_to_its_error(owner_page):
    pg = owner_page
    quick_add(pg, "dentist tomorrow at 9")
    pg.goto(pg.inst.url + "/agenda/")
    pg.locator(".agenda-item a.what").first.click()
    pg.get_by_label("Time zone").fill("Mars/Olympus")
    pg.get_by_role("button", name="Save").click()
    pg.locator(".has-error").wait_for()
    zone = pg.get_by_label("Time zone")
    assert zone.get_attribute("aria-invalid") == "true"
    error_id = zone.get_attribute("aria-describedby")
    assert "Mars/Olympus" in pg.locator(f"#{error_id}").inner_text()


def test_the_quick_add_box_is_marked_invalid_while_it_shows_an_error(owner_page):
    box = owner_page.get_by_label("Quick add an event")
    box.type("lunch with Bob", delay=5)
    owner_page.locator("#qa-preview .qa-hint").wait_for()  # still typing: a hint, not an error
    assert box.get_attribute("aria-invalid") is None
    with owner_page.expect_response(lambda r: "/quick/add/" in r.url):
        box.press("Enter")
    owner_page.locator("#qa-error").get_by_text("no date or time").wait_for()
    assert box.get_attribute("aria-invalid") == "true"
    box.fill("lunch with Bob tomorrow at 1pm")
    box.press("End")
    owner_page.locator("#qa-preview dd").first.wait_for()
    assert box.get_attribute("aria-invalid") is None


def test_the_skip_link_is_the_first_stop_and_jumps_to_the_content(owner_page):
    pg = owner_page
    pg.keyboard.press("Tab")
    skip = pg.get_by_role("link", name="Skip to the content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # shown while focused
    pg.keyboard.press("Enter")
    assert pg.evaluate("document.activeElement.id") == "main"


def test_arrow_keys_move_between_the_days_of_the_month(owner_page):
    pg = owner_page
    today = pg.locator('.day[data-day="2026-11-29"] .dnum')
    assert today.get_attribute("tabindex") == "0"
    assert pg.locator('.month-grid .dnum[tabindex="0"]').count() == 1  # one tab stop for the grid
    today.focus()
    pg.keyboard.press("ArrowLeft")
    assert pg.evaluate("document.activeElement.closest('.day').dataset.day") == "2026-11-28"
    pg.keyboard.press("ArrowUp")
    assert pg.evaluate("document.activeElement.closest('.day').dataset.day") == "2026-11-21"
    pg.keyboard.press("End")
    assert pg.evaluate("document.activeElement.closest('.day').dataset.day") == "2026-11-22"
    for _ in range(2):
        pg.keyboard.press("ArrowDown")
    assert pg.evaluate("document.activeElement.closest('.day').dataset.day") == "2026-12-06"
    pg.keyboard.press("ArrowDown")  # past the grid's last row: December, the same weekday focused
    pg.get_by_role("heading", name="December 2026").wait_for()
    pg.wait_for_function("document.activeElement.closest('.day') && document.activeElement.closest('.day').dataset.day === '2026-12-13'")
    assert pg.url.endswith("/?d=2026-12-13")


def test_shortcuts_move_between_views_and_dates(owner_page):
    pg = owner_page
    pg.locator("body").press("n")
    pg.get_by_role("heading", name="December 2026").wait_for()
    pg.locator("body").press("t")
    pg.get_by_role("heading", name="November 2026").wait_for()
    pg.locator("body").press("w")
    pg.wait_for_url(re.compile(r"/week/$"))
    pg.get_by_role("heading", name="23 – 29 November 2026").wait_for()
    pg.locator("body").press("d")
    pg.wait_for_url(re.compile(r"/day/$"))
    pg.get_by_role("heading", name="Sunday 29 November 2026").wait_for()
    pg.locator("body").press("p")
    pg.get_by_role("heading", name="Saturday 28 November 2026").wait_for()
    pg.locator("body").press("/")
    assert pg.evaluate("document.activeElement.id") == "qa-text"
    pg.keyboard.type("n")  # typing in a field is typing, not a shortcut
    assert pg.get_by_label("Quick add an event").input_value() == "n"
    pg.evaluate("document.activeElement.blur()")
    pg.locator("body").press("?")
    dialog = pg.get_by_role("dialog", name="Keyboard shortcuts")
    assert dialog.is_visible() and "Next / previous" in dialog.inner_text()
    pg.keyboard.press("Escape")
    assert not dialog.is_visible()
    pg.get_by_role("button", name="Keyboard shortcuts").click()
    assert dialog.is_visible()


def test_a_long_title_wraps_and_an_address_in_it_is_a_safe_link(owner_page, browser):
    pg = owner_page
    quick_add(pg, LONG_TITLE + " tomorrow at 9")
    quick_add(pg, LINK_TITLE + " tomorrow at 11")
    mobile = phone_page(browser, pg)
    for viewport_page, width in ((pg, 1280), (mobile, 375)):
        for title in (LONG_TITLE, "Standup"):
            viewport_page.goto(pg.inst.url + "/agenda/")
            viewport_page.locator(".agenda-item a.what", has_text=title).first.click()
            viewport_page.wait_for_url(re.compile(r"/event/"))
            assert viewport_page.evaluate("document.documentElement.scrollWidth") <= width, (title, width)
    link = mobile.locator("h1 a", has_text="https://meet.example.org/abc-def?x=1&y=2")
    assert link.get_attribute("href") == "https://meet.example.org/abc-def?x=1&y=2"
    assert "noopener" in link.get_attribute("rel")
    assert mobile.locator("h1").inner_text().endswith("then coffee")
    shot(mobile, "event-phone-link")
    mobile.context.close()


def test_a_phone_shows_three_days_of_the_week_and_swipes_to_the_rest(owner_page, browser):
    pg = owner_page
    quick_add(pg, "dentist tomorrow at 9")
    mobile = phone_page(browser, pg)
    mobile.goto(pg.inst.url + "/week/?d=2026-11-30")
    mobile.locator(".wk-ev .chip", has_text="dentist").wait_for()
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    grid = mobile.locator(".week-grid")
    box = grid.bounding_box()

    def shown_days():
        return mobile.eval_on_selector_all(".wk-col", f"""cols => cols.filter(c => {{
            const r = c.getBoundingClientRect();
            return r.left >= {box['x']} + 30 && r.right <= {box['x'] + box['width']} + 1;
        }}).map(c => c.dataset.day)""")

    assert shown_days() == ["2026-11-30", "2026-12-01", "2026-12-02"]
    chip = mobile.locator(".wk-ev .chip", has_text="dentist").bounding_box()
    assert chip["width"] > 80  # readable, not a seventh of a phone
    grid.evaluate("g => g.scrollBy({left: g.querySelector('.wk-col').offsetWidth * 3})")
    mobile.wait_for_function("document.querySelector('.week-grid').scrollLeft > 0")
    assert shown_days() == ["2026-12-03", "2026-12-04", "2026-12-05"]
    shot(mobile, "week-phone")
    mobile.context.close()


def dots(pg, day: str) -> int:
    """How many dots a phone's month cell shows (its events, drawn small)."""
    return pg.eval_on_selector_all(f'.day[data-day="{day}"] :is(.chip, .evdot)',
                                   "marks => marks.filter(m => m.getClientRects().length).length")


def test_the_phone_month_has_dots_and_the_tapped_days_list(owner_page, browser):
    pg = owner_page
    quick_add(pg, "lunch every tuesday at noon")
    quick_add(pg, "team offsite from 1 dec to 3 dec")
    mobile = phone_page(browser, pg)
    mobile.goto(pg.inst.url + "/?d=2026-12-01")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    assert dots(mobile, "2026-12-01") == 2  # lunch and the offsite
    assert dots(mobile, "2026-12-02") == 1
    day_list = mobile.locator(".day-list")
    assert "Tuesday 1 December" in day_list.locator("h2").inner_text()
    assert day_list.locator(".chip", has_text="lunch").is_visible()
    mobile.evaluate("window.__marker = 'no reload'")
    mobile.locator('.day[data-day="2026-12-02"] .dnum').tap()
    day_list.locator("h2", has_text="Wednesday 2 December").wait_for()
    assert day_list.locator(".chip").all_inner_texts() == ["team offsite"]
    assert mobile.evaluate("window.__marker") == "no reload"
    assert mobile.url.endswith("/?d=2026-12-02")
    shot(mobile, "month-phone-dots")
    mobile.context.close()


def test_a_multi_day_event_is_one_bar_and_a_full_day_says_how_many_more(owner_page):
    pg = owner_page
    quick_add(pg, "team offsite from 1 dec to 3 dec")
    for hour in range(8, 14):
        quick_add(pg, f"call {hour} on 2 dec at {hour}")
    pg.goto(pg.inst.url + "/?d=2026-12-01")
    bar = pg.locator(".bar .chip", has_text="team offsite")
    assert bar.count() == 1
    first = pg.locator('.day[data-day="2026-12-01"]').bounding_box()
    third = pg.locator('.day[data-day="2026-12-03"]').bounding_box()
    spans = bar.bounding_box()
    assert spans["x"] < first["x"] + 10 and spans["x"] + spans["width"] > third["x"] + third["width"] - 10
    busy = pg.locator('.day[data-day="2026-12-02"]')
    # the bar (drawn from the 1st) and two calls fill three lines, "+4 more" the fourth
    assert busy.locator(".chip").all_inner_texts() == ["08:00 call 8", "09:00 call 9"]
    shot(pg, "month-bars")
    busy.get_by_role("link", name="+4 more").click()
    pg.wait_for_url(re.compile(r"/day/\?d=2026-12-02"))
    assert pg.locator(".wk-ev .chip").count() == 6


def test_overlapping_events_sit_side_by_side_in_the_day(owner_page):
    pg = owner_page
    quick_add(pg, "design review tomorrow from 10 to 12")
    quick_add(pg, "call with Ana tomorrow at 11")
    pg.goto(pg.inst.url + "/day/?d=2026-11-30")
    review = pg.locator(".wk-ev", has_text="design review").bounding_box()
    call = pg.locator(".wk-ev", has_text="call with Ana").bounding_box()
    assert review["x"] + review["width"] <= call["x"] + 1  # side by side, neither covers the other
    assert call["y"] < review["y"] + review["height"]  # at overlapping times
    shot(pg, "day")


def slot_point(pg, day: str, hour: float) -> tuple[float, float]:
    """Where on screen the column of `day` shows `hour` o'clock."""
    col = pg.locator(f'.wk-col[data-day="{day}"]')
    col.scroll_into_view_if_needed()
    pg.locator(".wk-body").evaluate(f"(b, h) => b.scrollTop = b.scrollHeight * {max(hour - 2, 0)} / 24", None)
    box = col.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] * hour / 24


def test_clicking_an_empty_slot_opens_a_small_form_at_that_time(owner_page):
    pg = owner_page
    pg.goto(pg.inst.url + "/week/?d=2026-12-01")
    x, y = slot_point(pg, "2026-12-02", 14.2)
    pg.mouse.click(x, y)
    box = pg.get_by_label("New event 14:00–15:00")
    assert box.evaluate("el => el === document.activeElement")
    box.type("Tea with Mara")
    box.press("Enter")
    chip = pg.locator('.wk-col[data-day="2026-12-02"] .chip', has_text="Tea with Mara")
    chip.wait_for()
    assert chip.inner_text().startswith("14:00")
    assert pg.locator(".slot-form").count() == 0


def test_dragging_down_an_empty_column_sets_the_new_events_length(owner_page):
    pg = owner_page
    pg.goto(pg.inst.url + "/day/?d=2026-12-02")
    x, y = slot_point(pg, "2026-12-02", 9)
    y_end = y + (pg.locator(".wk-col").bounding_box()["height"] / 24) * 2.5
    pg.mouse.move(x, y)
    pg.mouse.down()
    pg.mouse.move(x, (y + y_end) / 2, steps=4)
    pg.mouse.move(x, y_end, steps=4)
    pg.mouse.up()
    box = pg.get_by_label("New event 09:00–11:30")
    box.fill("Workshop")
    pg.get_by_role("button", name="Save").click()
    pg.locator(".chip", has_text="Workshop").wait_for()
    pg.locator(".chip", has_text="Workshop").click()
    pg.wait_for_url(re.compile(r"/event/"))
    assert pg.get_by_label("Start time").input_value() == "09:00"
    assert pg.get_by_label("End time").input_value() == "11:30"


def drag(pg, locator, dx: float, dy: float, *, from_bottom: bool = False) -> None:
    # The page redraws itself after each write (once for the write, once for the live
    # "index changed"): an element found a moment ago may just have been replaced.
    box = wait_until(locator.bounding_box, 10, message="the element to drag is on screen")
    x = box["x"] + box["width"] / 2
    y = box["y"] + (box["height"] - 2 if from_bottom else 8)
    pg.mouse.move(x, y)
    pg.mouse.down()
    pg.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    pg.mouse.move(x + dx, y + dy, steps=5)
    pg.mouse.up()


def test_dragging_an_event_moves_it_and_its_edge_resizes_it(owner_page):
    pg = owner_page
    quick_add(pg, "dentist on 1 dec at 9")
    pg.goto(pg.inst.url + "/week/?d=2026-12-01")
    pg.locator(".wk-body").evaluate("b => b.scrollTop = b.scrollHeight * 7 / 24")
    hour = pg.locator(".wk-col").first.bounding_box()["height"] / 24
    day_width = pg.locator(".wk-col").first.bounding_box()["width"]
    event = pg.locator(".wk-ev", has_text="dentist")
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        drag(pg, event, day_width, 2 * hour)  # a day later, two hours later
    moved = pg.locator('.wk-col[data-day="2026-12-02"] .wk-ev', has_text="dentist")
    moved.wait_for()
    assert moved.inner_text().startswith("11:00")
    assert pg.url.endswith("/week/?d=2026-12-01")  # no navigation to the event
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        drag(pg, moved, 0, hour / 2, from_bottom=True)
    pg.locator(".wk-ev .chip", has_text="dentist").click()
    pg.wait_for_url(re.compile(r"/event/"))
    assert pg.get_by_label("Start time").input_value() == "11:00"
    assert pg.get_by_label("End time").input_value() == "12:30"
    assert pg.locator(".history > ol > li").count() == 3  # created, moved, resized: one entry each


@pytest.mark.parametrize(("choice", "moved_days"), [("This event", 1), ("All events", 5)])
def test_dragging_a_repeating_event_asks_this_or_all(owner_page, choice, moved_days):
    pg = owner_page
    quick_add(pg, "lunch every tuesday at noon")
    pg.goto(pg.inst.url + "/week/?d=2026-12-01")
    pg.locator(".wk-body").evaluate("b => b.scrollTop = b.scrollHeight * 10 / 24")
    hour = pg.locator(".wk-col").first.bounding_box()["height"] / 24
    drag(pg, pg.locator(".wk-ev", has_text="lunch"), 0, hour)
    dialog = pg.get_by_role("dialog", name="Change a repeating event")
    with pg.expect_response(lambda r: "fragment=1" in r.url):
        dialog.get_by_role("button", name=choice).click()
    pg.locator(".wk-ev", has_text="lunch").filter(has_text="13:00").wait_for()
    pg.goto(pg.inst.url + "/?d=2026-12-01")
    at_one = pg.locator(".day .chip", has_text="lunch").filter(has_text="13:00").count()
    assert at_one == moved_days  # Tuesdays 1, 8, 15, 22, 29 December


def test_the_browsers_own_zone_is_offered_and_set_in_one_click(browser, spawn):
    inst = spawn("zone", now=NOW)  # no TIME_ZONE variable: Settings holds the zone
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    set_up_owner(pg, inst)
    offer = pg.locator(".tz-offer")
    offer.get_by_text("this device is in America/New_York").wait_for()
    offer.get_by_role("button", name="Show times in America/New_York").click()
    pg.get_by_text("times are now shown in America/New_York").wait_for()
    pg.goto(inst.url + "/")
    assert pg.locator(".tz").inner_text() == "America/New_York"
    assert pg.locator(".tz-offer").is_hidden()  # the same zone now: nothing to offer
    context.close()


def test_keeping_the_instances_zone_hides_the_offer(browser, spawn):
    inst = spawn("zone2", now=NOW)
    context = browser.new_context(timezone_id="Asia/Tokyo")
    pg = context.new_page()
    set_up_owner(pg, inst)
    shown = pg.locator(".tz").inner_text()
    pg.locator(".tz-offer").get_by_role("button", name=f"Keep {shown}").click()
    assert pg.locator(".tz-offer").is_hidden()
    pg.reload()
    assert pg.locator(".tz-offer").is_hidden()
    context.close()


def test_no_zone_is_offered_when_an_environment_variable_sets_it(browser, spawn):
    inst = spawn("zone3", now=NOW, tz=TZ)  # TIME_ZONE set: Settings cannot change it
    context = browser.new_context(timezone_id="Asia/Tokyo")
    pg = context.new_page()
    set_up_owner(pg, inst)
    pg.goto(inst.url + "/week/")
    assert pg.locator(".tz").inner_text() == TZ and pg.locator(".tz-offer").is_hidden()
    context.close()


def test_cancelling_an_occurrence_asks_first_and_can_be_undone(owner_page):
    pg = owner_page
    quick_add(pg, "lunch every tuesday at noon")
    pg.goto(pg.inst.url + "/?d=2026-12-08")
    pg.locator('.day[data-day="2026-12-08"] .chip', has_text="lunch").click()
    pg.wait_for_url(re.compile(r"/event/"))
    asked = []
    pg.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    pg.get_by_role("button", name="Cancel this occurrence").click()
    assert asked and "Cancel “lunch”" in asked[0]
    assert "/event/" in pg.url  # dismissed: nothing happened
    pg.once("dialog", lambda d: d.accept())
    pg.get_by_role("button", name="Cancel this occurrence").click()
    pg.wait_for_url(re.compile(r"/\?d=2026-12-08"))
    assert pg.locator('.day[data-day="2026-12-08"] .chip').count() == 0
    pg.locator(".messages").get_by_role("button", name="Undo").click()
    pg.locator('.day[data-day="2026-12-08"] .chip', has_text="lunch").wait_for()
    assert "Undone." in pg.locator(".messages").inner_text()
