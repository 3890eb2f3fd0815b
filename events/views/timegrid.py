"""The week and the day: columns of hours with the timed events placed by
their start and length, overlapping ones side by side, and all-day events
in a band above. Read-only views of the index, like the month.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse

from events import clock
from events.index.fold import catch_up
from events.index.query import query
from events.preferences import viewer_tz
from events.views.auth import owner_required
from events.views.calendar import Chip, Day, chip_of, days_of, looks, nav_links, render_view
from events.views.common import parse_day

MIN_HEIGHT = 1.8  # percent of a day (26 minutes): a short event stays readable
DAY_SECONDS_PER_PERCENT = 864


def assign_lanes(chips: list[tuple[float, float, Chip]]) -> None:
    """Side by side columns for overlapping timed events of one day: each
    group of events that overlap one another, directly or through others,
    shares its width between as many lanes as it needs at once."""
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


def _columns(first: date, count: int, tz: str) -> dict:
    """The days first .. first+count-1 with their timed chips placed and all-day chips apart."""
    zone = ZoneInfo(tz)
    today = clock.today(tz)
    last = first + timedelta(days=count - 1)
    days = [Day(first + timedelta(days=i), first + timedelta(days=i) == today) for i in range(count)]
    all_day = [Day(d.day, d.today) for d in days]
    catch_up()
    result = query(first, last + timedelta(days=1), tz)
    look = looks()
    timed: dict[date, list[tuple[float, float, Chip]]] = {d.day: [] for d in days}
    for occ in look.shown(result.occurrences):
        for d in days_of(occ, first, last):
            chip = chip_of(occ, look, on=d)
            if occ.all_day:
                all_day[(d - first).days].chips.append(chip)
                continue
            day_start = datetime(d.year, d.month, d.day, tzinfo=zone)
            start = max(occ.start, day_start)
            end = min(max(occ.end, occ.start + timedelta(minutes=30)), day_start + timedelta(days=1))
            chip.top = round((start - day_start).total_seconds() / DAY_SECONDS_PER_PERCENT, 3)
            chip.height = round(max((end - start).total_seconds() / DAY_SECONDS_PER_PERCENT, MIN_HEIGHT), 3)
            timed[d].append((chip.top, chip.top + chip.height, chip))
    for d in days:
        assign_lanes(timed[d.day])
        d.chips = [c for _, _, c in timed[d.day]]
    return {
        "days": days,
        "all_day": all_day,
        "has_all_day": any(d.chips for d in all_day),
        "hours": [f"{h:02d}:00" for h in range(24)],
        "tz": tz,
        "now_top": _now_top(zone, first, last),
        "truncated": result.truncated,
        "cols": count,
        "day_url": reverse("day"),
    }


@owner_required
def week(request):
    tz = viewer_tz()
    shown = parse_day(request.GET.get("d"), clock.today(tz))
    first = shown - timedelta(days=shown.weekday())
    context = {
        **_columns(first, 7, tz),
        "nav": "week",
        "view": "week",
        "title": _week_title(first, first + timedelta(days=6)),
        "selected": shown,
        "fragment_url": f"{reverse('week')}?d={shown}&fragment=1",
        **nav_links("week", first - timedelta(days=7), first + timedelta(days=7)),
    }
    return render_view(request, "calendar/week.html", "calendar/_week.html", context)


@owner_required
def day(request):
    tz = viewer_tz()
    shown = parse_day(request.GET.get("d"), clock.today(tz))
    context = {
        **_columns(shown, 1, tz),
        "nav": "day",
        "view": "day",
        "title": f"{shown:%A} {shown.day} {shown:%B %Y}",
        "selected": shown,
        "fragment_url": f"{reverse('day')}?d={shown}&fragment=1",
        **nav_links("day", shown - timedelta(days=1), shown + timedelta(days=1)),
    }
    return render_view(request, "calendar/day.html", "calendar/_week.html", context)


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
