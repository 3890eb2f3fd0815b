"""Calendar operations: what a user does, written to the log (docs/PROTOCOL.md section 5).

Each write links the heads of its key as the index knows them (what this
writer saw), so every key's history is a DAG; after appending, the index
catches up explicitly, so the next read sees the write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from events import log
from events.calendars.default_reminders import default_reminder
from events.calendars.manage import CalendarRefused, body_for, default_calendar
from events.entry import Entry
from events.ics.this_and_future import split_series as cut_series
from events.index.fold import catch_up
from events.index.history import calendar_of_uid, register_of
from events.index.registers import DEL, PUT, Register
from events.index.rows import EventSkipped, check_event
from events.models import IndexKey
from events.occurrences import occurrence_of, recurrence_id, wall_time
from events.recurrence.expansion import GaveUp, as_datetime, iter_starts, parse_timing
from events.recurrence.rrule import DAY_CODES, DAYS, split_rrule
from events.recurrence.timing import RecurrenceError, format_local, parse_local
from events.routers import INDEX_DB

EVENT_FIELDS = ("title", "start", "end", "all_day", "tz", "rrule", "exdates", "location", "description")


class CalendarError(ValueError):
    """A calendar operation that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class Written:
    uid: str
    recurrence_id: str | None
    entry: Entry
    event: dict | None  # None for deletions
    calendar: str = ""


def new_uid() -> str:
    return f"{uuid.uuid4()}@calendar-p2p"


UNTITLED = "(No title)"


def event_from_draft(draft: dict) -> dict:
    """An `event` (docs/PROTOCOL.md section 5.2) from a parser draft or loose fields (dates and
    datetimes are written as local wall-time strings)."""
    event: dict = {}
    for name, value in draft.items():
        if isinstance(value, datetime):
            value = format_local(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif name in ("start", "end") and isinstance(value, str):
            value = _normal(value)
        elif name == "exdates" and isinstance(value, list | tuple):
            value = [format_local(v) if isinstance(v, date) else _normal(v) for v in value]
        event[name] = value
    event.setdefault("all_day", False)
    for name in EVENT_FIELDS:
        event.setdefault(name, None)
    if event["all_day"]:
        event["tz"] = None
    event["exdates"] = event["exdates"] or []
    return event


def _normal(text):
    """A local time in the protocol's form (seconds included); anything
    unparseable is left for validation to name."""
    try:
        return format_local(parse_local(text))
    except RecurrenceError:
        return text


def _merge(event: dict, changes: dict) -> dict:
    converted = event_from_draft(changes)
    return {**event, **{k: v for k, v in converted.items() if k in changes}}


def _default_end(start: str) -> str | None:
    """An hour after a start time; the next day after a start date."""
    try:
        value = parse_local(start)
    except RecurrenceError:
        return None  # _check says what is wrong with the start
    return format_local(value + (timedelta(hours=1) if isinstance(value, datetime) else timedelta(days=1)))


def _check(event: dict, *, override: bool = False) -> None:
    try:
        check_event(event, override=override)
    except EventSkipped as e:
        raise CalendarError(str(e)) from None


def _register(uid: str, rid: str | None, calendar: str) -> Register | None:
    catch_up()
    return register_of(uid, rid, calendar=calendar)


def _current(uid: str, rid: str | None = None, *, calendar: str | None = None) -> tuple[str, Register, dict]:
    """The calendar, register and shown event of a key; CalendarError when nothing is shown."""
    catch_up()
    calendar = calendar if calendar is not None else calendar_of_uid(uid)
    register = register_of(uid, rid, calendar=calendar) if calendar is not None else None
    event = register.shown_event() if register is not None else None
    if calendar is None or register is None or event is None:
        what = f"occurrence {rid} of {uid}" if rid else f"event {uid}"
        raise CalendarError(f"no {what}")
    return calendar, register, dict(event)


def write_inverse(body: dict, *, links: list[str], calendar: str) -> Entry:
    """Write `body` (an event.put or event.del of `calendar`) linking exactly
    `links`. Undo needs this: it puts back a value an earlier write replaced,
    linking the write it undoes rather than the heads the index shows, which
    the operations above always link. Sealing and the index catch-up are the
    same as for every other write."""
    return _write(body, links, calendar)


def _write(body: dict, links: list[str], calendar: str) -> Entry:
    try:
        signed = body_for(body, calendar)
    except CalendarRefused as e:
        raise CalendarError(str(e)) from None
    entry = log.append_local(signed, links=links)
    catch_up()
    return entry


def recurrence_key(value: str | None) -> str | None:
    """A recurrence id as entries name it; CalendarError when it is not one."""
    try:
        return recurrence_id(value)
    except RecurrenceError as e:
        raise CalendarError(str(e)) from None



def create_event(draft: dict | None = None, *, uid: str | None = None, calendar: str | None = None,
                 with_default_reminder: bool = False, **fields) -> Written:
    """Write a new event from a parser draft and/or fields, in `calendar`
    (default: the one quick-add uses); a uid is made up. With
    `with_default_reminder` (the pages' own ways of making events, not
    CalDAV or imports, whose files say their own alarms) an event naming no
    reminders gets its calendar's default one."""
    event = event_from_draft({**(draft or {}), **fields})
    if draft is not None and isinstance(event["title"], str) and not event["title"].strip():
        event["title"] = UNTITLED  # "tomorrow 3pm" typed alone is an event, as in other calendars
    if event["end"] is None and isinstance(event["start"], str):
        event["end"] = _default_end(event["start"])
    _check(event)
    uid = uid or new_uid()
    if calendar is None:
        try:
            calendar = default_calendar()
        except CalendarRefused as e:
            raise CalendarError(str(e)) from None
    if with_default_reminder and event.get("reminders") is None and (minutes := default_reminder(calendar)) is not None:
        event["reminders"] = [minutes]
    entry = _write({"type": PUT, "uid": uid, "recurrence_id": None, "event": event}, [], calendar)
    return Written(uid, None, entry, event, calendar)


def edit_series(uid: str, *, calendar: str | None = None, **changes) -> Written:
    """Change fields of the whole event (or series); links every head."""
    calendar, register, event = _current(uid, calendar=calendar)
    event = _merge(event, changes)
    _check(event)
    entry = _write({"type": PUT, "uid": uid, "recurrence_id": None, "event": event}, register.heads, calendar)
    return Written(uid, None, entry, event, calendar)


def edit_occurrence(uid: str, recurrence_id: str, *, calendar: str | None = None, **changes) -> Written:
    """Override one occurrence of a series (moved, retitled, ...)."""
    rid = recurrence_key(recurrence_id)
    assert rid is not None
    calendar, _, series = _current(uid, calendar=calendar)
    if not series.get("rrule"):
        raise CalendarError(f"event {uid} does not repeat; edit it with edit_series")
    register = _register(uid, rid, calendar)
    if register is not None and not register.deleted:
        _, _, base = _current(uid, rid, calendar=calendar)
        links = register.heads
        event = _override(base, changes)
    else:
        event, links = new_override(series, rid, changes), register.heads if register else []
    entry = _write({"type": PUT, "uid": uid, "recurrence_id": rid, "event": event}, links, calendar)
    return Written(uid, rid, entry, event, calendar)


def new_override(series: dict, recurrence_id: str, changes: dict) -> dict:
    """An occurrence of `series` as its rule makes it, with `changes` (edit_occurrence's first write of it)."""
    try:
        return _override(occurrence_of(series, recurrence_id), changes)
    except RecurrenceError as e:
        raise CalendarError(str(e)) from None


def _override(base: dict, changes: dict) -> dict:
    event = _merge(base, changes)
    event["rrule"], event["exdates"] = None, []
    _check(event, override=True)
    return event


def cancel_occurrence(uid: str, recurrence_id: str, *, calendar: str | None = None) -> Written:
    rid = recurrence_key(recurrence_id)
    calendar, _, _ = _current(uid, calendar=calendar)
    register = _register(uid, rid, calendar)
    entry = _write({"type": DEL, "uid": uid, "recurrence_id": rid}, register.heads if register else [], calendar)
    return Written(uid, rid, entry, None, calendar)


def delete_event(uid: str, *, calendar: str | None = None) -> Written:
    """Delete the event or the whole series."""
    calendar, register, _ = _current(uid, calendar=calendar)
    entry = _write({"type": DEL, "uid": uid, "recurrence_id": None}, register.heads, calendar)
    return Written(uid, None, entry, None, calendar)


def changed_occurrences(uid: str, *, calendar: str) -> tuple[list[str], list[str]]:
    """The recurrence ids of a series' edited occurrences and of its cancelled ones, in order."""
    catch_up()
    children = IndexKey.objects.using(INDEX_DB).filter(calendar=calendar, uid=uid).exclude(rid="")
    edited = sorted(children.filter(deleted=False).exclude(kind="").values_list("rid", flat=True))
    cancelled = sorted(children.filter(deleted=True).values_list("rid", flat=True))
    return edited, cancelled


def move_event(uid: str, to: str, *, calendar: str | None = None) -> list[Written]:
    """Move an event (a series with its edited and cancelled occurrences) to
    calendar `to`: written anew there, then deleted where it was. What peers
    already received from the old calendar stays with them."""
    calendar, _, _ = _current(uid, calendar=calendar)
    if to == calendar:
        raise CalendarError("the event is already in that calendar")
    edited, cancelled = changed_occurrences(uid, calendar=calendar)
    written = []
    for rid in [None, *edited]:
        _, register, event = _current(uid, rid, calendar=calendar)
        target = _register(uid, rid, to)
        entry = _write({"type": PUT, "uid": uid, "recurrence_id": rid, "event": event}, target.heads if target else [], to)
        written.append(Written(uid, rid, entry, event, to))
    for rid in cancelled:
        target = _register(uid, rid, to)
        entry = _write({"type": DEL, "uid": uid, "recurrence_id": rid}, target.heads if target else [], to)
        written.append(Written(uid, rid, entry, None, to))
    for rid in [*edited, None]:
        _, register, _ = _current(uid, rid, calendar=calendar)
        entry = _write({"type": DEL, "uid": uid, "recurrence_id": rid}, register.heads, calendar)
        written.append(Written(uid, rid, entry, None, calendar))
    return written


def resolve_conflict(uid: str, recurrence_id: str | None = None, *, keep: str | None = None,
                     calendar: str | None = None, **changes) -> Written:
    """End a conflict: write the value of head `keep` (default: the primary
    one), with `changes`, linking every head."""
    rid = recurrence_key(recurrence_id)
    calendar = calendar if calendar is not None else calendar_of_uid(uid)
    register = _register(uid, rid, calendar) if calendar is not None else None
    if calendar is None or register is None or not register.heads:
        raise CalendarError(f"nothing stored for {uid}")
    heads = register.heads
    keep = keep or register.shown() or heads[0]
    if keep not in heads:
        raise CalendarError(f"{keep} is not one of the current values of {uid}")
    body = register.bodies[keep]
    if body.get("type") == DEL:
        new = {"type": DEL, "uid": uid, "recurrence_id": rid}
        event = None
    else:
        event = _merge(body["event"], changes)
        _check(event, override=rid is not None)
        new = {"type": PUT, "uid": uid, "recurrence_id": rid, "event": event}
    entry = _write(new, heads, calendar)
    return Written(uid, rid, entry, event, calendar)


TIMING_FIELDS = ("start", "end", "all_day", "tz", "rrule", "exdates")


def _occurs(series: dict, at: datetime) -> bool:
    """Whether the series has an occurrence starting at the wall time `at` (not skipped)."""
    try:
        timing = parse_timing(series)
        if timing.rule is None or at in timing.exdates:
            return False
        return at in iter_starts(timing.rule, as_datetime(timing.start), at, at)
    except (RecurrenceError, GaveUp):
        return False


def _moved(text: str, delta: timedelta) -> str:
    """A local time or date moved by `delta` (whole days for a date)."""
    value = wall_time(text)
    return format_local(value + (delta if isinstance(value, datetime) else timedelta(days=delta.days)))


def _carried(override: dict, base: dict, changed: dict) -> dict:
    """A later edited occurrence as the new series has it: the fields this
    change set, where the occurrence still had the value of the one changed."""
    return {**override, **{k: v for k, v in changed.items()
                           if k not in TIMING_FIELDS and k in base and override.get(k) == base.get(k)}}


def _day(text: str) -> date:
    value = wall_time(text)
    return value.date() if isinstance(value, datetime) else value


def _follow_weekday(rrule: str, days: int) -> str:
    """A rule's plain weekdays (BYDAY=TU,TH) moved by `days`, as when the
    first occurrence of "this and following" is dragged from Tuesday to
    Wednesday: the new series repeats on Wednesdays. Numbered days (2TU)
    and other rules are left as they are."""
    parts = rrule.split(";")
    for i, part in enumerate(parts):
        name, _, value = part.partition("=")
        if name.upper() == "BYDAY" and all(d in DAYS for d in value.upper().split(",")):
            moved = [DAY_CODES[(DAYS[d] + days) % 7] for d in value.upper().split(",")]
            parts[i] = "BYDAY=" + ",".join(sorted(set(moved), key=DAYS.__getitem__))
    return ";".join(parts)


def split_series(uid: str, recurrence_id: str, *, calendar: str | None = None, **changes) -> list[Written]:
    """Change the occurrence `recurrence_id` and every later one: the series
    ends just before it (UNTIL), and a new series (new uid, same calendar)
    starts there with `changes`, the rest of the rule (the rest of a COUNT)
    and the later exceptions, moved as the occurrence moved. From the first
    occurrence this is an edit of the whole series. The first Written is the
    new series'; both series name the other (`split_from`, `split_into`)."""
    rid = recurrence_key(recurrence_id)
    assert rid is not None
    calendar, register, series = _current(uid, calendar=calendar)
    if not series.get("rrule"):
        raise CalendarError(f"event {uid} does not repeat; edit it with edit_series")
    at = as_datetime(wall_time(rid))
    own = _register(uid, rid, calendar)
    if not _occurs(series, at) or (own is not None and own.deleted):
        raise CalendarError(f"{rid} is not an occurrence of “{series.get('title')}”")
    if at <= as_datetime(wall_time(series["start"])):
        return [edit_series(uid, calendar=calendar, **changes)]
    base = dict(own.shown_event() or {}) if own is not None else occurrence_of(series, rid)
    changed = _merge(base, {k: v for k, v in changes.items() if k != "rrule"})
    cut = cut_series(series, changed, rid)
    if cut is None or cut[0] is None:
        raise CalendarError(f"the series cannot be cut at {rid}")
    earlier, later, delta = cut
    if "rrule" in changes and split_rrule(changes["rrule"]) != split_rrule(series["rrule"]):
        later["rrule"] = changes["rrule"]  # a new rule chosen for the rest (None: the rest is this one event)
        if later["rrule"] is None:
            later["exdates"] = []
    if "rrule" not in changes and later["rrule"] and (days := (_day(later["start"]) - _day(rid)).days) % 7:
        later["rrule"] = _follow_weekday(later["rrule"], days)
    if later["rrule"] and not _occurs(later, as_datetime(wall_time(later["start"]))):
        raise CalendarError(f"“{series.get('title')}” does not repeat on {later['start'][:10]}: "
                            "change its repeat, or move only this event")
    new = new_uid()
    later = {k: v for k, v in later.items() if k not in ("split_from", "split_into")}
    later["split_from"], earlier["split_into"] = {"uid": uid, "at": rid}, {"uid": new, "at": rid}
    _check(later)
    _check(earlier)
    # Every write is worked out and checked first: a carried occurrence that
    # fails a check must not leave the new series written beside the whole old one.
    writes: list[tuple[dict, list[str]]] = [({"type": PUT, "uid": new, "recurrence_id": None, "event": later}, [])]
    edited, cancelled = changed_occurrences(uid, calendar=calendar)
    for old_rid in [r for r in edited + cancelled if as_datetime(wall_time(r)) > at]:
        new_rid = _moved(old_rid, delta)
        old = _register(uid, old_rid, calendar)
        assert old is not None
        if later["rrule"] is not None and old_rid in cancelled:
            writes.append(({"type": DEL, "uid": new, "recurrence_id": new_rid}, []))
        elif later["rrule"] is not None:  # (when the rest is one event, nothing repeats to carry it to)
            event = _carried(dict(old.shown_event() or {}), occurrence_of(series, old_rid), changed)
            event["start"], event["end"] = _moved(event["start"], delta), _moved(event["end"], delta)
            _check(event, override=True)
            writes.append(({"type": PUT, "uid": new, "recurrence_id": new_rid, "event": event}, []))
        if old_rid in edited:
            writes.append(({"type": DEL, "uid": uid, "recurrence_id": old_rid}, old.heads))
    if own is not None:
        writes.append(({"type": DEL, "uid": uid, "recurrence_id": rid}, own.heads))
    writes.append(({"type": PUT, "uid": uid, "recurrence_id": None, "event": earlier}, register.heads))
    return [Written(body["uid"], body["recurrence_id"], _write(body, links, calendar), body.get("event"), calendar)
            for body, links in writes]
