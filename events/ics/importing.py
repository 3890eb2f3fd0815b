"""iCalendar files into calendar operations (RFC 5545).

Import turns each UID's VEVENTs (the series and its RECURRENCE-ID overrides,
grouped and reshaped by `events.ics.grouping`) into calendar operations,
written together or not at all, and only where they differ from what the
calendar shows now: importing a file twice writes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

from django.db import transaction

from events import calendar, local_writes, log
from events.ics.compare import same_event
from events.ics.extra_dates import occurs_at
from events.ics.grouping import Group, Skipped, group_read, orphans_as_events, spread_extra_dates
from events.ics.read import NotICalendar
from events.ics.split import read_file
from events.ics.times import local_recurrence_id
from events.index.fold import catch_up
from events.index.history import Prefetched
from events.index.registers import DEL, PUT, Register
from events.index.rows import EventSkipped, check_event
from events.routers import INDEX_DB

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 20 * 1024 * 1024
GROUPS_PER_TRANSACTION = 200


# --- import ---------------------------------------------------------------------------


class ImportRefused(ValueError):
    """The whole file was refused (too large, not iCalendar); nothing was written."""


@dataclass
class ImportReport:
    source: str = ""
    error: str | None = None  # the whole file was refused
    created: int = 0
    updated: int = 0
    deleted: int = 0
    occurrences_changed: int = 0
    occurrences_cancelled: int = 0
    unchanged: int = 0
    entries_written: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict:
        """Every field, `skipped` as {"what", "reason"} objects: the JSON report."""
        return asdict(self)

    def as_text(self) -> str:
        name = f"{self.source}: " if self.source else ""
        if self.error:
            return f"{name}not imported: {self.error}"
        lines = [
            f"{name}{self.created} created, {self.updated} updated, {self.deleted} deleted, "
            f"{self.occurrences_changed} occurrence(s) changed, {self.occurrences_cancelled} cancelled, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped"
        ]
        lines += [f"  skipped {s}" for s in self.skipped]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def read_upload(upload, *, limit: int = MAX_IMPORT_BYTES) -> bytes:
    """The bytes of an uploaded file (a Django UploadedFile or any binary
    file object), read in chunks and refused beyond `limit` bytes."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ImportRefused(too_large(size, limit))
    parts, total = [], 0
    chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(64 * 1024), b"")
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise ImportRefused(too_large(total, limit, at_least=True))
        parts.append(chunk)
    return b"".join(parts)


def too_large(size: int, limit: int, *, at_least: bool = False) -> str:
    more = "more than " if at_least else ""
    return f"the file is {more}{size / 2**20:.1f} MB; files up to {limit / 2**20:.0f} MB can be imported"


def import_upload(upload, *, source: str = "") -> ImportReport:
    """The upload handler the import page calls: read (bounded) and import."""
    source = source or getattr(upload, "name", "") or ""
    try:
        data = read_upload(upload)
    except ImportRefused as e:
        return ImportReport(source=source, error=str(e))
    return import_calendar(data, source=source)


def import_calendar(data: bytes, *, source: str = "") -> ImportReport:
    """Import an iCalendar file's VEVENTs as calendar operations.

    Never raises for bad input: the report says what was refused or skipped
    and why. Each UID (its VEVENT and RECURRENCE-ID overrides) is written in
    one savepoint, so it is in the log whole or not at all."""
    report = ImportReport(source=source)
    if len(data) > MAX_IMPORT_BYTES:
        report.error = too_large(len(data), MAX_IMPORT_BYTES)
        return report
    try:
        reading = read_file(data)
    except NotICalendar as e:
        report.error = str(e)
        return report
    report.notes.extend(reading.notes)
    if not reading.reads:
        report.notes.append("the file holds no VEVENT")
    grouped = group_read(reading.reads)
    report.skipped.extend(grouped.skipped)
    report.notes.extend(grouped.notes)
    catch_up()
    pending = [*grouped.groups.values()]
    for group in grouped.groups.values():
        if group.failure is None:
            pending += _spread(group, report)
    known = Prefetched(group.uid for group in pending if group.failure is None)
    for start in range(0, len(pending), GROUPS_PER_TRANSACTION):
        try:
            with transaction.atomic(using=INDEX_DB), transaction.atomic(), local_writes.batch():
                new = _NewEvents(report, known)
                for group in pending[start : start + GROUPS_PER_TRANSACTION]:
                    if not new.take(group):
                        new.write()  # in the file's order: this group may read what those made
                        _apply_group(group, report, known)
                new.write()
                catch_up()  # new events are appended without folding each one (see _create)
        except log.LocalWritesHeld as e:
            report.error = f"{e} ({report.entries_written} entries were written before this)"
            return report
    return report


class _NewEvents:
    """The groups that only make an event the calendar does not hold, with
    its changed and cancelled occurrences (most of a first import), worked out
    one by one and written together: one statement for many entries instead
    of a savepoint, several queries and an index catch-up for each."""

    def __init__(self, report: ImportReport, known: Prefetched) -> None:
        self.report, self.known = report, known
        self.bodies: dict[str, list[dict]] = {}
        self.tally = ImportReport()

    def take(self, group: Group) -> bool:
        """Handled here (kept to be written, or skipped with its reason); False: a group for `_apply_group`."""
        uid, master = group.uid, group.master
        if (group.failure is not None or master is None or master.event is None or uid in self.bodies
                or self.known.register_of(uid) is not None):
            return False
        draft = _without_cancelled(master.event, uid, self.known)
        if (group.overrides or master.cancelled) and not draft.get("rrule"):
            return False  # _write_group notes what it ignores
        rids = [local_recurrence_id(override.recurrence_id, draft) for override in group.overrides]
        if not all(occurs_at(draft, rid) for rid in rids):
            return False  # strays: _write_group decides what they are
        try:
            bodies = [_new_event_body(uid, draft)]
            series = bodies[0]["event"]
            cancelled = [*master.cancelled, *(rid for o, rid in zip(group.overrides, rids, strict=True) if o.event is None)]
            bodies += [{"type": DEL, "uid": uid, "recurrence_id": calendar.recurrence_key(rid)} for rid in cancelled]
            bodies += [
                {"type": PUT, "uid": uid, "recurrence_id": calendar.recurrence_key(rid),
                 "event": calendar.new_override(series, rid, override.event)}
                for override, rid in zip(group.overrides, rids, strict=True) if override.event is not None
            ]
        except calendar.CalendarError as e:
            self.report.skipped.append(Skipped(f"UID {uid}", f"not written: {e}"))
            return True
        self.bodies[uid] = bodies
        self.tally.created += 1
        self.tally.occurrences_cancelled += len(cancelled)
        self.tally.occurrences_changed += len(bodies) - 1 - len(cancelled)
        return True

    def write(self) -> None:
        if not self.bodies:
            return
        bodies, self.bodies = self.bodies, {}
        local_writes.append_many([body for group in bodies.values() for body in group])
        for uid in bodies:
            self.known.forget(uid)
        for name in ("created", "occurrences_changed", "occurrences_cancelled"):
            setattr(self.report, name, getattr(self.report, name) + getattr(self.tally, name))
        self.report.entries_written += sum(len(group) for group in bodies.values())
        self.tally = ImportReport()


def _spread(group: Group, report: ImportReport) -> list[Group]:
    """The events a group's RDATEs, extra RRULEs and THISANDFUTURE overrides
    make; a group they cannot be made for is skipped whole, with the reason."""
    try:
        return spread_extra_dates(group)
    except Exception as e:  # keep importing the rest; the report names it
        logger.exception("could not read the extra dates of UID %s", group.uid)
        group.failure = Skipped(f"UID {group.uid}", f"could not be read ({type(e).__name__}: {e})")
        report.skipped.append(group.failure)
        return []


def _shown(register: Register | None) -> dict | None:
    return register.shown_event() if register is not None else None


def _apply_group(group: Group, report: ImportReport, known: Prefetched) -> None:
    if group.failure is not None:
        return
    tally = ImportReport()
    try:
        with transaction.atomic(using=INDEX_DB), transaction.atomic():
            _write_group(group, tally, known)
    except calendar.CalendarError as e:
        report.skipped.append(Skipped(f"UID {group.uid}", f"not written: {e}"))
        return
    finally:
        known.forget(group.uid)  # another group of the same UID reads what this one wrote
    for name in ("created", "updated", "deleted", "occurrences_changed", "occurrences_cancelled", "unchanged", "entries_written"):
        setattr(report, name, getattr(report, name) + getattr(tally, name))
    report.notes.extend(tally.notes)


def _write_group(group: Group, tally: ImportReport, known: Prefetched) -> None:
    uid = group.uid
    register = known.register_of(uid)
    current = _shown(register)
    series = current
    if group.master is not None:
        wanted = group.master.event
        if wanted is None:  # STATUS:CANCELLED on the event itself
            if current is not None:
                calendar.delete_event(uid)
                tally.deleted += 1
                tally.entries_written += 1
            else:
                tally.unchanged += 1
            return
        wanted = _without_cancelled(wanted, uid, known)
        series = wanted
        if current is None:
            _create(uid, wanted, register)
            tally.created += 1
            tally.entries_written += 1
        elif not same_event(current, wanted):
            calendar.edit_series(uid, **wanted)
            tally.updated += 1
            tally.entries_written += 1
        else:
            tally.unchanged += 1
    if group.master is not None and group.master.cancelled:
        _cancel(uid, group.master.cancelled, tally, known)
    if not group.overrides:
        return
    if series is None:
        # The series was never sent (a calendar holding only the changed
        # occurrences of someone else's meeting): show those occurrences.
        tally.notes.append(
            f"UID {uid}: {len(group.overrides)} override(s) of an event that is neither in the file nor in this "
            "calendar were imported as events of their own"
        )
        for orphan in orphans_as_events(group):
            _write_group(orphan, tally, known)
        return
    if not series.get("rrule"):
        tally.notes.append(f"UID {uid}: {len(group.overrides)} override(s) of an event that does not repeat were ignored")
        return
    for override in group.overrides:
        rid = local_recurrence_id(override.recurrence_id, series)
        if not occurs_at(series, rid):
            _write_stray(group, override, rid, tally, known)
            continue
        occurrence = known.register_of(uid, rid)
        if override.event is None:
            if occurrence is not None and occurrence.deleted:
                tally.unchanged += 1
                continue
            calendar.cancel_occurrence(uid, rid)
            tally.occurrences_cancelled += 1
        else:
            if same_event(_shown(occurrence), override.event):
                tally.unchanged += 1
                continue
            calendar.edit_occurrence(uid, rid, **override.event)
            tally.occurrences_changed += 1
        tally.entries_written += 1


def _without_cancelled(event: dict, uid: str, known: Prefetched) -> dict:
    """Occurrences we cancelled are written as EXDATE on export; they are
    cancelled already, not exdates of the event."""
    if not event.get("rrule"):
        return event
    cancelled = known.cancelled_rids(uid)
    return {**event, "exdates": [x for x in event["exdates"] if x not in cancelled]}


def _cancel(uid: str, rids: list[str], tally: ImportReport, known: Prefetched) -> None:
    """Occurrences the file says were cancelled (not exdates of the series)."""
    for rid in rids:
        occurrence = known.register_of(uid, rid)
        if occurrence is not None and occurrence.deleted:
            tally.unchanged += 1
            continue
        calendar.cancel_occurrence(uid, rid)
        tally.occurrences_cancelled += 1
        tally.entries_written += 1


def _write_stray(group: Group, override, rid: str, tally: ImportReport, known: Prefetched) -> None:
    """An override naming no occurrence of its series: left over from before
    the series changed when it is older (SEQUENCE) than the series, else an
    occurrence of its own, as the file shows it."""
    if group.master is not None and override.revision[:1] < group.master.revision[:1]:
        tally.notes.append(f"UID {group.uid}: the override of {rid}, older than the event and naming none of its occurrences, was ignored")
        return
    tally.notes.append(f"UID {group.uid}: the override of {rid} names no occurrence of the event; it was imported as an event of its own")
    for stray in orphans_as_events(Group(group.uid, overrides=[override])):
        _write_group(stray, tally, known)


def _create(uid: str, event: dict, register: Register | None) -> None:
    """A new event, or one deleted here and present in the file again: the
    put links the deletion(s), so the event shows again without a conflict.

    Written as `calendar.create_event` writes it, but without folding the
    index after each one: a new key needs nothing from the index, and the
    import folds once per batch, which makes a large import several times
    faster. The index is caught up before anything reads it."""
    links = register.heads if register is not None else []
    log.append_local(_new_event_body(uid, event), links=links)


def _new_event_body(uid: str, draft: dict) -> dict:
    """The entry body putting a whole event, checked as the index will read it."""
    event = calendar.event_from_draft(draft)
    try:
        check_event(event, override=False)
    except EventSkipped as e:
        raise calendar.CalendarError(str(e)) from None
    return {"type": PUT, "uid": uid, "recurrence_id": None, "event": event}
