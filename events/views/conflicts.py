"""Conflicts: keys edited in two places at once (several heads, docs/PROTOCOL.md section 5.3).
Each shows its versions side by side; choosing one writes an entry that links
every head, which resolves the conflict on every peer."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from events import calendar
from events.authors import author_hue, author_label, author_names
from events.entry import time_of
from events.index.fold import catch_up
from events.index.registers import Register
from events.log import LocalWritesHeld
from events.models import IndexKey
from events.preferences import viewer_tz
from events.recurrence.rrule import describe_rrule
from events.views.auth import owner_required
from events.views.calendar import event_url
from events.views.common import render_page
from events.views.undo import offer

FIELDS = [("title", "Title"), ("start", "Starts"), ("end", "Ends"), ("all_day", "All day"), ("tz", "Time zone"),
          ("rrule", "Repeats"), ("location", "Where"), ("description", "Notes")]
MAX_SHOWN = 200


def _value(event: dict, name: str) -> str:
    value = event.get(name)
    if name == "rrule":
        return describe_rrule(value)
    if name == "all_day":
        return "yes" if value else "no"
    if name in ("start", "end") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return f"{moment:%a %-d %b %Y, %H:%M}" if "T" in value else f"{moment:%a %-d %b %Y}"
    return "" if value is None else str(value)


def _conflict(key: tuple[str, str, str], register: Register, names: dict[str, str]) -> dict:
    where, uid, rid = key
    versions = []
    for h in register.heads:
        version = register.versions[h]
        body = register.bodies.get(h) or {}
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        versions.append({
            "hash": h,
            "author": author_label(version.author, names),
            "hue": author_hue(version.author),
            "when": time_of(version.time, ZoneInfo(viewer_tz())),
            "deleted": version.deleted,
            "event": event,
        })
    rows = []
    for name, label in FIELDS:
        values = ["(deleted)" if v["deleted"] else _value(v["event"], name) for v in versions]
        if any(values):
            rows.append({"label": label, "values": values, "differs": len(set(values)) > 1})
    title = next((v["event"].get("title") for v in versions if v["event"].get("title")), uid)
    return {"uid": uid, "rid": rid, "calendar": where, "title": title, "versions": versions, "rows": rows,
            "anchor": f"uid={uid}&rid={rid}", "edit_url": event_url(uid, rid or None)}


@owner_required
def conflicts(request):
    catch_up()
    names = author_names()
    rows = IndexKey.objects.using("index").filter(conflict=True).order_by("uid", "calendar", "rid")
    items = [
        _conflict((where, uid, rid), Register.from_json(json.loads(state)), names)
        for where, uid, rid, state in rows.values_list("calendar", "uid", "rid", "state")[:MAX_SHOWN]
    ]
    return render_page(request, "conflicts.html", {"nav": "conflicts", "conflicts": items})


@require_POST
@owner_required
def resolve(request):
    uid, rid, keep = request.POST.get("uid", ""), request.POST.get("rid") or None, request.POST.get("keep", "")
    where = request.POST.get("calendar")  # absent from pages made before calendars: the uid's own
    try:
        written = calendar.resolve_conflict(uid, rid, keep=keep, calendar=where)
    except (LocalWritesHeld, calendar.CalendarError) as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Conflict resolved: every peer will now show the version you chose.")
        offer(request, written)
    return redirect("conflicts")
