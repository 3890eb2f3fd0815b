"""The calendar as iCalendar (RFC 5545): the whole of it, one event, the cached feed body.

Export reads the index: every live key with the value it shows (the primary
value for a conflict), its override and cancelled-occurrence children, and
from each register its entry count and latest entry time (SEQUENCE,
LAST-MODIFIED, DTSTAMP), so the same log gives the same bytes in a given
year (VTIMEZONEs reach a number of years past the year of the export).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from events import clock, instance
from events.entry import time_of
from events.ics.write import build_calendar, horizon_of, to_vevent
from events.index.fold import catch_up
from events.models import IndexKey, LogEntry
from events.routers import INDEX_DB

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "1"


# --- what the calendar holds -----------------------------------------------------


@dataclass
class KeyState:
    """One shown register: its value and the facts its history gives."""

    rid: str
    event: dict | None  # None: a cancelled occurrence
    entries: int
    last_time: int  # ms, the latest entry of the key


@dataclass
class LiveEvent:
    """A live event (single or series) with its override and cancelled children."""

    uid: str
    series: KeyState
    overrides: list[KeyState] = field(default_factory=list)
    cancelled: list[KeyState] = field(default_factory=list)


def _key_facts(state_json: str) -> tuple[int, int]:
    versions = json.loads(state_json)["versions"]
    return len(versions), max((v[0] for v in versions.values()), default=0)


def live_events(uid: str | None = None, *, chunk: int = 2000) -> Iterator[LiveEvent]:
    """Every live key with the value it shows, its override children and
    cancelled occurrences, and per key its entry count and latest entry
    time; in uid order. Deleted events and values the index cannot show are
    left out, as the calendar's own views leave them out."""
    catch_up()
    rows = IndexKey.objects.using(INDEX_DB).order_by("uid", "rid")
    if uid is not None:
        rows = rows.filter(uid=uid)
    current: LiveEvent | None = None
    fields = ("uid", "rid", "kind", "deleted", "event", "state")
    for row_uid, rid, kind, deleted, event_json, state_json in rows.values_list(*fields).iterator(chunk_size=chunk):
        if not rid:
            if current is not None:
                yield current
            current = None
            if kind in ("single", "series") and not deleted:
                entries, last = _key_facts(state_json)
                current = LiveEvent(row_uid, KeyState("", json.loads(event_json), entries, last))
            continue
        if current is None or current.uid != row_uid or current.series.event.get("rrule") is None:
            continue  # the children of a deleted, hidden or single event are not shown
        if deleted:
            entries, last = _key_facts(state_json)
            current.cancelled.append(KeyState(rid, None, entries, last))
        elif kind == "override":
            entries, last = _key_facts(state_json)
            current.overrides.append(KeyState(rid, json.loads(event_json), entries, last))
    if current is not None:
        yield current


# --- export ---------------------------------------------------------------------------


def _stamp(ms: int) -> datetime:
    return time_of(ms - ms % 1000)


def vevents_of(item: LiveEvent) -> list:
    """The VEVENTs of one live event: the event itself, then its overrides."""
    series = item.series
    # Cancelling an occurrence changes the series' EXDATE: it counts as a revision.
    revisions = series.entries - 1 + sum(c.entries for c in item.cancelled)
    last = max([series.last_time, *(c.last_time for c in item.cancelled)])
    out = [
        to_vevent(
            item.uid,
            series.event,
            stamp=_stamp(last),
            sequence=revisions,
            cancelled=[c.rid for c in item.cancelled],
        )
    ]
    for override in item.overrides:
        out.append(
            to_vevent(
                item.uid,
                override.event,
                stamp=_stamp(override.last_time),
                sequence=override.entries - 1,
                recurrence_id=override.rid,
                series=series.event,
            )
        )
    return out


def _all_vevents(items) -> list:
    out = []
    for item in items:
        try:
            out.extend(vevents_of(item))
        except (ValueError, TypeError, KeyError):  # a value the index shows but iCalendar cannot carry
            logger.exception("event %s left out of the iCalendar export", item.uid)
    return out


def count_vevents(body: bytes) -> int:
    """How many VEVENTs an export holds: its lines that are exactly
    BEGIN:VEVENT (the same words inside a title or description are part of
    a longer line, and a folded line goes on with a space)."""
    return sum(1 for line in body.splitlines() if line == b"BEGIN:VEVENT")


def _now(now: datetime | None) -> datetime:
    return (now or clock.now("UTC")).astimezone(UTC).replace(microsecond=0)


def export_calendar(*, now: datetime | None = None) -> bytes:
    """The whole calendar as one VCALENDAR."""
    horizon = horizon_of(_now(now).date())
    return build_calendar(_all_vevents(live_events()), name=instance.name(), horizon=horizon).to_ical()


def export_event(uid: str, *, now: datetime | None = None) -> bytes | None:
    """One event (with its overrides) as a VCALENDAR, or None if it is not live."""
    items = list(live_events(uid))
    if not items:
        return None
    horizon = horizon_of(_now(now).date())
    return build_calendar(vevents_of(items[0]), name=instance.name(), horizon=horizon).to_ical()


@dataclass
class Exported:
    etag: str
    body: bytes
    last_modified: datetime | None


_cache: dict[str, Exported] = {}


def log_state_etag(*, now: datetime | None = None) -> str:
    """Changes whenever the log does: its last arrival, its size and the
    hash of its latest entry (arrival numbers of a rolled-back write can be
    handed out again); and with the year, which moves the VTIMEZONEs' horizon."""
    last = LogEntry.objects.order_by("-arrival").values_list("arrival", "hash").first() or (0, "")
    year = horizon_of(_now(now).date()).year
    return f'"ics{EXPORT_FORMAT}-{year}-{last[0]}-{LogEntry.objects.count()}-{last[1][:16]}"'


def cached_export(*, now: datetime | None = None) -> Exported:
    """The whole calendar, built once per log state (subscription polls
    that find nothing new cost two small queries).

    Last-Modified is when this process first built the new state, and moves
    forward by at least a second (HTTP dates have seconds) each time the log
    changes: an entry older than the newest one arriving, or the newest
    event deleted, still changes it, so a client asking If-Modified-Since
    sees every change. A restarted process starts from the present."""
    at = _now(now)
    etag = log_state_etag(now=at)
    hit = _cache.get("calendar")
    if hit is not None and hit.etag == etag:
        return hit
    body = build_calendar(_all_vevents(live_events()), name=instance.name(), horizon=horizon_of(at.date())).to_ical()
    previous = hit.last_modified if hit is not None else None
    modified = at if previous is None else max(at, previous + timedelta(seconds=1))
    exported = Exported(etag, body, modified)
    _cache["calendar"] = exported
    return exported
