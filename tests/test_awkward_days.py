"""The calendar on awkward days: month ends, year ends, 29 February, Sundays and
the days clocks change. "Today" is fixed with CALENDAR_NOW and the zone with
CALENDAR_TIME_ZONE (pytest-django's `settings`), so every run checks the same days.

For each day: the month, week and agenda pages render around it, and a
"lunch every tuesday at noon" series added at that moment is on each of its
coming Tuesdays, including those among the grid's days of the next month.
"""

from __future__ import annotations

import calendar as pycal
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from events import clock

pytestmark = pytest.mark.django_db(databases=["default", "index"])

BUCHAREST, NEW_YORK = "Europe/Bucharest", "America/New_York"

# (CALENDAR_NOW, zone): wall-clock moments in the zone.
DAYS = {
    "sunday-before-a-month-end": ("2026-11-29T10:00", BUCHAREST),
    "last-of-november": ("2026-11-30T10:00", BUCHAREST),
    "last-of-april": ("2026-04-30T10:00", BUCHAREST),
    "31-december-late": ("2026-12-31T23:30", BUCHAREST),
    "31-december-a-monday": ("2029-12-31T10:00", BUCHAREST),
    "new-year-just-after-midnight": ("2027-01-01T00:30", BUCHAREST),
    "29-february-a-tuesday-before-noon": ("2028-02-29T10:00", BUCHAREST),
    "29-february-a-tuesday-after-noon": ("2028-02-29T13:00", BUCHAREST),
    "clocks-go-forward-bucharest": ("2026-03-29T04:30", BUCHAREST),
    "clocks-go-back-bucharest": ("2026-10-25T03:30", BUCHAREST),
    "clocks-go-forward-new-york": ("2027-03-14T03:30", NEW_YORK),
    "clocks-go-back-new-york": ("2027-11-07T01:30", NEW_YORK),
}


@pytest.fixture(params=list(DAYS), ids=list(DAYS))
def moment(request, settings) -> datetime:
    """The fixed now of one awkward day, set for the views."""
    now, tz = DAYS[request.param]
    settings.CALENDAR_NOW = now
    settings.CALENDAR_TIME_ZONE = tz
    return datetime.fromisoformat(now).replace(tzinfo=ZoneInfo(tz))


def first_lunch(now: datetime) -> date:
    """The first Tuesday at noon strictly after `now`."""
    d = now.date()
    while d.weekday() != 1 or datetime.combine(d, time(12), now.tzinfo) <= now:
        d += timedelta(days=1)
    return d


def grid(month: date) -> list[date]:
    """The days a month page shows: Monday before the 1st to Sunday after the last."""
    first = month.replace(day=1)
    last = first.replace(day=pycal.monthrange(first.year, first.month)[1])
    start, end = first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


CELL = re.compile(r'<div class="day([^"]*)" role="gridcell"(?: aria-selected="true")? data-day="([0-9-]{10})">(.*?)</div>', re.S)
LUNCH_CHIP = '<span class="t">12:00</span> <span class="ttl">lunch</span>'


def month_cells(html: str) -> dict[date, tuple[set[str], str]]:
    return {date.fromisoformat(d): (set(classes.split()), body) for classes, d, body in CELL.findall(html)}


def week_columns(html: str) -> dict[date, tuple[str, str]]:
    """The week page's day columns: day -> (class attribute, content up to the next column)."""
    parts = re.split(r'<div class="wk-col', html)[1:]
    out = {}
    for part in parts:
        found = re.match(r'([^"]*)" data-day="([0-9-]{10})"', part)
        assert found, part[:200]
        out[date.fromisoformat(found.group(2))] = (found.group(1), part)
    return out


def add_lunch(client) -> dict:
    response = client.post("/quick/add/", {"text": "lunch every tuesday at noon"})
    assert response.status_code == 201, response.content
    return response.json()


def check_month(client, url: str, month: date, today: date, first: date | None) -> None:
    """The month page of `month`; lunch on every Tuesday from `first` (None: no series yet)."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<title>{month:%B %Y}" in html or f">{month:%B %Y}</h1>" in html
    cells = month_cells(html)
    assert list(cells) == grid(month)
    for d, (classes, body) in cells.items():
        assert ("today" in classes) == (d == today), d
        assert ("other" in classes) == (d.month != month.month), d
        lunch = first is not None and d.weekday() == 1 and d >= first
        assert (LUNCH_CHIP in body) == lunch, d
        # a day with an event is never "empty": the phone list shows it, in this month or not
        assert ("empty" in classes) == (not lunch), d
        if d.month != month.month:
            assert f'<span class="mname"> {d:%b}</span>' in body, d


def test_the_month_pages_show_every_coming_tuesday(owner_client, moment):
    today = moment.date()
    assert clock.today(moment.tzinfo.key) == today
    first = first_lunch(moment)
    check_month(owner_client, "/", today, today, None)
    made = add_lunch(owner_client)
    assert made["start"] == f"{first}T12:00:00" and made["rrule"] == "FREQ=WEEKLY;BYDAY=TU"
    check_month(owner_client, "/", today, today, first)
    check_month(owner_client, "/?fragment=1", today, today, first)
    after = next_month(today)
    check_month(owner_client, f"/?d={after}", after, today, first)


def test_the_week_page_has_today_the_now_line_and_the_tuesday(owner_client, moment):
    today = moment.date()
    first = first_lunch(moment)
    add_lunch(owner_client)
    monday = today - timedelta(days=today.weekday())
    for url, start in (("/week/", monday), (f"/week/?d={first}", first - timedelta(days=first.weekday()))):
        response = owner_client.get(url)
        assert response.status_code == 200
        columns = week_columns(response.content.decode())
        assert list(columns) == [start + timedelta(days=i) for i in range(7)]
        for d, (classes, body) in columns.items():
            is_today = d == today
            assert ("today" in classes.split()) == is_today, d
            assert ("now-line" in body) == is_today, d
            if is_today:
                top = round((moment.hour * 60 + moment.minute) / 14.4, 3)
                assert f'class="now-line" style="top:{top}%"' in body
            lunch = d.weekday() == 1 and d >= first
            assert (LUNCH_CHIP in body) == lunch, (url, d)


def test_the_agenda_lists_the_coming_tuesdays(owner_client, moment):
    today = moment.date()
    first = first_lunch(moment)
    add_lunch(owner_client)
    response = owner_client.get("/agenda/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{today:%-d %b} – " in html
    days = [today + timedelta(days=i) for i in range(30)]
    expected = [d for d in days if d.weekday() == 1 and d >= first]
    assert html.count(">lunch<") == len(expected)
    headings = re.findall(r'<span class="dnum">(\d+)</span> <span class="dname">([^<]+)</span>', html)
    assert headings == [(str(d.day), f"{d:%A, %B}") for d in expected]
    assert ('agenda-day today' in html) == (expected[:1] == [today])


def test_quick_add_reads_tomorrow_from_the_fixed_now(owner_client, moment):
    data = owner_client.get("/quick/preview/", {"text": "call tomorrow at 9"}).json()
    assert data["ok"]
    tomorrow = moment.date() + timedelta(days=1)
    assert data["summary"]["when"].startswith(f"{tomorrow:%a %-d %b %Y}, 09:00")
