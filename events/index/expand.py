"""A row's occurrences in one query window: the hot loops of range queries.

Pure module: no Django. `query` hands each candidate row here; single
events and overrides are placed with `emit`, series walked with
`expand_series`. A `Frame` holds what one query works out once for all its
rows (the window in each zone's wall time, stretches without offset changes,
recurrence id texts); `Prepared` is a shown event parsed once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

from events.recurrence.expansion import GaveUp, Timing, iter_starts

SLACK = timedelta(hours=3)


def _back(wall: datetime, duration: timedelta) -> datetime:
    """`wall - duration`, or the first moment Python knows when that is before
    it (an event lasting years, a window in the year 2)."""
    try:
        return wall - duration
    except OverflowError:
        return datetime.min


def utc_naive(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


@dataclass(slots=True)
class Occurrence:
    uid: str
    recurrence_id: str | None  # original start (local wall time) for occurrences of a series
    title: str
    start: date | datetime  # a date for all-day events, else aware in the viewer's zone
    end: date | datetime
    all_day: bool
    location: str | None
    conflict: bool
    is_override: bool
    is_recurring: bool
    author: str
    floating: bool = False
    tz: str | None = None  # the event's own zone
    order: tuple = ()  # (start, uid, recurrence_id): how results are sorted
    calendar: str = ""  # events.calendars.bodies.ref, "" for the legacy calendar
    busy: bool = False  # only the times can be read: no title, place or description

    def as_dict(self) -> dict:
        return {
            "uid": self.uid,
            "recurrence_id": self.recurrence_id,
            **({"busy": True} if self.busy else {"title": self.title}),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "all_day": self.all_day,
            "location": self.location,
            "conflict": self.conflict,
            "is_override": self.is_override,
            "is_recurring": self.is_recurring,
            "author": self.author,
            "floating": self.floating,
            "tz": self.tz,
            "calendar": self.calendar,
        }


@dataclass(slots=True)
class Prepared:
    """A shown event, parsed once per process (keyed by the entry hash)."""

    title: str
    location: str | None
    timing: Timing
    marks: list[tuple[int, datetime]] | None
    placed: dict[tzinfo, tuple] = field(default_factory=dict)  # viewer -> _place(...), for single times


class Frame:
    """What one query works out once for all its series: the window in each
    zone's wall time; the stretches of it where neither the zone's nor the
    viewer's UTC offset changes, so a wall time in the zone is the viewer's
    wall time plus a constant and occurrences can skip the zone arithmetic
    (see `_stretches`); and the text of each recurrence id, as many series
    share their wall times and `isoformat` costs more than the occurrence."""

    MAX_WINDOW = timedelta(days=62)
    MARGIN = timedelta(days=2)
    KEEP_OFF = timedelta(hours=3)

    def __init__(self, lo: datetime, hi: datetime, viewer: tzinfo, *, limit: int):
        self.lo, self.hi, self.viewer = lo, hi, viewer
        self.limit = limit  # occurrences per series at most
        self.lo_utc, self.hi_utc = lo.astimezone(UTC), hi.astimezone(UTC)
        self.usable = hi - lo <= self.MAX_WINDOW
        self.frames: dict[tzinfo, tuple[datetime, datetime, tuple]] = {}
        self.rids: dict[datetime, str] = {}

    def window_in(self, zone: tzinfo) -> tuple[datetime, datetime, tuple]:
        """(wall_lo, wall_hi, stretches): the window in the zone's wall time,
        widened by SLACK (wall times map to instants monotonically except
        across a DST change), and its stretches ending with `_NO_STRETCH`."""
        hit = self.frames.get(zone)
        if hit is None:
            wall_lo = self.lo.astimezone(zone).replace(tzinfo=None) - SLACK
            wall_hi = self.hi.astimezone(zone).replace(tzinfo=None) + SLACK
            stretches = _stretches(zone, self.viewer, self.lo_utc, self.hi_utc) if self.usable else (_NO_STRETCH,)
            hit = self.frames[zone] = (wall_lo, wall_hi, stretches)
        return hit


# a stretch that holds no wall time: ends every list of stretches, so the
# walk along them needs no bounds check
_NO_STRETCH = (datetime.max, datetime.max, None, None)


def _offset_changes(zone: tzinfo, lo_utc: datetime, hi_utc: datetime) -> list[datetime]:
    """UTC instants (naive) near which the zone's offset changes, from
    MARGIN before lo_utc to MARGIN after hi_utc. Offsets are sampled hourly
    (no zone changes its offset and back within an hour)."""
    wall = lo_utc.astimezone(zone).replace(tzinfo=None) - Frame.MARGIN
    stop = hi_utc.astimezone(zone).replace(tzinfo=None) + Frame.MARGIN
    offset = zone.utcoffset(wall)
    hour = timedelta(hours=1)
    changes = []
    while wall <= stop:
        wall += hour
        now = zone.utcoffset(wall)
        if now != offset:
            assert now is not None  # zoneinfo zones always have an offset
            changes.append(wall - now)
            offset = now
    return changes


@lru_cache(maxsize=256)
def _stretches(zone: tzinfo, viewer: tzinfo, lo_utc: datetime, hi_utc: datetime) -> tuple:
    """Stretches (from_wall, to_wall, anchor_wall, anchor) in the zone's wall
    time: within one, the occurrence at wall w starts at anchor + (w -
    anchor_wall) in the viewer's zone. Each keeps three hours' distance from
    any offset change, so gaps and repeated hours always take the exact path,
    and lies inside the window, so what starts in one needs no range check.

    Only zone rules decide them, so they are kept across queries (a calendar
    asks for the same few windows again and again); the bounds are UTC
    instants because equal aware times in one zone may differ by their fold."""
    utc_lo = lo_utc.replace(tzinfo=None) - Frame.MARGIN
    utc_hi = hi_utc.replace(tzinfo=None) + Frame.MARGIN
    changes = _offset_changes(viewer, lo_utc, hi_utc) + _offset_changes(zone, lo_utc, hi_utc)
    cuts = sorted({utc_lo, utc_hi, *changes})
    inside_lo, inside_hi = lo_utc.replace(tzinfo=None), hi_utc.replace(tzinfo=None)
    lo, hi = lo_utc.astimezone(viewer), hi_utc.astimezone(viewer)
    stretches = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        a, b = max(a + Frame.KEEP_OFF, inside_lo), min(b - Frame.KEEP_OFF, inside_hi)
        if b <= a:
            continue
        anchor = a.replace(tzinfo=UTC).astimezone(viewer)
        if not (lo <= anchor and anchor + (b - a) <= hi):  # occurrences compare by the viewer's wall clock
            continue
        wall = a.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        stretches.append((wall, wall + (b - a), wall, anchor))
    return (*stretches, _NO_STRETCH)


def emit(out: list, frame: Frame, prepared: Prepared, base: tuple, rid: str | None, *, override: bool) -> bool:
    """Append the occurrence of a single event or an override if it overlaps
    the window. `base`: (uid, title, location, conflict, author, calendar, busy)."""
    lo, hi, viewer = frame.lo, frame.hi, frame.viewer
    placed = prepared.placed.get(viewer)
    if placed is None:
        placed = prepared.placed[viewer] = _place(prepared.timing, viewer)
    start, end, shown_start, shown_end = placed
    if not (start < hi and (end > lo or (start == end and start >= lo))):
        return False
    uid, title, location, conflict, author, calendar, busy = base
    timing = prepared.timing
    occurrence = Occurrence(
        uid,
        rid,
        title,
        shown_start,
        shown_end,
        timing.all_day,
        location,
        conflict,
        override,
        override,
        author,
        timing.floating,
        timing.zone.key if timing.zone else None,
        (start, uid, rid or ""),  # all in the viewer's zone: wall-clock order
        calendar,
        busy,
    )
    out.append(occurrence)
    return True


def _place(timing: Timing, viewer: tzinfo) -> tuple:
    """(start, end, shown start, shown end) of a single time seen from the
    viewer's zone: start and end aware; shown as dates for all-day events.
    Kept per viewer with the parsed event, as it never changes."""
    zone = timing.zone or viewer
    duration = timing.duration
    wall = timing.start
    wall_end = wall + duration
    if timing.all_day:
        start = datetime(wall.year, wall.month, wall.day, tzinfo=zone).astimezone(viewer)
        end = datetime(wall_end.year, wall_end.month, wall_end.day, tzinfo=zone).astimezone(viewer)
        return start, end, wall, wall_end
    assert isinstance(wall, datetime) and isinstance(wall_end, datetime)  # timed: parse_timing gives datetimes
    start = wall.replace(tzinfo=zone).astimezone(viewer)
    if not duration:
        end = start
    else:
        # no offset change in either zone between start and end: plain arithmetic is exact
        end = start + duration
        if zone.utcoffset(wall) != zone.utcoffset(wall_end) or end.utcoffset() != start.utcoffset():
            end = wall_end.replace(tzinfo=zone).astimezone(viewer)
    return start, end, start, max(start, end)


def expand_series(out: list, frame: Frame, prepared: Prepared, base: tuple, skip: set[str]) -> bool:
    """Append a series' occurrences in the window, leaving out the recurrence
    ids in `skip`; True if it hit the cap. (The work of `_place` and `emit`,
    inlined: this loop is the hot path.)"""
    timing = prepared.timing
    if timing.all_day:
        return _expand_all_day(out, frame, prepared, base, skip)
    lo, hi, viewer, limit = frame.lo, frame.hi, frame.viewer, frame.limit
    zone = timing.zone or viewer
    duration = timing.duration
    wall_lo, wall_hi, stretches = frame.window_in(zone)
    if duration > Frame.MARGIN / 2:
        stretches = (_NO_STRETCH,)
    assert timing.rule is not None and isinstance(timing.start, datetime)
    uid, title, location, conflict, author, calendar, busy = base
    floating, exdates = timing.floating, timing.exdates
    tz = timing.zone.key if timing.zone else None
    offset = zone.utcoffset
    rids = frame.rids
    # occurrences come in order: walk the stretches along with them; an
    # occurrence starting in [from_wall, fast_until) also ends in the stretch
    at = 0
    from_wall, to_wall, anchor_wall, anchor = stretches[0]
    fast_until = _back(to_wall, duration)
    emitted = 0
    try:
        for wall in iter_starts(timing.rule, timing.start, _back(wall_lo, duration), wall_hi, marks=prepared.marks):
            if exdates and wall in exdates:
                continue
            rid = rids.get(wall)
            if rid is None:
                rid = rids[wall] = wall.isoformat()
            if skip and rid in skip:
                continue
            if to_wall <= wall:
                while to_wall <= wall:
                    at += 1
                    from_wall, to_wall, anchor_wall, anchor = stretches[at]
                fast_until = _back(to_wall, duration)
            if from_wall <= wall < fast_until:  # starts inside the window: no range check
                start = anchor + (wall - anchor_wall)
                end = start + duration
            else:
                wall_end = wall + duration
                start = wall.replace(tzinfo=zone).astimezone(viewer)
                end = start + duration  # exact unless an offset changes in between
                if duration and (offset(wall) != offset(wall_end) or end.utcoffset() != start.utcoffset()):
                    end = max(start, wall_end.replace(tzinfo=zone).astimezone(viewer))
                if not (start < hi and (end > lo or (start == end and start >= lo))):
                    continue
            if emitted == limit:
                return True
            emitted += 1
            out.append(
                Occurrence(uid, rid, title, start, end, False, location, conflict,
                           False, True, author, floating, tz, (start, uid, rid), calendar, busy)
            )
    except GaveUp:
        return True
    return False


def _expand_all_day(out: list, frame: Frame, prepared: Prepared, base: tuple, skip: set[str]) -> bool:
    """`expand_series` for all-day series: dates, placed in the viewer's zone."""
    lo, hi, viewer, limit = frame.lo, frame.hi, frame.viewer, frame.limit
    timing = prepared.timing
    duration = timing.duration
    wall_lo, wall_hi, _ = frame.window_in(viewer)
    uid, title, location, conflict, author, calendar, busy = base
    assert timing.rule is not None
    emitted = 0
    try:
        for wall in iter_starts(timing.rule, utc_naive(timing.start), _back(wall_lo, duration), wall_hi, marks=prepared.marks):
            if timing.exdates and wall in timing.exdates:
                continue
            rid = wall.date().isoformat()
            if rid in skip:
                continue
            wall_end = wall + duration
            start = wall.replace(tzinfo=viewer).astimezone(viewer)
            end = wall_end.replace(tzinfo=viewer).astimezone(viewer)
            if not (start < hi and (end > lo or (start == end and start >= lo))):
                continue
            if emitted == limit:
                return True
            emitted += 1
            out.append(
                Occurrence(uid, rid, title, wall.date(), wall_end.date(), True, location, conflict,
                           False, True, author, False, None, (start, uid, rid), calendar, busy)
            )
    except GaveUp:
        return True
    return False

