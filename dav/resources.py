"""Calendar object resources: finding them and their iCalendar bodies.

A resource is one event with its overrides (RFC 4791 section 4.1), each
VEVENT written by the .ics export's own `events.ics.export.vevents_of`, plus
the X- properties a client gave it (kept in the event's `x_properties`
field). Bodies are remembered by ETag, since a calendar app asks for the
same events again and again and the ETag changes with any entry about the
event; a first sync asks for thousands at once, so the events are read from
the index in batches and each zone's VTIMEZONE is made once per process.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache

from icalendar import Event, Timezone
from icalendar.prop import vInline

from dav.models import DavResource, DavState
from events.ics.export import KeyState, LiveEvent, vevents_of
from events.ics.write import build_calendar
from events.models import IndexKey
from events.routers import INDEX_DB

X_PROPERTIES = "x_properties"  # event field: [[name, value as written, {param: value}], ...]
MAX_REMEMBERED = 20_000
OPEN_ENDED_YEARS = 10  # VTIMEZONE rules for a series without an end: this many years
CHUNK = 500

_bodies: dict[str, bytes] = {}


def live_resource(collection_id: str, name: str) -> DavResource | None:
    return DavResource.objects.filter(collection=collection_id, name=name, deleted=False).first()


def live_in(collection_id: str, names: list[str] | None = None) -> list[DavResource]:
    rows = DavResource.objects.filter(collection=collection_id, deleted=False)
    if names is not None:
        rows = rows.filter(name__in=names)
    return list(rows.order_by("name"))


_live_tables: dict[str, tuple[str, dict[str, DavResource]]] = {}


def live_by_uid(collection_id: str, state: DavState) -> dict[str, DavResource]:
    """uid -> live row of the collection, read once per state of the table
    (every change takes the next counter value), as a calendar app asks for
    the same months again and again."""
    version = f"{state.epoch}:{state.counter}"
    hit = _live_tables.get(collection_id)
    if hit is None or hit[0] != version:
        rows = DavResource.objects.filter(collection=collection_id, deleted=False)
        hit = _live_tables[collection_id] = (version, {row.uid: row for row in rows})
    return hit[1]


def body_of(row: DavResource) -> bytes | None:
    """The resource's VCALENDAR, or None when the event stopped being live
    since the table was refreshed."""
    return bodies_of([row]).get(row.etag)


def bodies_of(rows: list[DavResource]) -> dict[str, bytes]:
    """ETag -> VCALENDAR for the rows whose events are live."""
    found = {r.etag: _bodies[r.etag] for r in rows if r.etag in _bodies}
    missing = [r for r in rows if r.etag not in found]
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK]
        items = live_events([r.uid for r in chunk])
        for row in chunk:
            item = items.get(row.uid)
            if item is not None:
                found[row.etag] = _remember(row.etag, _body(item))
    return found


def _remember(etag: str, body: bytes) -> bytes:
    if len(_bodies) >= MAX_REMEMBERED:
        _bodies.clear()
    _bodies[etag] = body
    return body


def _facts(state_json: str) -> tuple[int, int]:
    versions = json.loads(state_json)["versions"]
    return len(versions), max((v[0] for v in versions.values()), default=0)


def live_events(uids: list[str]) -> dict[str, LiveEvent]:
    """The live events among `uids`, as `events.ics.export.live_events` gives
    them one at a time: the shown series with its overrides and cancelled
    occurrences; children of a single or hidden event are not shown."""
    out: dict[str, LiveEvent] = {}
    fields = ("uid", "rid", "kind", "deleted", "event", "state")
    rows = (
        IndexKey.objects.using(INDEX_DB)
        .filter(uid__in=uids)
        .order_by("uid", "rid")
        .values_list(*fields)
    )
    for uid, rid, kind, deleted, event_json, state_json in rows:
        if not rid:
            if kind in ("single", "series") and not deleted:
                out[uid] = LiveEvent(uid, KeyState("", json.loads(event_json), *_facts(state_json)))
            continue
        item = out.get(uid)
        if item is None or not item.series.event.get("rrule"):
            continue
        if deleted:
            item.cancelled.append(KeyState(rid, None, *_facts(state_json)))
        elif kind == "override":
            item.overrides.append(KeyState(rid, json.loads(event_json), *_facts(state_json)))
    return out


def _body(item: LiveEvent) -> bytes:
    vevents = vevents_of(item)
    for vevent, event in zip(
        vevents, [item.series.event, *(o.event for o in item.overrides)], strict=True
    ):
        add_x_properties(vevent, event)
    spans: dict[str, tuple[int, int]] = {}
    for vevent in vevents:
        start = vevent.decoded("DTSTART")
        zone = getattr(start, "tzinfo", None)
        key = getattr(zone, "key", None)
        if isinstance(start, datetime) and key and key not in ("UTC", "Etc/UTC"):
            first, last = spans.get(key, (start.year, start.year))
            spans[key] = (min(first, start.year), max(last, _last_year(vevent, start)))
    # The VCALENDAR's lines, each VTIMEZONE's (made and written once per zone
    # and years: most of a body's lines), then the events'.
    head, tail = _frame()
    zones = [_vtimezone(tzid, *spans[tzid]) for tzid in sorted(spans)]
    return b"".join([head, *zones, *(vevent.to_ical() for vevent in vevents), tail])


@lru_cache(maxsize=1)
def _frame() -> tuple[bytes, bytes]:
    """The VCALENDAR around the components: PRODID, VERSION, CALSCALE as the export writes them."""
    text = build_calendar([]).to_ical()
    end = text.rindex(b"END:VCALENDAR")
    return text[:end], text[end:]


def _last_year(vevent: Event, start: datetime) -> int:
    """The last year the event (or series) happens in, bounded for open-ended series."""
    recur = vevent.get("RRULE")
    if recur is None:
        end = vevent.get("DTEND")
        return end.dt.year if end is not None else start.year
    until = recur.get("UNTIL")
    return until[0].year if until else start.year + OPEN_ENDED_YEARS


@lru_cache(maxsize=512)
def _vtimezone(tzid: str, first: int, last: int) -> bytes:
    zone = Timezone.from_tzid(
        tzid, first_date=date(first, 1, 1), last_date=date(min(last + 1, 9998), 12, 31)
    )
    return zone.to_ical()


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
