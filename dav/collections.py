"""Which calendar collections a device sees, and what the owner may do in each.

The one place that knows how events are grouped into collections. The rest
of `dav` asks only this module's small interface:

- `visible_collections()`: the collections, in display order;
- `collection_named(id)`: one of them, or None;
- `collection_of(uid, event)`: the collection a live event belongs to (None:
  not shown over CalDAV);
- `fields_for_new(collection)`: event fields a PUT into that collection adds.

Today every event is in one read-write collection, "personal".
"""

from __future__ import annotations

from dataclasses import dataclass

READ = "read"
WRITE = "write"
PERSONAL = "personal"


@dataclass(frozen=True)
class Collection:
    id: str  # the URL segment: letters, digits, "-" and "_"
    name: str  # DAV:displayname
    colour: str  # "#RRGGBB", Apple's calendar-color
    privileges: frozenset[str]  # READ, WRITE

    @property
    def writable(self) -> bool:
        return WRITE in self.privileges


_PERSONAL = Collection(PERSONAL, "Personal", "#3B82F6", frozenset({READ, WRITE}))


def visible_collections() -> list[Collection]:
    return [_PERSONAL]


def collection_named(collection_id: str) -> Collection | None:
    return next((c for c in visible_collections() if c.id == collection_id), None)


def collection_of(uid: str, event: dict) -> str | None:
    """The id of the collection that holds this live event."""
    return PERSONAL


def fields_for_new(collection: Collection) -> dict:
    """Fields to add to an event created by a PUT into `collection`."""
    return {}
