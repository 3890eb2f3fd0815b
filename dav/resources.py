"""Calendar object resources: finding them and their iCalendar bodies.

A resource is one event with its overrides (RFC 4791 section 4.1), written
by the same code as the .ics export (`events.ics.export.vevents_of`), plus
the X- properties a client gave it (kept in the event's `x_properties`
field). Bodies are remembered by ETag: a calendar app asks for the same
events again and again, and the ETag changes with any entry about the event.
"""

from __future__ import annotations

from icalendar import Event
from icalendar.prop import vInline

from dav.models import DavResource
from events.ics.export import live_events, vevents_of
from events.ics.write import build_calendar

X_PROPERTIES = "x_properties"  # event field: [[name, value as written, {param: value}], ...]
MAX_REMEMBERED = 20_000

_bodies: dict[str, bytes] = {}


def live_resource(collection_id: str, name: str) -> DavResource | None:
    return DavResource.objects.filter(collection=collection_id, name=name, deleted=False).first()


def live_in(collection_id: str, names: list[str] | None = None) -> list[DavResource]:
    rows = DavResource.objects.filter(collection=collection_id, deleted=False)
    if names is not None:
        rows = rows.filter(name__in=names)
    return list(rows.order_by("name"))


def body_of(row: DavResource) -> bytes | None:
    """The resource's VCALENDAR, or None when the event stopped being live
    since the table was refreshed."""
    hit = _bodies.get(row.etag)
    if hit is not None:
        return hit
    items = list(live_events(row.uid))
    if not items:
        return None
    item = items[0]
    vevents = vevents_of(item)
    for vevent, event in zip(
        vevents, [item.series.event, *(o.event for o in item.overrides)], strict=True
    ):
        add_x_properties(vevent, event)
    body = build_calendar(vevents).to_ical()
    if len(_bodies) >= MAX_REMEMBERED:
        _bodies.clear()
    _bodies[row.etag] = body
    return body


def add_x_properties(vevent: Event, event: dict) -> None:
    for item in event.get(X_PROPERTIES) or []:
        try:
            name, value, params = item
            vevent.add(
                str(name),
                vInline(str(value)),
                parameters={str(k): str(v) for k, v in dict(params).items()},
            )
        except (
            TypeError,
            ValueError,
        ):  # a value another writer put there: leave it out of the body
            continue
