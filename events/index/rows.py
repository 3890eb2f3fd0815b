"""What a key's row in the index holds: built from its register alone.

`build_row` turns a register into its `IndexKey` row (a `Row`, which
`events.index.fold` inserts with plain SQL): the register itself
(as JSON), whether it is deleted or in conflict, and for the value shown
(`Register.shown`) the event and the UTC span range queries search by.
Calendar bodies that make no sense as an event stay in the register but are
not shown, with the reason logged and kept in `IndexKey.skipped`.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

from events.index.expand import utc_naive
from events.index.registers import Key, Register
from events.recurrence.expansion import Timing, checkpoints, parse_timing
from events.recurrence.timing import RecurrenceError, format_local

logger = logging.getLogger(__name__)

SHORT_SPAN = timedelta(days=8)  # spans up to this long are found by a range scan on span_start
MARGIN = timedelta(hours=15)  # floating and all-day times: every zone is within UTC-12..UTC+14
MAX_TITLE = 500


class EventSkipped(ValueError):
    """A calendar body that is a valid entry but no sensible event."""


def _safe(moment: datetime, delta: timedelta) -> datetime | None:
    try:
        return moment + delta
    except OverflowError:
        return None


def _utc_bounds(value: date | datetime, zone: tzinfo | None) -> tuple[datetime, datetime]:
    """The earliest and latest UTC instant a wall time can be, for any viewer."""
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    if zone is not None:
        try:
            at = moment.replace(tzinfo=zone, fold=0).astimezone(UTC)
        except OverflowError:  # past the year 9999 in UTC: only a bound can say where
            at = (datetime.min if moment.year < 5000 else datetime.max).replace(tzinfo=UTC)
        return at, at
    at = moment.replace(tzinfo=UTC)
    return (_safe(at, -MARGIN) or datetime.min.replace(tzinfo=UTC)), (_safe(at, MARGIN) or datetime.max.replace(tzinfo=UTC))


def check_event(event: object, *, override: bool) -> Timing:
    """Validate an `event` object (docs/PROTOCOL.md section 5.2) for the view; raise EventSkipped."""
    if not isinstance(event, dict):
        raise EventSkipped("event must be an object")
    title = event.get("title")
    if not isinstance(title, str) or not title.strip():
        raise EventSkipped("missing title")
    if len(title) > MAX_TITLE:
        raise EventSkipped(f"title longer than {MAX_TITLE} characters")
    for name in ("location", "description"):
        if event.get(name) is not None and not isinstance(event[name], str):
            raise EventSkipped(f"{name} must be a string or null")
    if override:
        event = {**event, "rrule": None, "exdates": None}
    try:
        return parse_timing(event)
    except RecurrenceError as e:
        raise EventSkipped(str(e)) from None


@dataclass(slots=True)
class Row:
    """The columns of one `events.models.IndexKey` row, with the model's defaults.
    Not a model instance: Django's Model.__init__ cost ten times as much, once
    per event a sync or an import folds."""

    calendar: str
    uid: str
    rid: str
    state: str
    conflict: bool
    deleted: bool
    kind: str = ""
    skipped: str = ""
    shown: str = ""
    author: str = ""
    event: str = ""
    span_start: datetime | None = None
    span_end: datetime | None = None
    long: bool = False
    marks: str = ""
    busy: bool = False


def build_row(key: Key, register: Register) -> Row:
    calendar, uid, rid = key
    row = Row(
        calendar=calendar,
        uid=uid,
        rid=rid,
        # Sorted keys: a row is the same bytes whichever way its bodies were built
        # (parsed from the log's canonical text, or handed over as received).
        state=json.dumps(register.to_json(), separators=(",", ":"), sort_keys=True),
        conflict=register.conflict,
        deleted=register.deleted,
    )
    shown = register.shown()
    if shown is None:
        return row
    row.shown = shown
    row.author = register.versions[shown].author
    row.busy = bool(register.bodies[shown].get("busy"))
    event = register.bodies[shown].get("event")
    try:
        timing = check_event(event, override=bool(rid))
        _fill_view(row, timing)
    except (ValueError, OverflowError) as e:  # EventSkipped, and any value the view cannot place
        logger.warning("not showing %s%s (entry %s): %s", uid, f" at {rid}" if rid else "", shown[:12], e)
        row.kind, row.skipped = "", str(e)
        row.span_start = row.span_end = None
        return row
    row.event = json.dumps(event, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return row


def _fill_view(row: Row, timing: Timing) -> None:
    start, _ = _utc_bounds(timing.start, timing.zone)
    if timing.rule is None:
        row.kind = "override" if row.rid else "single"
        _, end = _utc_bounds(timing.end, timing.zone)
    else:
        row.kind = "series"
        first = timing.start if isinstance(timing.start, datetime) else utc_naive(timing.start)
        last = None
        if timing.rule.until is not None:
            last = timing.rule.until
        elif timing.rule.count is not None:
            marks, last = _checkpoints(timing.rule, first)
            row.marks = json.dumps([[n, format_local(m)] for n, m in marks])
        end = None
        if last is not None:
            tail = _safe(last, timing.duration)
            end = _utc_bounds(tail, timing.zone)[1] if tail else None
    row.span_start, row.span_end = start, end
    row.long = end is None or end - start > SHORT_SPAN


_checkpoints = lru_cache(maxsize=4096)(checkpoints)  # edits that keep the rule cost nothing



def next_version(previous: str, *, drop: bool) -> str:
    """The index version for a batch just written: `generation.batch`. The
    generation stays while rows are only replaced (each key's new row with a
    higher id), so a reader can take the rows above the last id it saw; it
    changes when rows may have gone without successors (`drop`) or the
    previous version is not one this scheme wrote."""
    generation = generation_of(previous)
    if drop or generation is None:
        generation = uuid.uuid4().hex[:12]
    return f"{generation}.{uuid.uuid4().hex[:16]}"


def generation_of(version: str) -> str | None:
    """The generation part of an index version; None when it has none."""
    generation, dot, batch = version.partition(".")
    return generation if dot and generation and batch else None
