"""Undo, offered for a little while after a delete, a drag, a cancel, a
conflict resolved or a split series: the inverse of that one write, as a new
write (for a split, of each write on the old series, and the new series
deleted).

The write undone (its entry hash) must still be a head of its key: then each
value it replaced is put again, linking it, so the key's history keeps both
(docs/PROTOCOL.md section 5). A resolve replaced several values: putting
each again, side by side, brings the conflict back as it was. A write that
replaced nothing (the first change or the cancel of one occurrence of a
series) is undone by putting that occurrence back as the series has it.
After anything else changed the key, undo is refused: it would overwrite it.

The offer travels in the session to the next page (`offer`, `take_offer`),
or in the JSON answer of a drag (`offer_fields`).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from events import calendar, log
from events.calendars.decode import Calendars, Write, decode
from events.index.fold import catch_up
from events.index.history import register_of
from events.index.registers import DEL, PUT
from events.log import LocalWritesHeld
from events.occurrences import occurrence_of, recurrence_id
from events.recurrence.timing import RecurrenceError
from events.views.auth import owner_required

SESSION_KEY = "undo"
OFFER_SECONDS = 30  # how long the page shows the button (views.js, drag.js)


def offer_fields(written: calendar.Written) -> dict:
    """What the Undo button sends back: the key and the write to undo."""
    return {"uid": written.uid, "rid": written.recurrence_id or "", "calendar": written.calendar,
            "entry": written.entry.hash}


def offer(request, written: calendar.Written | list[calendar.Written]) -> None:
    """Offer to undo `written` (one write, or what a split wrote) beside the next page's message."""
    request.session[SESSION_KEY] = offer_fields(written) if isinstance(written, calendar.Written) else split_fields(written)


def split_fields(written: list[calendar.Written]) -> dict:
    """What the Undo button of a split sends back (`calendar.split_series`'s
    writes): the old series' write as for any edit, the new series (`split`)
    and the old series' edited occurrences the split took away (`also`,
    "rid=entry" pairs). A split from the first occurrence is one edit."""
    if len(written) == 1:
        return offer_fields(written[0])
    new, old = written[0], written[-1]
    taken = [f"{w.recurrence_id}={w.entry.hash}" for w in written if w.uid == old.uid and w.recurrence_id]
    return {**offer_fields(old), "split": new.uid, "also": " ".join(taken)}


def take_offer(request) -> dict | None:
    """The pending offer, once: the page that shows it takes it."""
    session = getattr(request, "session", None)
    return session.pop(SESSION_KEY, None) if session is not None else None


def _opened(hashes) -> list[Write]:
    calendars = Calendars()
    opened = [decode(entry, calendars) for entry in log.get_entries(list(hashes))]
    return sorted((w for w in opened if isinstance(w, Write)), key=lambda w: w.hash)


def _again(body: dict, uid: str, rid: str | None) -> dict:
    """A value replaced, as a body to write again (without the envelope
    fields its calendar added)."""
    if body.get("type") == DEL:
        return {"type": DEL, "uid": uid, "recurrence_id": rid}
    return {"type": PUT, "uid": uid, "recurrence_id": rid, "event": body["event"]}


def undo_write(uid: str, rid: str | None, *, calendar_ref: str, entry: str) -> int:
    """Write the inverse of write `entry` on key (calendar_ref, uid, rid);
    return how many values were put back. Raises CalendarError."""
    catch_up()
    register = register_of(uid, rid, calendar=calendar_ref)
    if register is None or entry not in register.heads:
        raise calendar.CalendarError("it was changed again since, so undoing would overwrite that")
    [undone] = _opened([entry]) or [None]
    if undone is None:
        raise calendar.CalendarError("that change cannot be read back")
    replaced = [w for w in _opened(undone.links) if w.hash in register.versions]
    if replaced:
        bodies = [_again(w.body, uid, rid) for w in replaced]
    elif rid is not None:
        series = register_of(uid, None, calendar=calendar_ref)
        event = series.shown_event() if series is not None else None
        if event is None:
            raise calendar.CalendarError("the series of that occurrence is gone")
        bodies = [{"type": PUT, "uid": uid, "recurrence_id": rid, "event": occurrence_of(dict(event), rid)}]
    else:
        raise calendar.CalendarError("nothing came before it to go back to")
    for body in bodies:
        calendar.write_inverse(body, links=[entry], calendar=calendar_ref)
    return len(bodies)


def undo_split(uid: str, *, calendar_ref: str, entry: str, new_uid: str, also: str) -> None:
    """Undo a split: the old series and the edited occurrences it took away
    come back, and the new series is deleted. Refused when any of them
    changed since (their writes are no longer the heads) or the new series
    or one of its occurrences was edited."""
    catch_up()
    taken = [tuple(pair.split("=", 1)) for pair in also.split() if "=" in pair]
    for rid, written in [(None, entry), *taken]:
        register = register_of(uid, rid, calendar=calendar_ref)
        if register is None or written not in register.heads:
            raise calendar.CalendarError("it was changed again since, so undoing would overwrite that")
    edited, cancelled = calendar.changed_occurrences(new_uid, calendar=calendar_ref)
    for rid in [None, *edited, *cancelled]:
        register = register_of(new_uid, rid, calendar=calendar_ref)
        if register is None or len(register.versions) != 1:
            raise calendar.CalendarError("the new series was changed since, so undoing would lose that")
    for rid, written in [(None, entry), *taken]:
        undo_write(uid, rid, calendar_ref=calendar_ref, entry=written)
    calendar.delete_event(new_uid, calendar=calendar_ref)


@require_POST
@owner_required
def undo(request):
    """uid, rid, calendar, entry (from the offer), and `next`, the page to go
    back to; a script asking for JSON gets `{"ok": ...}` instead."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        rid = recurrence_id(request.POST.get("rid") or None)
        if request.POST.get("split"):
            undo_split(request.POST.get("uid", ""), calendar_ref=request.POST.get("calendar", ""),
                       entry=request.POST.get("entry", ""), new_uid=request.POST["split"],
                       also=request.POST.get("also", ""))
        else:
            undo_write(request.POST.get("uid", ""), rid, calendar_ref=request.POST.get("calendar", ""),
                       entry=request.POST.get("entry", ""))
    except (calendar.CalendarError, RecurrenceError, LocalWritesHeld) as e:
        error = f"Could not undo: {e}."
        if wants_json:
            return JsonResponse({"ok": False, "error": error}, status=400)
        messages.error(request, error)
    else:
        if wants_json:
            return JsonResponse({"ok": True})
        messages.success(request, "Undone.")
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if safe and back else reverse("month"))
