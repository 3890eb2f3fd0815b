"""Changes made on the calendar pages themselves: a new event typed into an
empty slot of the week or day, an event dragged to another time or day, its
end dragged to make it longer or shorter. Each is one calendar operation
(one log entry), undone from its message by `events.views.undo`; the page
redraws from the index as for any other change.

Answers are JSON, `{"ok": true, ...}` or `{"ok": false, "error": "one line"}`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from events import calendar
from events.index.fold import catch_up
from events.index.history import register_of
from events.log import LocalWritesHeld
from events.occurrences import occurrence_of, recurrence_id, wall_time
from events.preferences import viewer_tz
from events.recurrence.timing import RecurrenceError
from events.views.auth import owner_required
from events.views.calendar import event_url
from events.views.undo import offer_fields, split_fields

MAX_SHIFT_MINUTES = 366 * 24 * 60  # a drag moves an event within a year at most


class DragError(ValueError):
    """What was asked cannot be done; the message is shown beside the grid."""


def _answer(error: str | None = None, **data) -> JsonResponse:
    if error:
        return JsonResponse({"ok": False, "error": error}, status=400)
    return JsonResponse({"ok": True, **data})


def _minutes(value: str | None, name: str) -> int:
    try:
        minutes = int(value or "0")
    except ValueError:
        raise DragError(f"{name} must be a whole number of minutes") from None
    if abs(minutes) > MAX_SHIFT_MINUTES:
        raise DragError(f"{name} moves the event by more than a year")
    return minutes


def _shifted(event: dict, start_by: int, end_by: int) -> dict:
    """The event's start and end moved by whole minutes of its own wall time."""
    start, end = wall_time(event["start"]), wall_time(event.get("end") or event["start"])
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise DragError("all-day events are moved from their page")
    new_start, new_end = start + timedelta(minutes=start_by), end + timedelta(minutes=end_by)
    if new_end <= new_start:
        raise DragError("an event must end after it starts")
    return {"start": new_start.isoformat(), "end": new_end.isoformat()}


def _shown(uid: str, rid: str | None) -> dict | None:
    register = register_of(uid, rid)
    return register.shown_event() if register is not None else None


@require_POST
@owner_required
def move(request):
    """uid, rid (an occurrence), scope (`occurrence`, `following` for it and
    the later ones, or `series`), and the minutes to move the start and the
    end by (the same for a move; only the end for a resize)."""
    try:
        uid = request.POST.get("uid", "")
        rid = recurrence_id(request.POST.get("rid") or None)
        start_by = _minutes(request.POST.get("start_by"), "start_by")
        end_by = _minutes(request.POST.get("end_by"), "end_by")
        catch_up()
        series = _shown(uid, None)
        if series is None:
            raise DragError("this event no longer exists")
        scope = request.POST.get("scope")
        if rid and scope != "series":
            occurrence = _shown(uid, rid) or occurrence_of(series, rid)
            shifted = _shifted(occurrence, start_by, end_by)
            if scope == "following":
                split = calendar.split_series(uid, rid, **shifted)
                return _answer(url=event_url(split[0].uid, None), start=split[0].event["start"], undo=split_fields(split))
            written = calendar.edit_occurrence(uid, rid, **shifted)
        else:
            written = calendar.edit_series(uid, **_shifted(series, start_by, end_by))
    except (DragError, RecurrenceError, calendar.CalendarError, LocalWritesHeld) as e:
        return _answer(str(e))
    return _answer(url=event_url(uid, written.recurrence_id), start=written.event["start"], undo=offer_fields(written))


@require_POST
@owner_required
def create(request):
    """title, day (YYYY-MM-DD) and start and end (HH:MM) in the zone the calendar shows."""
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
        start = datetime.combine(day, datetime.strptime(request.POST.get("start", ""), "%H:%M").time())
        end = datetime.combine(day, datetime.strptime(request.POST.get("end", ""), "%H:%M").time())
    except ValueError:
        return _answer("a day as YYYY-MM-DD and times as HH:MM are needed")
    if end <= start:
        end += timedelta(days=1)  # dragged down to midnight
    title = request.POST.get("title", "").strip()
    if not title:
        return _answer("type a title for the new event")
    try:
        written = calendar.create_event(title=title, start=start.isoformat(), end=end.isoformat(), tz=viewer_tz(),
                                        with_default_reminder=True)
    except (calendar.CalendarError, LocalWritesHeld) as e:
        return _answer(str(e))
    return _answer(url=event_url(written.uid, None), title=title)
