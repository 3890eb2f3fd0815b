"""Which calendar collections a device sees, and what the owner may do in each.

The one place that knows how events are grouped into collections: one per
calendar this instance can see (docs/PROTOCOL.md section 6), named by the
calendar's id, plus "shared" for the calendar of events written before
calendars existed, while it holds any. The rest of `dav` asks only:

- `visible_collections()`: the collections, in display order;
- `collection_named(id)`: one of them, or None;
- `ids_by_calendar()`: which collection shows each calendar (a calendar
  missing from it is not shown over CalDAV).

Privileges follow the role: the owner's calendars and those it edits are
read-write; details are read-only; free/busy calendars are read-only and
their events carry no details (the index holds none).
"""

from __future__ import annotations

from dataclasses import dataclass

from events.calendars import own, state
from events.calendars.bodies import LEGACY
from events.models import IndexKey
from events.routers import INDEX_DB

READ = "read"
WRITE = "write"
SHARED = "shared"  # the legacy calendar's collection


@dataclass(frozen=True)
class Collection:
    id: str  # the URL segment: letters, digits, "-" and "_"
    name: str  # DAV:displayname
    colour: str  # "#RRGGBB", Apple's calendar-color
    privileges: frozenset[str]  # READ, WRITE
    calendar: str = ""  # the calendar's ref (events.calendars.bodies.ref); "" for the legacy one

    @property
    def writable(self) -> bool:
        return WRITE in self.privileges


def _id(calendar: str) -> str:
    return SHARED if calendar == LEGACY else calendar.partition(".")[2]


def visible_collections() -> list[Collection]:
    try:
        own.ensure_own_entries()  # a device finds Personal even before the first page was opened
    except own.CalendarRefused:  # a mirror has no calendar: it shows none
        return []
    out = []
    for row in state.visible():
        privileges = frozenset({READ, WRITE} if row.my_role in state.WRITERS else {READ})
        name = row.name or "Calendar"
        out.append(Collection(_id(row.ref), name, (row.colour or "#888888").upper(), privileges, row.ref))
    if IndexKey.objects.using(INDEX_DB).filter(calendar=LEGACY, deleted=False).exclude(kind="").exists():
        out.append(Collection(SHARED, "Shared with every peer", "#888888", frozenset({READ, WRITE}), LEGACY))
    seen: set[str] = set()
    unique = []
    for collection in out:  # two owners' calendars with one id: only a forged one can, the first stays
        if collection.id not in seen:
            seen.add(collection.id)
            unique.append(collection)
    return unique


def collection_named(collection_id: str) -> Collection | None:
    return next((c for c in visible_collections() if c.id == collection_id), None)


def ids_by_calendar() -> dict[str, str]:
    """calendar ref -> the id of the collection that shows its events."""
    return {c.calendar: c.id for c in visible_collections()}
