"""From a log entry to the write the register fold sees (docs/PROTOCOL.md section 6.5).

A calendar write names its calendar; a sealed one is opened with the keys
this instance holds. It counts only if its author may write in that
calendar; otherwise it is kept as *refused* with the reason, for the
event's history. A write that cannot be judged yet (its calendar's entry
or keys have not arrived) is *pending*: the calendar is folded again when
they come.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from events.calendars import state
from events.calendars.bodies import (
    DEL,
    LEGACY,
    PUT,
    SEALED,
    BodyError,
    calendar_of,
    parse_sealed,
    ref,
)
from events.calendars.keys import EpochKeys, open_event
from events.entry import Entry
from events.models import IndexCalendar
from events.sealing import SealError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Write:
    """An entry as the register fold sees it: the plain body, whatever was sent."""

    hash: str
    author: str
    time: int
    links: tuple[str, ...]
    body: dict
    calendar: str
    busy: bool = False  # only the times could be read
    refused: str = ""  # why it does not count, if it does not


@dataclass(frozen=True)
class Pending:
    calendar: str


def calendar_named(body: object) -> str | None:
    """The calendar a calendar write names, or None for other bodies."""
    if not isinstance(body, dict):
        return None
    kind = body.get("type")
    if kind in (PUT, DEL):
        return calendar_of(body)
    if kind == SEALED:
        try:
            parsed = parse_sealed(body)
        except BodyError:
            return None
        return ref(parsed.owner, parsed.calendar)
    return None


class Calendars:
    """The calendars' rows for one fold pass, each read once."""

    def __init__(self) -> None:
        self._rows: dict[str, IndexCalendar | None] = {}
        self._keys: dict[tuple[str, int], EpochKeys | None] = {}

    def get(self, calendar: str) -> IndexCalendar | None:
        if calendar not in self._rows:
            self._rows[calendar] = state.get(calendar)
        return self._rows[calendar]

    def epoch_keys(self, row: IndexCalendar, epoch: int) -> EpochKeys | None:
        if (row.ref, epoch) not in self._keys:
            self._keys[(row.ref, epoch)] = state.epoch_keys(row, epoch)
        return self._keys[(row.ref, epoch)]


def _refusal(entry: Entry, row: IndexCalendar) -> str:
    if row.deleted:
        return "the calendar was deleted"
    if state.may_write(row, entry.author, entry.seq):
        return ""
    return f"{entry.author[:12]} may not edit this calendar"


def decode(entry: Entry, calendars: Calendars) -> Write | Pending | None:
    body, busy, sealed = entry.body, False, None
    if isinstance(body, dict) and body.get("type") == SEALED:
        try:
            sealed = parse_sealed(body)
        except BodyError:
            return None
        calendar: str | None = ref(sealed.owner, sealed.calendar)
    else:
        calendar = calendar_named(body)
    if calendar is None:
        return None
    if calendar == LEGACY:
        return Write(hash=entry.hash, author=entry.author, time=entry.time, links=entry.links, body=entry.body,
                     calendar=LEGACY)
    row = calendars.get(calendar)
    if row is None:
        return Pending(calendar)
    if sealed is not None:
        keys = calendars.epoch_keys(row, sealed.epoch)
        if keys is None:
            return Pending(calendar)
        try:
            body, busy = open_event(sealed, keys, author=entry.author)
            if busy:
                body["busy"] = True  # kept with the head's body, so the row knows
        except SealError as e:
            logger.warning("entry %s of %s does not open: %s", entry.hash[:12], entry.author[:12], e)
            return None
    return Write(hash=entry.hash, author=entry.author, time=entry.time, links=entry.links, body=body,
                 calendar=calendar, busy=busy, refused=_refusal(entry, row))
