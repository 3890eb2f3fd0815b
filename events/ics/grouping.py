"""A file's VEVENTs as the events they describe (RFC 5545 3.8.4.4, 3.8.5).

Pure module: no Django. VEVENTs are grouped by UID into a series and its
RECURRENCE-ID overrides. Where our events cannot say what the file says,
the group is reshaped so the calendar still shows the same occurrences:

- of two copies of one VEVENT the newer (SEQUENCE, LAST-MODIFIED, DTSTAMP) wins;
- each RDATE becomes an event of its own (`extra_dates.rdate_uid`), and
  each RRULE after the first a series of its own;
- an override whose series is neither in the file nor (checked by the
  importer) in the calendar becomes an event of its own;
- RANGE=THISANDFUTURE ends the series before that occurrence and starts a
  new series there with the override's fields (`this_and_future`).
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime

from events.ics.extra_dates import rdate_uid
from events.ics.read import Incoming, component_uid, read_vevent
from events.ics.this_and_future import split_series
from events.ics.times import ComponentSkipped, local_recurrence_id
from events.recurrence.timing import format_local

logger = logging.getLogger(__name__)


@dataclass
class Skipped:
    what: str  # "VEVENT #3 (UID abc)"
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass
class Group:
    uid: str
    master: Incoming | None = None
    overrides: list[Incoming] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    failure: Skipped | None = None


@dataclass
class Grouped:
    groups: dict[str, Group] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Read:
    """What reading one VEVENT gave: its event, or why it cannot be imported."""

    position: int  # 1-based among the file's VEVENTs
    uid: str | None  # None: not even its UID could be read
    incoming: Incoming | None = None
    problem: str | None = None
    trace: str | None = None  # the traceback of an error nobody foresaw, for the log


def read_vevents(vevents: list, zones: dict, first: int = 1) -> list[Read]:
    """Read each VEVENT (the first at position `first`). Pure work on the
    parsed components, so a big file's parts are read in worker processes
    (events.ics.split); whoever groups them logs the unforeseen errors."""
    out = []
    for position, component in enumerate(vevents, first):
        try:
            uid = component_uid(component, position)
        except Exception as e:  # a component icalendar cannot even write back
            out.append(Read(position, None, problem=f"unreadable: {e}"))
            continue
        try:
            out.append(Read(position, uid, read_vevent(component, position, zones)))
        except ComponentSkipped as e:
            out.append(Read(position, uid, problem=str(e)))
        except Exception as e:  # keep importing the rest; the report names it
            out.append(Read(position, uid, problem=f"could not be read ({type(e).__name__}: {e})", trace=traceback.format_exc()))
    return out


def group_read(reads: list[Read]) -> Grouped:
    """Group the VEVENTs read by UID; a VEVENT that cannot be read fails its
    whole group (an event and its overrides go together)."""
    out = Grouped()
    for read in reads:
        if read.uid is None:
            out.skipped.append(Skipped(f"VEVENT #{read.position}", read.problem or "unreadable"))
            continue
        group = out.groups.setdefault(read.uid, Group(read.uid))
        group.positions.append(read.position)
        what = f"VEVENT #{read.position} (UID {read.uid})"
        if group.failure is not None:
            out.skipped.append(Skipped(what, "skipped with the event it belongs to"))
            continue
        if read.incoming is None:
            if read.trace:
                logger.error("could not read %s\n%s", what, read.trace)
            _fail(group, Skipped(what, read.problem or "unreadable"), out)
            continue
        out.notes.extend(f"{what}: {note}" for note in read.incoming.notes)
        _add(group, read.incoming, what, out)
    return out


def _add(group: Group, incoming: Incoming, what: str, out: Grouped) -> None:
    """Put `incoming` in its group; of two copies, keep the newer."""
    if incoming.recurrence_id is None:
        older = group.master
        if older is not None:
            # On a tie the first stays, as other readers of such files keep it.
            kept, dropped = (incoming, older) if incoming.revision > older.revision else (older, incoming)
            out.notes.append(
                f"{what}: two VEVENTs with this UID and no RECURRENCE-ID; the newer, "
                f"VEVENT #{kept.position}, was kept and VEVENT #{dropped.position} left out"
            )
            group.master = kept
        else:
            group.master = incoming
        return
    for i, other in enumerate(group.overrides):
        if other.recurrence_id == incoming.recurrence_id:
            if incoming.revision > other.revision:
                group.overrides[i] = incoming
            out.notes.append(f"{what}: two copies of one override; the newer was kept")
            return
    group.overrides.append(incoming)


def _fail(group: Group, skipped: Skipped, out: Grouped) -> None:
    group.failure = skipped
    out.skipped.append(skipped)
    earlier = [p for p in group.positions if p != group.positions[-1]]
    if earlier:
        out.skipped.append(
            Skipped(
                f"VEVENT(s) #{', #'.join(map(str, earlier))} (UID {group.uid})",
                "not imported either: an event and its overrides are imported together",
            )
        )


def _single(uid: str, like: Incoming, event: dict | None) -> Group:
    return Group(uid, master=Incoming(uid=uid, position=like.position, event=event), positions=[like.position])


def spread_extra_dates(group: Group) -> list[Group]:
    """The group's RDATEs as events of their own (an override of an RDATE
    is that event's value), then its THISANDFUTURE overrides as series."""
    master = group.master
    if master is None or master.event is None:
        return []
    out: list[Group] = []
    if master.rdates:
        by_rid = {_local_rid(o, master.event): o for o in group.overrides}
        for start, end in master.rdates:
            override = by_rid.pop(start, None)
            event = {**master.event, "start": start, "end": end, "rrule": None, "exdates": []}
            if override is None:
                out.append(_single(rdate_uid(group.uid, start), master, event))
            elif override.event is not None:  # else that date is cancelled
                out.append(_single(rdate_uid(group.uid, start), master, override.event))
        group.overrides = list(by_rid.values())
    for n, rule in enumerate(master.extra_rules, 2):
        # DTSTART belongs to the first rule's series only.
        exdates = sorted({*master.event["exdates"], master.event["start"]})
        out.append(_single(f"{group.uid}/rrule/{n}", master, {**master.event, "rrule": rule, "exdates": exdates}))
    target = group
    while target.master is not None and target.master.event and target.master.event.get("rrule"):
        series = target.master.event
        ranges = [o for o in target.overrides if o.this_and_future and o.event is not None]
        if not ranges:
            break
        earliest = min(ranges, key=lambda o: _local_rid(o, series))
        later = _cut(target, earliest)
        out += later
        target = later[0] if later else target
    return out


def _local_rid(override: Incoming, series: dict) -> str:
    assert override.recurrence_id is not None
    return local_recurrence_id(override.recurrence_id, series)


def _cut(group: Group, override: Incoming) -> list[Group]:
    """Apply one THISANDFUTURE override: the group keeps the occurrences
    before it, and a new group (the series from it on) takes the later
    overrides, their RECURRENCE-IDs moved with the occurrences they name."""
    master = group.master
    assert master is not None and master.event is not None and override.event is not None
    rid = _local_rid(override, master.event)
    split = split_series(master.event, override.event, rid)
    group.overrides.remove(override)
    if split is None:
        return []
    earlier, later, delta = split
    moved = [o for o in group.overrides if _local_rid(o, master.event) > rid]
    group.overrides = [o for o in group.overrides if o not in moved]
    for other in moved:
        assert other.recurrence_id is not None
        other.recurrence_id = other.recurrence_id + delta
    if earlier is None:  # it changes the series from its first occurrence
        master.event = later
        group.overrides += moved
        return []
    master.event = earlier
    uid = f"{group.uid}/from/{_compact(override.recurrence_id)}"
    return [Group(uid, master=Incoming(uid=uid, position=override.position, event=later), overrides=moved, positions=[override.position])]


def _compact(value) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return format_local(value).replace("-", "").replace(":", "")


def orphans_as_events(group: Group) -> list[Group]:
    """Overrides of a series that is nowhere to be found: the occurrences
    they describe, each an event of its own."""
    out = []
    for override in group.overrides:
        if override.event is not None:
            out.append(_single(f"{group.uid}/occurrence/{_compact(override.recurrence_id)}", override, override.event))
    return out
