"""A calendar object resource from a client (RFC 4791 section 4.1) into
calendar operations: the same ones the web page uses, so a PUT becomes
ordinary signed entries that replicate.

The series is created or edited (`calendar.edit_series`), each override
with a RECURRENCE-ID is an `edit_occurrence`, an occurrence the client
removed with a new EXDATE is cancelled as the page cancels one, and an
override the client dropped goes back to the series' times. Properties the
event fields do not hold are kept in the event's `x_properties` (X-, TRANSP,
CATEGORIES, ...) and written back on GET; DTSTAMP, SEQUENCE, CREATED and
LAST-MODIFIED are regenerated. What cannot be kept faithfully (VTODO,
attendees and organizers, alarms, RDATE, attachments) is refused with a
DAV:error naming the precondition, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dav.resources import X_PROPERTIES
from dav.xml import CALDAV, DavError, tag
from events import calendar, log
from events.calendars.manage import CalendarRefused, body_for
from events.ics.compare import same_event
from events.ics.read import (
    MAX_TITLE,
    Incoming,
    NotICalendar,
    component_uid,
    read_calendar,
    read_vevent,
)
from events.ics.times import ComponentSkipped, local_recurrence_id
from events.index.fold import catch_up
from events.index.history import register_of
from events.index.registers import PUT
from events.index.rows import EventSkipped, check_event
from events.models import IndexKey
from events.occurrences import occurrence_of
from events.recurrence.timing import RecurrenceError
from events.routers import INDEX_DB

# Written from the event fields or regenerated on every GET.
HELD = {
    "UID",
    "DTSTART",
    "DTEND",
    "DURATION",
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "RRULE",
    "EXDATE",
    "RECURRENCE-ID",
}
REGENERATED = {"DTSTAMP", "SEQUENCE", "CREATED", "LAST-MODIFIED"}
REFUSED = {
    "ATTENDEE": "invitations (ATTENDEE) are not supported",
    "ORGANIZER": "invitations (ORGANIZER) are not supported",
    "RDATE": "extra dates outside the rule (RDATE) are not supported",
    "ATTACH": "attachments (ATTACH) are not supported",
}
MAX_KEPT = 50  # extra properties per VEVENT
MAX_KEPT_CHARS = 4000  # per value


def refuse(message: str, condition: str = "valid-calendar-object-resource") -> DavError:
    return DavError(403, message, tag(CALDAV, condition))


@dataclass
class Parsed:
    uid: str
    master: Incoming | None = None
    overrides: list[Incoming] = field(default_factory=list)


def parse(data: bytes) -> Parsed:
    """Read and check one calendar object resource; raise DavError for what we cannot keep."""
    try:
        read = read_calendar(data)
    except NotICalendar as e:
        raise refuse(f"not iCalendar: {e}", "valid-calendar-data") from None
    if not read.vevents:
        raise refuse(
            "only events (VEVENT) can be stored in this calendar", "supported-calendar-component"
        )
    uids = set()
    parsed: Parsed | None = None
    for position, component in enumerate(read.vevents, 1):
        uid = component_uid(component, position)
        uids.add(uid)
        _check_keepable(component)
        extras = _extras(component)
        try:
            incoming = read_vevent(component, position, read.zones)
        except ComponentSkipped as e:
            raise refuse(str(e), "valid-calendar-data") from None
        if incoming.event is not None and extras:
            incoming.event[X_PROPERTIES] = extras
        parsed = parsed or Parsed(uid)
        if incoming.recurrence_id is not None:
            parsed.overrides.append(incoming)
        elif parsed.master is not None:
            raise refuse("two VEVENTs without RECURRENCE-ID")
        else:
            parsed.master = incoming
    if len(uids) > 1:
        raise refuse("a calendar object holds one event: every VEVENT must have the same UID")
    assert parsed is not None
    if parsed.master is None:
        raise refuse("occurrences (RECURRENCE-ID) without their event cannot be stored")
    return parsed


def check_components(data: bytes) -> None:
    """Refuse to-dos, journals and free-busy: this calendar holds events only."""
    upper = data.upper()
    for name in (b"VTODO", b"VJOURNAL", b"VFREEBUSY", b"VAVAILABILITY"):
        if b"BEGIN:" + name in upper:
            raise refuse(
                f"{name.decode()} cannot be stored: this calendar holds events only",
                "supported-calendar-component",
            )


def _check_keepable(component) -> None:
    """What the reader would change rather than keep (it notes it for an import; here it is refused)."""
    rules = component.get("RRULE")
    if isinstance(rules, list) and len(rules) > 1:
        raise refuse("an event with more than one RRULE cannot be stored")
    if rules is not None and "RECURRENCE-ID" in component:
        raise refuse("an occurrence (RECURRENCE-ID) cannot have its own RRULE")
    if len(str(component.get("SUMMARY", ""))) > MAX_TITLE:
        raise refuse(f"a title has at most {MAX_TITLE} characters")


def _extras(component) -> list[list]:
    if any(sub.name != "VTIMEZONE" for sub in component.subcomponents):
        names = sorted({sub.name for sub in component.subcomponents})
        raise refuse(
            f"{', '.join(names)} inside an event cannot be stored (alarms are not supported)"
        )
    kept = []
    for name, value in component.property_items(recursive=False):
        if name in ("BEGIN", "END") or name in HELD or name in REGENERATED:
            continue
        if name in REFUSED:
            raise refuse(REFUSED[name])
        if name == "STATUS" and str(value).upper() == "CANCELLED":
            continue  # read_vevent has read it as a cancellation
        text = value.to_ical().decode() if hasattr(value, "to_ical") else str(value)
        if len(text) > MAX_KEPT_CHARS:
            raise refuse(f"{name} is longer than {MAX_KEPT_CHARS} characters")
        params = {str(k): str(v) for k, v in getattr(value, "params", {}).items()}
        kept.append([name, text, params])
    if len(kept) > MAX_KEPT:
        raise refuse(f"more than {MAX_KEPT} properties the calendar does not use")
    return kept


def _same(a: dict | None, b: dict | None) -> bool:
    return same_event(a, b) and (a or {}).get(X_PROPERTIES) == (b or {}).get(X_PROPERTIES)


def _shown(uid: str, rid: str | None, where: str) -> dict | None:
    register = register_of(uid, rid, calendar=where)
    return register.shown_event() if register is not None else None


def _children(uid: str, where: str) -> tuple[set[str], set[str]]:
    """The rids of the event's cancelled occurrences and of its live overrides."""
    rows = (
        IndexKey.objects.using(INDEX_DB)
        .filter(calendar=where, uid=uid)
        .exclude(rid="")
        .values_list("rid", "deleted", "kind")
    )
    cancelled = {rid for rid, deleted, _ in rows if deleted}
    overrides = {rid for rid, deleted, kind in rows if not deleted and kind == "override"}
    return cancelled, overrides


def store(parsed: Parsed, where: str) -> bool:
    """Write what differs from what calendar `where` shows; True when the event is new."""
    uid, master = parsed.uid, parsed.master
    assert master is not None
    current = _shown(uid, None, where)
    if master.event is None:  # STATUS:CANCELLED on the event itself
        if current is not None:
            calendar.delete_event(uid, calendar=where)
        return current is None
    cancelled, overridden = _children(uid, where) if current is not None else (set(), set())
    wanted = dict(master.event)
    new_cancels = []
    if wanted.get("rrule"):
        old = set((current or {}).get("exdates") or []) if (current or {}).get("rrule") else set()
        listed = set(wanted["exdates"])
        new_cancels = sorted(listed - old - cancelled) if current is not None else []
        wanted["exdates"] = sorted(listed - cancelled - set(new_cancels))
        restored = sorted(cancelled - listed)
    else:
        restored = []
    if current is None:
        _create(uid, wanted, where)
    elif not _same(current, wanted):
        calendar.edit_series(uid, calendar=where, **wanted)
    for rid in new_cancels:
        calendar.cancel_occurrence(uid, rid, calendar=where)
    for rid in restored:
        calendar.edit_occurrence(uid, rid, calendar=where)
    listed_overrides = set()
    for override in parsed.overrides:
        rid = local_recurrence_id(override.recurrence_id, wanted)
        listed_overrides.add(rid)
        if override.event is None:
            if rid not in cancelled and rid not in new_cancels:
                calendar.cancel_occurrence(uid, rid, calendar=where)
        elif not _same(_shown(uid, rid, where), override.event):
            calendar.edit_occurrence(uid, rid, calendar=where, **override.event)
    for rid in sorted(overridden - listed_overrides):
        _back_to_series(uid, rid, wanted, where)
    return current is None


def _back_to_series(uid: str, rid: str, series: dict, where: str) -> None:
    """The client dropped an override: the occurrence takes the series' values again."""
    try:
        plain = occurrence_of(series, rid)
    except RecurrenceError:
        return  # the series no longer has that occurrence: the override is not shown
    if not _same(_shown(uid, rid, where), plain):
        fields = ("title", "start", "end", "location", "description", X_PROPERTIES)
        calendar.edit_occurrence(uid, rid, calendar=where, **{k: plain.get(k) for k in fields})


def _create(uid: str, event: dict, where: str) -> None:
    """A new event, or one deleted earlier and PUT again: the put links the
    deletion, so the event shows again without a conflict (as an import does).
    Written as calendar `where` wants it (sealed for its audience)."""
    event = calendar.event_from_draft(event)
    try:
        check_event(event, override=False)
    except EventSkipped as e:
        raise calendar.CalendarError(str(e)) from None
    register = register_of(uid, None, calendar=where)
    try:
        body = body_for({"type": PUT, "uid": uid, "recurrence_id": None, "event": event}, where)
    except CalendarRefused as e:
        raise calendar.CalendarError(str(e)) from None
    log.append_local(body, links=register.heads if register else [])
    catch_up()
