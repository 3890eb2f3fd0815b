"""The Calendars page: the calendars this instance can see, shown or hidden,
where quick-add puts events, and for the owner's own calendars who they are
shared with and how (docs/PROTOCOL.md section 6)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from events import log
from events.authors import author_label, author_names
from events.calendars import default_reminders, manage, own, state
from events.calendars.bodies import ROLES
from events.models import IndexKey
from events.views.auth import owner_required
from events.views.common import render_page

ROLE_LABELS = {"busy": "See only free/busy", "details": "See all event details", "editor": "Make changes to events"}
MY_ROLE = {"owner": "yours", "editor": "you can edit", "details": "you can read", "busy": "free/busy only"}


def _row(row, *, names: dict, hidden: set, default: str, peers: list, reminders: dict) -> dict:
    members = [{"id": a, "name": author_label(a, names), "role": r} for a, r in sorted(manage.members_of(row).items())]
    taken = {m["id"] for m in members}
    return {
        "ref": row.ref,
        "name": row.name or "(name not readable here)",
        "colour": row.colour or "#888888",
        "owner": author_label(row.owner, names),
        "mine": row.my_role == "owner",
        "my_role": MY_ROLE.get(row.my_role, row.my_role),
        "public": row.public,
        "members": members,
        "shown": row.ref not in hidden,
        "default": row.ref == default,
        "writable": row.my_role in state.WRITERS,
        "candidates": [(a, n) for a, n in peers if a not in taken],
        "reminder": reminders.get(row.ref),
    }


@owner_required
def calendars_page(request):
    try:
        own.ensure_own_entries()
    except own.CalendarRefused as e:  # a mirror has no calendars
        messages.info(request, str(e))
        return redirect("month")
    names, hidden = author_names(), manage.hidden_calendars()
    default, peers = manage.default_calendar(), manage.shareable_peers()
    reminders = default_reminders.default_reminders()
    rows = [_row(r, names=names, hidden=hidden, default=default, peers=peers, reminders=reminders) for r in state.visible()]
    legacy = IndexKey.objects.using("index").filter(calendar="", deleted=False).exclude(kind="").exists()
    context = {
        "nav": "calendars",
        "calendars": rows,
        "legacy": legacy,
        "legacy_shown": "" not in hidden,
        "roles": [(r, ROLE_LABELS[r]) for r in ROLES],
        "colours": own.COLOURS,
        "reminder_choices": list(default_reminders.CHOICES.items()),
    }
    return render_page(request, "calendars.html", context)


def _done(request, action, success: str):
    try:
        action()
    except (own.CalendarRefused, log.LocalWritesHeld) as e:
        messages.error(request, str(e))
    else:
        messages.success(request, success)
    return redirect("calendars")


def _on_calendar(request, act):
    """Run `act(row)` -> (action, success message) on the calendar the form names."""
    try:
        row = manage.find_calendar(request.POST.get("calendar", ""))
    except own.CalendarRefused:
        messages.error(request, "No such calendar.")
        return redirect("calendars")
    return _done(request, *act(row))


@owner_required
@require_POST
def create(request):
    name = request.POST.get("name", "").strip()
    public = request.POST.get("public") == "on"
    return _done(request, lambda: own.create(name, public=public), f"Created “{name}”.")


@owner_required
@require_POST
def update(request):
    name, colour = request.POST.get("name"), request.POST.get("colour") or None
    return _on_calendar(request, lambda row: (lambda: manage.rename(row.ref, name=name, colour=colour), "Saved."))


@owner_required
@require_POST
def share(request):
    peer, role = request.POST.get("peer", ""), request.POST.get("role", "")
    who = author_label(peer, author_names())
    return _on_calendar(request, lambda row: (
        lambda: manage.share(row.ref, peer, role),
        f"{row.name} is shared with {who}: {ROLE_LABELS.get(role, role).lower()}.",
    ))


@owner_required
@require_POST
def unshare(request):
    peer = request.POST.get("peer", "")
    who = author_label(peer, author_names())
    return _on_calendar(request, lambda row: (
        lambda: manage.unshare(row.ref, peer),
        f"{who} was removed from {row.name}: they cannot read anything written from now on. "
        "What they already received stays with them.",
    ))


@owner_required
@require_POST
def visibility(request):
    ref = request.POST.get("calendar", "")
    if ref != "" and state.get(ref) is None:
        messages.error(request, "No such calendar.")
        return redirect("calendars")
    manage.set_hidden(ref, request.POST.get("shown") != "on")
    return redirect("calendars")


@owner_required
@require_POST
def default(request):
    return _on_calendar(request, lambda row: (
        lambda: manage.set_default_calendar(row.ref), f"Quick-add now puts new events in {row.name}."))


@owner_required
@require_POST
def reminder(request):
    """The default reminder of one of our calendars: minutes before, or "" for none."""
    text = request.POST.get("minutes", "")
    minutes = int(text) if text.isdigit() else None
    if text and minutes is None:
        messages.error(request, "A default reminder is a number of minutes before the start.")
        return redirect("calendars")
    said = default_reminders.CHOICES.get(minutes, "").lower() if minutes is not None else ""
    return _on_calendar(request, lambda row: (
        lambda: default_reminders.set_default_reminder(row.ref, minutes),
        f"New events in {row.name} get a reminder {said}." if said else f"New events in {row.name} get no reminder."))


@owner_required
@require_POST
def delete(request):
    return _on_calendar(request, lambda row: (lambda: manage.delete(row.ref), f"Deleted {row.name}."))
