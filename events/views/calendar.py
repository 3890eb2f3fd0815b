"""Month grid and agenda: read-only views of the index (the week and the day: `timegrid`).

Each view renders a full page, or with `?fragment=1` only its calendar part,
which the page re-fetches after a quick-add or when the index changes.
"""

from __future__ import annotations

import calendar as pycal
import colorsys
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from events import clock, instance, log
from events.authors import author_hue, author_label, author_names
from events.calendars import mirrors
from events.calendars import state as calendar_state
from events.calendars.manage import hidden_calendars
from events.index.fold import catch_up
from events.index.query import query
from events.preferences import viewer_tz
from events.views.auth import owner_required
from events.views.common import page_context, parse_day
from events.views.month_layout import Week, fit_week, week_bars

MAX_CHIPS_PER_DAY = 4  # lines in a month cell, bars included; past it, "+N more"
DAY_LIST_LIMIT = 20  # events listed under a phone's month; the rest are a link to the day
AGENDA_DAYS = 30
AGENDA_LIMIT = 400


@dataclass(slots=True)
class Chip:
    """One occurrence as a view shows it on one day."""

    title: str
    time: str
    end_time: str
    all_day: bool
    url: str
    hue: int
    author: str
    recurring: bool
    conflict: bool
    conflict_url: str
    location: str
    continued: bool = False
    busy: bool = False  # a free/busy block: no title, place or description
    top: float = 0.0  # week view: percent of the day
    height: float = 0.0
    lane: int = 0
    lanes: int = 1


@dataclass(slots=True)
class Day:
    day: date
    today: bool
    in_month: bool = True
    chips: list[Chip] = field(default_factory=list)
    more: int = 0
    count: int = 0  # occurrences on the day, shown or not
    selected: bool = False
    spans: list[Chip] = field(default_factory=list)  # multi-day events covering the day
    bars: list = field(default_factory=list)  # month_layout.Bar beginning in this cell


def event_url(uid: str, rid: str | None) -> str:
    query = {"uid": uid}
    if rid:
        query["rid"] = rid
    return f"{reverse('event')}?{urlencode(query)}"


def conflict_url(uid: str, rid: str | None) -> str:
    return f"{reverse('conflicts')}#{urlencode({'uid': uid, 'rid': rid or ''})}"


def days_of(occ, first: date, last: date) -> list[date]:
    """The days (within first..last) that an occurrence covers, in the viewer's zone."""
    if occ.all_day:
        start, end = occ.start, max(occ.end, occ.start + timedelta(days=1))
        days_end = end - timedelta(days=1)
    else:
        start = occ.start.date()
        days_end = (occ.end - timedelta(microseconds=1)).date() if occ.end > occ.start else start
    start, days_end = max(start, first), min(days_end, last)
    return [start + timedelta(days=i) for i in range((days_end - start).days + 1)]


@dataclass(frozen=True)
class Looks:
    """How this instance shows events: authors' names, calendars' colours (as
    hues), and the calendars the owner hid."""

    names: dict[str, str]
    hues: dict[str, int]
    hidden: set[str]

    def shown(self, occurrences) -> list:
        return [o for o in occurrences if o.calendar not in self.hidden]


def _hue(colour: str) -> int:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return round(colorsys.rgb_to_hls(r, g, b)[0] * 360)


def looks() -> Looks:
    hues = {row.ref: _hue(row.colour) for row in calendar_state.visible() if row.colour}
    return Looks(author_names(), hues, hidden_calendars())


def chip_of(occ, looks: Looks, *, on: date | None = None) -> Chip:
    timed = not occ.all_day
    names = looks.names
    return Chip(
        title=occ.title,
        time=occ.start.strftime("%H:%M") if timed else "",
        end_time=occ.end.strftime("%H:%M") if timed else "",
        all_day=occ.all_day,
        url=event_url(occ.uid, occ.recurrence_id),
        hue=looks.hues.get(occ.calendar, author_hue(occ.author)),
        author=author_label(occ.author, names),
        recurring=occ.is_recurring,
        conflict=occ.conflict,
        conflict_url=conflict_url(occ.uid, occ.recurrence_id),
        location=occ.location or "",
        continued=on is not None and timed and occ.start.date() < on,
        busy=occ.busy,
    )


def mirror_page(request):
    """A mirror has no calendar: its home page says whom it relays for."""
    me = log.my_author_id()
    names = author_names()
    owners = sorted(author_label(a, names) for a in mirrors.owners_of(me))
    held = log.vector()
    return render(request, "mirror.html", page_context(request, owners=owners, feeds=len(held), entries=sum(held.values())))


def _today(tz: str) -> date:
    return clock.today(tz)


def render_view(request, template: str, fragment: str, context: dict):
    if request.GET.get("fragment"):
        return render(request, fragment, context)
    # the browser's own zone is offered only when Settings can change the instance's
    context["tz_settable"] = not instance.current().from_environment("time_zone")
    return render(request, template, page_context(request, **context))


def nav_links(view: str, prev: date, nxt: date) -> dict:
    url = reverse(view)
    return {"prev_url": f"{url}?d={prev}", "next_url": f"{url}?d={nxt}", "today_url": url}


@owner_required
def month(request):
    if settings.MODE == "mirror":
        return mirror_page(request)
    tz = viewer_tz()
    today = _today(tz)
    asked = parse_day(request.GET.get("d"), today)
    shown = asked.replace(day=1)
    # the day whose list a phone shows under the grid: the one asked for, or today in its month
    selected = asked if request.GET.get("d") or asked.month == shown.month else shown
    first = shown - timedelta(days=shown.weekday())
    last_of_month = shown.replace(day=pycal.monthrange(shown.year, shown.month)[1])
    last = last_of_month + timedelta(days=6 - last_of_month.weekday())
    days = {first + timedelta(days=i): Day(first + timedelta(days=i), False) for i in range((last - first).days + 1)}
    catch_up()
    result = query(first, last + timedelta(days=1), tz)
    look = looks()
    spans: list[tuple[Chip, list[date]]] = []
    chosen = Day(selected, selected == today)
    for occ in look.shown(result.occurrences):
        covered = days_of(occ, first, last)
        for d in covered:
            days[d].count += 1
        if selected in covered:
            if len(chosen.chips) < DAY_LIST_LIMIT:
                chosen.chips.append(chip_of(occ, look, on=selected))
            else:
                chosen.more += 1
        if len(covered) > 1:
            chip = chip_of(occ, look)
            spans.append((chip, covered))
            for d in covered:
                days[d].spans.append(chip)
            continue
        for d in covered:
            days[d].chips.append(occ)  # made a chip below, only if the cell has room for it
    for d, cell in days.items():
        cell.today = d == today
        cell.in_month = d.month == shown.month
        cell.selected = d == selected
    cells = list(days.values())
    weeks = []
    for i in range(0, len(cells), 7):
        week = Week(cells[i : i + 7])
        week.bars = week_bars([c.day for c in week.days], spans)
        fit_week(week, MAX_CHIPS_PER_DAY)
        for cell in week.days:
            cell.chips = [chip_of(occ, look, on=cell.day) for occ in cell.chips]
        weeks.append(week)
    prev = (shown - timedelta(days=1)).replace(day=1)
    context = {
        "nav": "month",
        "title": shown.strftime("%B %Y"),
        "weeks": weeks,
        "weekdays": [(pycal.day_abbr[i], pycal.day_name[i]) for i in range(7)],
        "selected": chosen,
        "tz": tz,
        "truncated": result.truncated,
        "day_url": reverse("day"),
        "month_url": reverse("month"),
        "fragment_url": f"{reverse('month')}?d={selected}&fragment=1",
        **nav_links("month", prev, last_of_month + timedelta(days=1)),
    }
    return render_view(request, "calendar/month.html", "calendar/_month.html", context)


@owner_required
def agenda(request):
    tz = viewer_tz()
    today = _today(tz)
    first = parse_day(request.GET.get("d"), today)
    last = first + timedelta(days=AGENDA_DAYS - 1)
    catch_up()
    result = query(first, last + timedelta(days=1), tz)
    look = looks()
    days: dict[date, Day] = {}
    count = 0
    for occ in look.shown(result.occurrences):
        if count >= AGENDA_LIMIT:
            break
        for d in days_of(occ, first, last)[:1] or [first]:
            days.setdefault(d, Day(d, d == today)).chips.append(chip_of(occ, look, on=d))
            count += 1
    context = {
        "nav": "agenda",
        "title": f"{first.strftime('%-d %b')} – {last.strftime('%-d %b %Y')}",
        "days": sorted(days.values(), key=lambda d: d.day),
        "tz": tz,
        "limited": count >= AGENDA_LIMIT,
        "fragment_url": f"{reverse('agenda')}?d={first}&fragment=1",
        **nav_links("agenda", first - timedelta(days=AGENDA_DAYS), last + timedelta(days=1)),
    }
    return render_view(request, "calendar/agenda.html", "calendar/_agenda.html", context)
