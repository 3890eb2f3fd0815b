"""Month grid, week with hours, agenda: read-only views of the index.

Each view renders a full page, or with `?fragment=1` only its calendar part,
which the page re-fetches after a quick-add or when the index changes.
"""

from __future__ import annotations

import calendar as pycal
import colorsys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from events import clock, log
from events.authors import author_hue, author_label, author_names
from events.calendars import mirrors
from events.calendars import state as calendar_state
from events.calendars.manage import hidden_calendars
from events.index.fold import catch_up
from events.index.query import query
from events.preferences import viewer_tz
from events.views.auth import owner_required
from events.views.common import page_context, parse_day

MAX_CHIPS_PER_DAY = 6
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


def event_url(uid: str, rid: str | None) -> str:
    query = {"uid": uid}
    if rid:
        query["rid"] = rid
    return f"{reverse('event')}?{urlencode(query)}"


def conflict_url(uid: str, rid: str | None) -> str:
    return f"{reverse('conflicts')}#{urlencode({'uid': uid, 'rid': rid or ''})}"


def _days_of(occ, first: date, last: date) -> list[date]:
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


def _chip(occ, looks: Looks, *, on: date | None = None) -> Chip:
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


def _render(request, template: str, fragment: str, context: dict):
    if request.GET.get("fragment"):
        return render(request, fragment, context)
    return render(request, template, page_context(request, **context))


def _nav(view: str, prev: date, nxt: date) -> dict:
    url = reverse(view)
    return {"prev_url": f"{url}?d={prev}", "next_url": f"{url}?d={nxt}", "today_url": url}


@owner_required
def month(request):
    if settings.MODE == "mirror":
        return mirror_page(request)
    tz = viewer_tz()
    today = _today(tz)
    shown = parse_day(request.GET.get("d"), today).replace(day=1)
    first = shown - timedelta(days=shown.weekday())
    last_of_month = shown.replace(day=pycal.monthrange(shown.year, shown.month)[1])
    last = last_of_month + timedelta(days=6 - last_of_month.weekday())
    days = {first + timedelta(days=i): Day(first + timedelta(days=i), False) for i in range((last - first).days + 1)}
    catch_up()
    result = query(first, last + timedelta(days=1), tz)
    look = looks()
    for occ in look.shown(result.occurrences):
        for d in _days_of(occ, first, last):
            cell = days[d]
            if len(cell.chips) < MAX_CHIPS_PER_DAY:
                cell.chips.append(_chip(occ, look, on=d))
            else:
                cell.more += 1
    for d, cell in days.items():
        cell.today = d == today
        cell.in_month = d.month == shown.month
    weeks = [list(days.values())[i : i + 7] for i in range(0, len(days), 7)]
    prev = (shown - timedelta(days=1)).replace(day=1)
    context = {
        "nav": "month",
        "title": shown.strftime("%B %Y"),
        "weeks": weeks,
        "weekdays": [pycal.day_abbr[i] for i in range(7)],
        "tz": tz,
        "truncated": result.truncated,
        "week_url": reverse("week"),
        "fragment_url": f"{reverse('month')}?d={shown}&fragment=1",
        **_nav("month", prev, last_of_month + timedelta(days=1)),
    }
    return _render(request, "calendar/month.html", "calendar/_month.html", context)


def _assign_lanes(chips: list[tuple[float, float, Chip]]) -> None:
    """Side by side columns for overlapping timed events of one day."""
    chips.sort(key=lambda t: (t[0], -t[1]))
    group: list[tuple[float, float, Chip]] = []
    lanes_end: list[float] = []
    group_end = -1.0

    def close_group():
        for _, _, chip in group:
            chip.lanes = len(lanes_end)

    for start, end, chip in chips:
        if start >= group_end and group:
            close_group()
            group, lanes_end = [], []
        for lane, lane_end in enumerate(lanes_end):
            if lane_end <= start:
                lanes_end[lane] = end
                chip.lane = lane
                break
        else:
            chip.lane = len(lanes_end)
            lanes_end.append(end)
        group.append((start, end, chip))
        group_end = max(group_end, end)
    if group:
        close_group()


@owner_required
def week(request):
    tz = viewer_tz()
    zone = ZoneInfo(tz)
    today = _today(tz)
    shown = parse_day(request.GET.get("d"), today)
    first = shown - timedelta(days=shown.weekday())
    last = first + timedelta(days=6)
    days = [Day(first + timedelta(days=i), first + timedelta(days=i) == today) for i in range(7)]
    all_day = [Day(d.day, d.today) for d in days]
    catch_up()
    result = query(first, last + timedelta(days=1), tz)
    look = looks()
    timed: dict[date, list[tuple[float, float, Chip]]] = {d.day: [] for d in days}
    for occ in look.shown(result.occurrences):
        for d in _days_of(occ, first, last):
            chip = _chip(occ, look, on=d)
            if occ.all_day:
                all_day[(d - first).days].chips.append(chip)
                continue
            day_start = datetime(d.year, d.month, d.day, tzinfo=zone)
            day_end = day_start + timedelta(days=1)
            start = max(occ.start, day_start)
            end = min(max(occ.end, occ.start + timedelta(minutes=30)), day_end)
            chip.top = round((start - day_start).total_seconds() / 864, 3)
            chip.height = round(max((end - start).total_seconds() / 864, 1.8), 3)
            timed[d].append((chip.top, chip.top + chip.height, chip))
    for d in days:
        _assign_lanes(timed[d.day])
        d.chips = [c for _, _, c in timed[d.day]]
    context = {
        "nav": "week",
        "title": _week_title(first, last),
        "days": days,
        "all_day": all_day,
        "has_all_day": any(d.chips for d in all_day),
        "hours": [f"{h:02d}:00" for h in range(24)],
        "tz": tz,
        "now_top": _now_top(zone, first, last),
        "fragment_url": f"{reverse('week')}?d={first}&fragment=1",
        **_nav("week", first - timedelta(days=7), first + timedelta(days=7)),
    }
    return _render(request, "calendar/week.html", "calendar/_week.html", context)


def _week_title(first: date, last: date) -> str:
    if first.month == last.month:
        return f"{first.day} – {last.day} {last.strftime('%B %Y')}"
    if first.year == last.year:
        return f"{first.day} {first.strftime('%b')} – {last.day} {last.strftime('%b %Y')}"
    return f"{first.strftime('%-d %b %Y')} – {last.strftime('%-d %b %Y')}"


def _now_top(zone: ZoneInfo, first: date, last: date) -> dict | None:
    now = clock.now(zone)
    if not first <= now.date() <= last:
        return None
    return {"col": (now.date() - first).days, "top": round((now.hour * 60 + now.minute) / 14.4, 3)}


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
        for d in _days_of(occ, first, last)[:1] or [first]:
            days.setdefault(d, Day(d, d == today)).chips.append(_chip(occ, look, on=d))
            count += 1
    context = {
        "nav": "agenda",
        "title": f"{first.strftime('%-d %b')} – {last.strftime('%-d %b %Y')}",
        "days": sorted(days.values(), key=lambda d: d.day),
        "tz": tz,
        "limited": count >= AGENDA_LIMIT,
        "fragment_url": f"{reverse('agenda')}?d={first}&fragment=1",
        **_nav("agenda", first - timedelta(days=AGENDA_DAYS), last + timedelta(days=1)),
    }
    return _render(request, "calendar/agenda.html", "calendar/_agenda.html", context)
