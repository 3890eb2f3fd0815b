"""A big iCalendar file read on every core.

icalendar parses in pure Python: reading the VEVENTs of a big file is most
of the time its import takes, and threads cannot spread that over a second
core. So a file that is plainly one VCALENDAR of components (each BEGIN at
the start of a line, closed by its own END, nothing between them) is cut into
calendars holding a share of its VEVENTs each, in order, each with the
file's header (its calendar properties, X-WR-TIMEZONE among them) and all its
VTIMEZONEs. Worker processes (events.worker_pool) parse and read the parts
while this thread reads the first. The outcome is the one reading the whole
file gives: the same VEVENTs at the same positions, and the same notes (the
first part holds every other component, so its notes are the file's).

Anything unusual (several VCALENDARs, text between components, a VEVENT
inside another component, a part that does not parse or holds another number
of VEVENTs than was cut into it) reads the whole file in this thread
instead, where salvaging a broken file and every note are decided.
"""

from __future__ import annotations

import itertools
import logging
import re
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass

from events import worker_pool
from events.ics.grouping import Read, read_vevents
from events.ics.read import read_calendar

logger = logging.getLogger(__name__)

PARALLEL_MIN = 2000  # VEVENTs: below this, starting and feeding workers costs about what they save
PARTS_PER_WORKER = 6  # small enough shares that no core waits long for the last one
MAX_REPEATED = 0.5  # what every part repeats (header, VTIMEZONEs), at most this share of the file, all parts together

_LINE = re.compile(rb"^(BEGIN|END):([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_BLANK = b"\xef\xbb\xbf \t\r\n"


@dataclass
class Reading:
    notes: list[str]
    reads: list[Read]  # one per VEVENT, in the file's order


def read_file(data: bytes) -> Reading:
    """Every VEVENT of the file, read. Raises NotICalendar as `read_calendar` does."""
    if data.count(b"BEGIN:VEVENT") >= PARALLEL_MIN:
        parts = split(data, worker_pool.workers() * PARTS_PER_WORKER)
        if parts is not None:
            try:
                return _read_in_parts(parts)
            except Exception as e:  # a part that does not read as the whole file would: read it whole
                if isinstance(e, BrokenExecutor):
                    worker_pool.shutdown()
                logger.info("the file was read whole: its parts could not be (%s)", e)
    parsed = read_calendar(data)
    return Reading(parsed.notes, read_vevents(parsed.vevents, parsed.zones))


def split(data: bytes, count: int) -> list[tuple[bytes, int]] | None:
    """The file as up to `count` calendars, each (its text, how many VEVENTs
    it holds), or None when it is not plainly one VCALENDAR of components."""
    vevents: list[bytes] = []
    zones: list[bytes] = []
    others: list[bytes] = []
    open_: list[bytes] = []  # the components the line is inside, outermost first
    header_end, last_end, start, closed = -1, -1, 0, False
    for match in _LINE.finditer(data):
        begins, value = match.group(1).upper() == b"BEGIN", match.group(2).strip().upper()
        if closed or (value == b"VCALENDAR") != (len(open_) == (0 if begins else 1)):
            return None  # a second VCALENDAR, or one inside a component
        if begins:
            open_.append(value)
            if len(open_) == 1 and data[: match.start()].strip(_BLANK):
                return None
            if len(open_) == 2:
                if header_end < 0:
                    header_end = match.start()
                elif data[last_end : match.start()].strip():
                    return None
                start = match.start()
            elif len(open_) > 2 and value == b"VEVENT":
                return None
            continue
        if not open_ or open_.pop() != value:
            return None
        if len(open_) == 1:
            last_end = _line_end(data, match.end())
            {b"VEVENT": vevents, b"VTIMEZONE": zones}.get(value, others).append(data[start:last_end])
        elif not open_:
            closed = last_end >= 0 and not data[last_end : match.start()].strip() and not data[match.end():].strip()
            if not closed:
                return None
    if not closed or not vevents:
        return None
    header, shared = data[:header_end], b"".join(zones)
    size = -(-len(vevents) // count)
    if (len(header) + len(shared)) * -(-len(vevents) // size) > len(data) * MAX_REPEATED:
        return None  # a huge header or many time zones, read once per part, would cost more than it saves
    return [
        (b"".join([header, shared, b"".join(others) if i == 0 else b"", *vevents[i : i + size], b"END:VCALENDAR\r\n"]),
         len(vevents[i : i + size]))
        for i in range(0, len(vevents), size)
    ]


def _line_end(data: bytes, at: int) -> int:
    newline = data.find(b"\n", at)
    return len(data) if newline < 0 else newline + 1


def read_part(part: bytes, expected: int, first: int) -> tuple[list[str], list[Read]]:
    """A part's notes and VEVENTs, read (the first at position `first`); in a worker."""
    parsed = read_calendar(part, salvage=False)
    if len(parsed.vevents) != expected:
        raise ValueError(f"a part holds {len(parsed.vevents)} VEVENTs where {expected} were cut into it")
    return parsed.notes, read_vevents(parsed.vevents, parsed.zones, first)


def _read_in_parts(parts: list[tuple[bytes, int]]) -> Reading:
    firsts = list(itertools.accumulate((n for _, n in parts), initial=1))
    pool = worker_pool.started()
    later = [pool.submit(read_part, part, n, first) for (part, n), first in zip(parts[1:], firsts[1:], strict=False)]
    try:
        notes, reads = read_part(*parts[0], firsts[0])
        for future in later:
            reads += future.result()[1]
    finally:
        for future in later:
            future.cancel()
    return Reading(notes, reads)
