"""One event: detail and edit form (this occurrence or the whole series),
cancel one occurrence, delete, and the key's history from the log."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from events import calendar
from events.authors import author_hue, author_label, author_names
from events.calendars import state
from events.entry import time_of
from events.forms import EventForm
from events.index.fold import catch_up
from events.index.history import calendar_of_uid, history, register_of
from events.index.registers import Register
from events.log import LocalWritesHeld
from events.occurrences import occurrence_of, recurrence_id, wall_time
from events.preferences import viewer_tz, zone_names
from events.recurrence.rrule import describe_rrule
from events.recurrence.timing import RecurrenceError
from events.views.auth import owner_required
from events.views.calendar import conflict_url, event_url
from events.views.common import render_page
from events.views.undo import offer


def _shown(register: Register | None) -> tuple[str, dict] | None:
    """The head a reader sees (`Register.shown`) and its event."""
    head = register.shown() if register is not None else None
    if head is None:
        return None
    return head, dict(register.bodies[head].get("event") or {})


def _rid(value: str | None) -> str | None:
    try:
        return recurrence_id(value or None)
    except RecurrenceError:
        raise Http404("no such occurrence") from None


def _load(request) -> dict:
    """Everything about the key named by ?uid=&rid= (404 when nothing is shown)."""
    uid = request.GET.get("uid") or request.POST.get("uid") or ""
    rid = _rid(request.GET.get("rid") or request.POST.get("rid"))
    catch_up()
    where = calendar_of_uid(uid) if uid else None
    series_reg = register_of(uid, None, calendar=where) if where is not None else None
    series = _shown(series_reg)
    if series is None:
        raise Http404("no such event")
    found = {"uid": uid, "rid": rid, "series": series[1], "series_reg": series_reg, "override_reg": None, "calendar": where}
    if rid:
        if not series[1].get("rrule"):
            raise Http404("this event does not repeat")
        override_reg = register_of(uid, rid, calendar=where)
        if override_reg is not None and override_reg.deleted:
            raise Http404("this occurrence was cancelled")
        found["override_reg"] = override_reg
        shown = _shown(override_reg)
        try:
            found["event"] = shown[1] if shown else occurrence_of(series[1], rid)
        except RecurrenceError:
            raise Http404("no such occurrence") from None
    else:
        found["event"] = series[1]
    return found


def _label(rid: str) -> str:
    value = wall_time(rid)
    return f"{value:%a %-d %b %Y, %H:%M}" if isinstance(value, datetime) else f"{value:%a %-d %b %Y}"


SPLIT_FIELDS = ("split_from", "split_into")  # set by calendar.split_series


def _split_note(changes: dict) -> dict:
    """How a change split the series, in words with a link to the other part:
    "split it from the earlier series" on the new one, "ended it before …
    (split)" on the old one."""
    for name in SPLIT_FIELDS:
        new = changes.get(name, (None, None))[1]
        if not (isinstance(new, dict) and isinstance(new.get("uid"), str) and isinstance(new.get("at"), str)):
            continue
        try:
            at = _label(recurrence_id(new["at"]) or "")
        except RecurrenceError:
            continue
        link = event_url(new["uid"], None)
        if name == "split_from":
            return {"action": "split it from", "link": link, "link_text": "the earlier series", "after": f"at {at}",
                    "created": True}
        return {"action": f"ended it before {at} (split); the rest is", "link": link, "link_text": "a new series"}
    return {}


def _history(uid: str, rid: str | None, names: dict[str, str], where: str) -> list[dict]:
    changes = history(uid, None, calendar=where) + (history(uid, rid, calendar=where) if rid else [])
    out = []
    for change in sorted(changes, key=lambda c: (c.time, c.hash)):
        out.append(
            {
                "when": time_of(change.time, ZoneInfo(viewer_tz())),
                "author": author_label(change.author, names),
                "hue": author_hue(change.author),
                "action": change.action,
                **_split_note(change.changes),
                "changes": [(k, v[0], v[1]) for k, v in change.changes.items() if k not in SPLIT_FIELDS],
                "hash": change.hash[:12],
                "not_shown": change.not_shown,
                "not_applied": change.not_applied,
            }
        )
    return out


def _series_changes(found: dict, fields: dict) -> dict:
    """Fields for the whole series when the form was opened on one occurrence:
    the move made to this occurrence is applied to the series' own start."""
    if not found["rid"]:
        return fields
    series, occurrence = found["series"], found["event"]
    moved_start = wall_time(fields["start"]) - wall_time(occurrence["start"])
    duration = wall_time(fields["end"]) - wall_time(fields["start"])
    series_start = wall_time(series["start"])
    if isinstance(series_start, datetime) != isinstance(wall_time(fields["start"]), datetime):
        raise calendar.CalendarError("switching a series between all-day and timed is done from the series itself")
    new_start = series_start + moved_start
    return {**fields, "start": new_start.isoformat(), "end": (new_start + duration).isoformat()}


def _save(found: dict, scope: str, fields: dict, *, rename: list[str]) -> list[calendar.Written] | None:
    """Write the form's fields to this occurrence, to it and the later ones
    (a split, whose writes are returned for its undo), or to the whole
    series; `rename`: the edited occurrences that take the series' new title too."""
    uid, rid, where = found["uid"], found["rid"], found["calendar"]
    if scope == "occurrence":
        fields.pop("rrule", None)
        calendar.edit_occurrence(uid, rid, calendar=where, **fields)
    elif scope == "following":
        return calendar.split_series(uid, rid, calendar=where, **fields)
    else:
        calendar.edit_series(uid, calendar=where, **_series_changes(found, fields))
        if rename and fields["title"] != found["series"].get("title"):
            for other in rename:
                shown = _shown(register_of(uid, other, calendar=where))
                if shown is not None and shown[1].get("title") != fields["title"]:
                    calendar.edit_occurrence(uid, other, calendar=where, title=fields["title"])
    return None


@owner_required
def detail(request):
    found = _load(request)
    uid, rid, event = found["uid"], found["rid"], found["event"]
    occurrence = bool(rid)
    edited, _ = calendar.changed_occurrences(uid, calendar=found["calendar"])
    changed = len(edited)
    if request.method == "POST":
        form = EventForm(request.POST, occurrence=occurrence, extra_rule=EventForm.initial_from(found["series"])[1],
                         changed=changed)
        if form.is_valid():
            fields = form.event_fields()
            try:
                scope = (form.cleaned_data.get("scope") or "occurrence") if occurrence else "series"
                split = _save(found, scope, fields, rename=edited if form.cleaned_data.get("rename_changed") else [])
            except LocalWritesHeld as e:
                form.add_error(None, str(e))
            except calendar.CalendarError as e:
                form.add_error(None, str(e))
            else:
                rest = " This and the later occurrences are now a series of their own." if split and len(split) > 1 else ""
                messages.success(request, f"Saved “{fields['title']}”.{rest}")
                if split:
                    offer(request, split)
                return redirect(f"{reverse('month')}?d={fields['start'][:10]}")
    else:
        initial, extra = EventForm.initial_from(event)
        if occurrence:
            series_initial, extra = EventForm.initial_from(found["series"])
            for name in ("repeat", "interval", "byday", "ends", "until", "count"):
                initial[name] = series_initial[name]
        form = EventForm(initial=initial, occurrence=occurrence, extra_rule=extra, changed=changed)
    names = author_names()
    series_reg, override_reg = found["series_reg"], found["override_reg"]
    conflicted = series_reg.conflict or (override_reg is not None and override_reg.conflict)
    shown_reg = override_reg if override_reg is not None and not override_reg.deleted else series_reg
    author = shown_reg.versions[shown_reg.shown()].author  # the version shown, as on the calendar
    context = {
        "nav": "event",
        "form": form,
        "uid": uid,
        "rid": rid or "",
        "rid_label": _label(rid) if rid else "",
        "event": event,
        "repeat_text": describe_rrule(found["series"].get("rrule")),
        "recurring": bool(found["series"].get("rrule")),
        "is_override": override_reg is not None,
        "conflicted": conflicted,
        "conflict_url": conflict_url(uid, rid if override_reg is not None and override_reg.conflict else None),
        "author": author_label(author, names),
        "hue": author_hue(author),
        "history": _history(uid, rid, names, found["calendar"]),
        **_calendar_context(found["calendar"], names),
        "series_url": event_url(uid, None),
        "zones": zone_names(),
        "viewer_tz": viewer_tz(),
    }
    return render_page(request, "event.html", context, status=400 if form.errors else 200)


def _calendar_context(where: str, names: dict[str, str]) -> dict:
    """Which calendar the event is in, whether we may change it, and where it could move."""
    targets = [(r.ref, r.name) for r in state.visible() if r.my_role in state.WRITERS and r.ref != where]
    if state.is_legacy(where):
        return {"calendar_name": "Shared with every peer (from before calendars)", "writable": True, "busy": False,
                "move_targets": targets, "calendar_colour": ""}
    row = state.get(where)
    role = row.my_role if row else ""
    owner = author_label(row.owner, names) if row else ""
    return {
        "calendar_name": f"{row.name}" + ("" if role == "owner" else f" ({owner}’s)") if row else "",
        "calendar_colour": row.colour if row else "",
        "writable": role in state.WRITERS,
        "busy": role == "busy",
        "move_targets": targets if role == "owner" else [],
    }


@require_POST
@owner_required
def move(request):
    found = _load(request)
    target = request.POST.get("to", "")
    row = state.get(target)
    try:
        calendar.move_event(found["uid"], target, calendar=found["calendar"])
    except (LocalWritesHeld, calendar.CalendarError) as e:
        messages.error(request, str(e))
        return redirect(event_url(found["uid"], found["rid"]))
    name = row.name if row else "the calendar shared with every peer"
    messages.success(request, f"Moved “{found['series'].get('title')}” to {name}. Copies peers already received stay with them.")
    return redirect(event_url(found["uid"], found["rid"]))


@require_POST
@owner_required
def cancel(request):
    found = _load(request)
    if not found["rid"]:
        raise Http404("cancel needs an occurrence")
    try:
        written = calendar.cancel_occurrence(found["uid"], found["rid"], calendar=found["calendar"])
    except (LocalWritesHeld, calendar.CalendarError) as e:
        messages.error(request, str(e))
        return redirect(event_url(found["uid"], found["rid"]))
    messages.success(request, f"Cancelled “{found['event'].get('title')}” on {found['rid'][:10]}.")
    offer(request, written)
    return redirect(f"{reverse('month')}?d={found['rid'][:10]}")


@require_POST
@owner_required
def delete(request):
    found = _load(request)
    try:
        written = calendar.delete_event(found["uid"], calendar=found["calendar"])
    except (LocalWritesHeld, calendar.CalendarError) as e:
        messages.error(request, str(e))
        return redirect(event_url(found["uid"], found["rid"]))
    messages.success(request, f"Deleted “{found['series'].get('title')}”.")
    offer(request, written)
    start = found["event"].get("start") or ""
    return redirect(f"{reverse('month')}?d={start[:10]}" if start else reverse("month"))
