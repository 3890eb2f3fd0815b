"""Find a time: the owner picks friends whose calendars this instance can
see (whatever their role: free/busy blocks count too) and a duration; the
page proposes the next free slots within the owner's working hours (kept in
the Preference table), and one click makes the slot an event, as quick-add
does. All-day events do not block a slot (holidays and reminders usually
are all-day; they do not fill the day)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from events import calendar, clock, log
from events.authors import author_label, author_names
from events.calendars import state
from events.index.fold import catch_up
from events.index.query import query
from events.log import LocalWritesHeld
from events.models import Preference
from events.preferences import viewer_tz
from events.views.auth import owner_required
from events.views.calendar import event_url
from events.views.common import render_page
from events.views.slots import WorkHours, free_slots

HOURS_KEY = "work_hours"
DEFAULT_HOURS = WorkHours(time(9), time(17), (0, 1, 2, 3, 4))
DURATIONS = (15, 30, 45, 60, 90, 120, 180, 240)
DAYS_AHEAD = 14
PROPOSALS = 8
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def work_hours() -> WorkHours:
    row = Preference.objects.filter(key=HOURS_KEY).first()
    if row is None:
        return DEFAULT_HOURS
    try:
        value = json.loads(row.value)
        return WorkHours(time.fromisoformat(value["start"]), time.fromisoformat(value["end"]), tuple(value["days"]))
    except (ValueError, KeyError, TypeError):  # written by hand or by a later version: the default rather than a 500
        return DEFAULT_HOURS


def _friends() -> dict[str, str]:
    """Owner id -> name of every other owner whose calendar this instance can see."""
    me, names = log.my_author_id(), author_names()
    return {row.owner: author_label(row.owner, names) for row in state.visible() if row.owner != me}


def _busy(people: set[str], start: datetime, end: datetime, tz: str) -> list[tuple[datetime, datetime]]:
    """When any of `people` (calendar owners) is busy: their timed occurrences."""
    owners = {row.ref: row.owner for row in state.visible()}
    return [
        (occ.start, occ.end)
        for occ in query(start, end, tz).occurrences
        if not occ.all_day and owners.get(occ.calendar, occ.author) in people
    ]


def _duration(value: str | None) -> int:
    try:
        minutes = int(value or 60)
    except ValueError:
        return 60
    return minutes if minutes in DURATIONS else 60


@owner_required
def find_time(request):
    tz = viewer_tz()
    friends = _friends()
    chosen = [f for f in request.GET.getlist("with") if f in friends]
    minutes = _duration(request.GET.get("minutes"))
    hours = work_hours()
    context = {
        "nav": "findtime", "friends": sorted(friends.items(), key=lambda f: f[1].lower()), "chosen": chosen,
        "minutes": minutes, "durations": DURATIONS, "hours": hours, "tz": tz,
        "days": [(i, name, i in hours.days) for i, name in enumerate(DAY_NAMES)],
    }
    if "minutes" in request.GET:
        now = clock.now(tz)
        catch_up()
        busy = _busy({log.my_author_id(), *chosen}, now, now + timedelta(days=DAYS_AHEAD), tz)
        found = free_slots(busy, after=now, days=DAYS_AHEAD, hours=hours, duration=timedelta(minutes=minutes),
                           limit=PROPOSALS)
        # wall times in the owner's zone: the page shows them and books them as such
        context["slots"] = [(start.replace(tzinfo=None), end.replace(tzinfo=None)) for start, end in found]
        context["searched"] = True
        context["who"] = ", ".join(friends[f] for f in chosen)
    return render_page(request, "findtime.html", context)


@require_POST
@owner_required
def save_hours(request):
    try:
        start, end = time.fromisoformat(request.POST.get("start", "")), time.fromisoformat(request.POST.get("end", ""))
        days = sorted({int(d) for d in request.POST.getlist("days") if d in "0123456"})
    except ValueError:
        messages.error(request, "Working hours need a start and an end as HH:MM.")
        return redirect("find_time")
    if end <= start or not days:
        messages.error(request, "Working hours must end after they start, on at least one day.")
        return redirect("find_time")
    value = json.dumps({"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"), "days": days})
    Preference.objects.update_or_create(key=HOURS_KEY, defaults={"value": value})
    messages.success(request, f"Working hours: {start:%H:%M}–{end:%H:%M}, {', '.join(DAY_NAMES[d] for d in days)}.")
    return redirect("find_time")


@require_POST
@owner_required
def book(request):
    """Make a proposed slot an event (start and end as local ISO times)."""
    title = request.POST.get("title", "").strip()[:200] or "Meeting"
    try:
        start, end = (datetime.fromisoformat(request.POST.get(name, "")).replace(tzinfo=None) for name in ("start", "end"))
    except ValueError:
        messages.error(request, "That slot cannot be booked: a start and an end as ISO times are needed.")
        return redirect("find_time")
    try:
        written = calendar.create_event(title=title, start=start.isoformat(), end=end.isoformat(), tz=viewer_tz())
    except (calendar.CalendarError, LocalWritesHeld) as e:
        messages.error(request, f"That slot cannot be booked: {e}.")
        return redirect("find_time")
    messages.success(request, f"Added “{title}” on {start:%a %-d %b at %H:%M}.")
    return redirect(event_url(written.uid, None))
