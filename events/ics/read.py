"""iCalendar files into our events (RFC 5545), with the `icalendar` library.

Pure module: no Django. `read_calendar` parses a file (refusing what is not
iCalendar, reading a component saved without its VCALENDAR as a calendar of
it, salvaging what precedes a truncation) and `read_vevent` turns one VEVENT
into an `Incoming` or raises `ComponentSkipped` saying why. Times are read by
`events.ics.times`, TZIDs placed by `events.ics.zones`, RDATEs by
`events.ics.extra_dates`; `events.ics.grouping` puts the VEVENTs together.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import cast

from icalendar import Calendar, Timezone, vRecur
from icalendar.prop import vBroken

from events.ics.extra_dates import rdates_of
from events.ics.times import ComponentSkipped, When, end_of, exdates_of, placed_like_end, when_of
from events.ics.write import CANCELLED_PROPERTY, UNTITLED
from events.ics.zones import iana_equivalent, normal_tzid, zone_name
from events.recurrence.expansion import as_datetime, parse_timing
from events.recurrence.rrule import parse_rule
from events.recurrence.timing import (
    OutOfRange,
    RecurrenceError,
    format_local,
    get_zone,
    parse_local,
)

MAX_TITLE = 500
MAX_UID = 255
TIME_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "EXDATE", "RRULE")


class NotICalendar(ValueError):
    """The whole file cannot be read as iCalendar."""


@dataclass
class Incoming:
    """One VEVENT read from a file. `event` is None for a cancelled
    occurrence (STATUS:CANCELLED override) or series (STATUS:CANCELLED)."""

    uid: str
    position: int  # 1-based among the file's VEVENTs
    event: dict | None
    recurrence_id: date | datetime | None = None  # as written; placed in the series' zone later
    notes: list[str] = field(default_factory=list)
    this_and_future: bool = False  # RECURRENCE-ID;RANGE=THISANDFUTURE
    rdates: list[tuple[str, str]] = field(default_factory=list)  # extra (start, end) of a series, local
    extra_rules: list[str] = field(default_factory=list)  # RRULEs after the first
    cancelled: list[str] = field(default_factory=list)  # EXDATEs that were cancelled occurrences where exported
    revision: tuple = ()  # (SEQUENCE, LAST-MODIFIED, DTSTAMP): which of two copies is newer

    @property
    def label(self) -> str:
        return f"VEVENT #{self.position} (UID {self.uid})"


@dataclass
class ReadResult:
    vevents: list  # icalendar Event components, in file order
    notes: list[str] = field(default_factory=list)
    # normal_tzid(TZID) -> IANA name or tzinfo, for zones only the file's VTIMEZONEs define
    zones: dict = field(default_factory=dict)


_BARE = re.compile(rb"BEGIN:(?!VCALENDAR\b)[A-Z][A-Z0-9-]*\s*$", re.IGNORECASE | re.MULTILINE)
_BEGIN = re.compile(rb"\A(\xef\xbb\xbf)?\s*BEGIN:VCALENDAR\s*$", re.IGNORECASE | re.MULTILINE)
_END_VCALENDAR = re.compile(rb"^END:VCALENDAR\s*\Z", re.IGNORECASE | re.MULTILINE)
_END_VEVENT = re.compile(rb"^END:VEVENT\r?$", re.IGNORECASE | re.MULTILINE)
_BEGIN_END = re.compile(rb"^(BEGIN|END):", re.IGNORECASE | re.MULTILINE)
# VCALENDAR > VEVENT > VALARM, or VCALENDAR > VTIMEZONE > STANDARD, is as deep as
# real calendars go; the parser's cost grows with the square of the depth.
MAX_NESTING = 4


def nesting_depth(data: bytes) -> int:
    """How deep BEGIN/END components nest, in one linear scan of the lines."""
    depth = deepest = 0
    for match in _BEGIN_END.finditer(data):
        if match.group(1).upper() == b"BEGIN":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def read_calendar(data: bytes, *, salvage: bool = True) -> ReadResult:
    """Parse a whole file. Raises NotICalendar when nothing can be read; a
    truncated file is read up to its last complete VEVENT, with a note
    (without `salvage`, it raises NotICalendar instead)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    notes: list[str] = []
    if _BARE.match(head):
        # A component without its VCALENDAR (a saved single event): read it as
        # the calendar a client would have sent.
        notes.append("the file holds components without a VCALENDAR around them; they were read as one calendar")
        data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//unknown//EN\r\n" + data.rstrip() + b"\r\nEND:VCALENDAR\r\n"
    elif not head[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        raise NotICalendar("not an iCalendar file: it does not start with BEGIN:VCALENDAR")
    if (depth := nesting_depth(data)) > MAX_NESTING:
        raise NotICalendar(
            f"components are nested {depth} deep (BEGIN inside BEGIN); calendars nest at most {MAX_NESTING} deep"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not _END_VCALENDAR.search(data[-4096:]):
            # icalendar closes what is left open, so a cut-off file would
            # otherwise give a half VEVENT: read only the complete ones.
            calendars = _salvage(data, "it does not end with END:VCALENDAR", notes)
        else:
            try:
                calendars = Calendar.from_ical(data, multiple=True)
            except Exception as e:  # icalendar raises ValueError and friends on broken text
                if not salvage:
                    raise NotICalendar(_short(e)) from None
                calendars = _salvage(data, _short(e), notes)
        vevents: list = []
        zones: dict = {}
        for cal in calendars:
            zones.update(_own_zones(cal, notes))
            vevents.extend(_standardize(cal, notes).walk("VEVENT"))
            _note_other_components(cal, notes)
    return ReadResult(vevents, notes, zones)


def _note_other_components(cal: Calendar, notes: list[str]) -> None:
    """Tasks, journal entries and free/busy blocks are not events: say so."""
    for name, what in (("VTODO", "task"), ("VJOURNAL", "journal entry"), ("VFREEBUSY", "free/busy block")):
        if count := len(cal.walk(name)):
            notes.append(f"{count} {name} ({what}) component(s) were not imported: this calendar holds events only")


def _own_zones(cal: Calendar, notes: list[str]) -> dict:
    """The VTIMEZONEs whose TZID is no known zone name, by normal_tzid: the
    IANA zone with the same offsets, else the tzinfo built from this file
    alone (icalendar's own cache is process-wide, and two files may define
    "Customized Time Zone" differently)."""
    out: dict = {}
    for component in cal.walk("VTIMEZONE"):
        tzid = str(component.get("TZID", ""))
        if not tzid or zone_name(tzid) is not None:
            continue
        try:
            own = cast(Timezone, component).to_tz(lookup_tzid=False)
        except Exception as e:  # a VTIMEZONE dateutil cannot read
            notes.append(f"VTIMEZONE {tzid[:80]!r} could not be read ({_short(e)}); its times are read as floating")
            continue
        name = iana_equivalent(component, tzid)
        if name is not None:
            notes.append(f"the file's time zone {tzid[:80]!r} was read as {name}, which has the same UTC offsets")
        out[normal_tzid(tzid)] = name or own
    return out


def _salvage(data: bytes, problem: str, notes: list[str]) -> list[Calendar]:
    """A file cut off in the middle: keep what precedes the last END:VEVENT."""
    ends = list(_END_VEVENT.finditer(data))
    if not ends:
        raise NotICalendar(f"not a readable iCalendar file ({problem}), and it holds no complete VEVENT")
    cut = ends[-1].end()
    try:
        complete = Calendar.from_ical(data[:cut] + b"\r\nEND:VCALENDAR\r\n", multiple=True)
    except Exception as e:
        raise NotICalendar(f"not a readable iCalendar file: {problem}; {_short(e)}") from None
    count = sum(len(c.walk("VEVENT")) for c in complete)
    notes.append(
        f"the file is broken or truncated ({problem}); the {count} complete VEVENT(s) "
        f"before the break were read, anything after VEVENT #{count} was skipped"
    )
    return complete


def _standardize(cal: Calendar, notes: list[str]) -> Calendar:
    """Google's X-WR-TIMEZONE: UTC and floating times mean that zone."""
    name = cal.get("X-WR-TIMEZONE")
    if not name:
        return cal
    try:
        get_zone(str(name))
    except RecurrenceError:
        notes.append(f"X-WR-TIMEZONE {str(name)!r} is not a known time zone; it was ignored")
        return cal
    import x_wr_timezone

    return x_wr_timezone.to_standard(cal)


def _short(error: Exception) -> str:
    text = str(error).replace("\r", " ").replace("\n", " ")
    return text if len(text) <= 160 else text[:157] + "..."


def _text(component, name: str) -> str | None:
    value = component.get(name)
    if value is None or isinstance(value, vBroken):
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    text = str(value) if value is not None else ""
    return text if text.strip() else None


def component_uid(component, position: int) -> str:
    """The VEVENT's UID, or one derived from its content when it has none, so
    importing the same file again finds the same event."""
    uid = _text(component, "UID")
    if uid:
        return uid.strip()
    digest = hashlib.sha256(component.to_ical()).hexdigest()[:32]
    return f"import-{digest}@calendar-p2p"


def read_vevent(component, position: int, zones: dict | None = None) -> Incoming:
    """One VEVENT as event fields (docs/PROTOCOL.md section 5.2). An override's times stay as written
    (its RECURRENCE-ID is placed in the series' zone by the caller).
    `zones` maps TZIDs that only the file's VTIMEZONEs define to tzinfos."""
    uid = component_uid(component, position)
    incoming = Incoming(uid=uid, position=position, event=None)
    if len(uid) > MAX_UID:
        raise ComponentSkipped(f"UID is longer than {MAX_UID} characters")
    # icalendar records a line it cannot parse with the property's name, or
    # None when the line has no name at all: only broken times stop the event.
    broken = {str(name or "").upper(): message for name, message in getattr(component, "errors", [])}
    for name in TIME_PROPERTIES:
        if name in broken:
            raise ComponentSkipped(f"{name} does not parse: {_short(Exception(broken[name]))}")
    rid_prop = component.get("RECURRENCE-ID")
    if rid_prop is not None:
        incoming.recurrence_id = _rid_value(when_of(rid_prop, "RECURRENCE-ID", zones))
        incoming.this_and_future = str(rid_prop.params.get("RANGE", "")).upper() == "THISANDFUTURE"
    incoming.revision = _revision(component)
    status = str(component.get("STATUS", "")).upper()
    if status == "CANCELLED":
        return incoming
    if "DTSTART" not in component:
        raise ComponentSkipped("it has no DTSTART")
    start = when_of(component["DTSTART"], "DTSTART", zones)
    if start.unknown_zone is not None:
        incoming.notes.append(
            f"no VTIMEZONE defines the time zone {start.unknown_zone!r}; its times were read as floating (local wherever viewed)"
        )
    if start.from_zone is not None:
        if "RRULE" in component and rid_prop is None:
            raise ComponentSkipped(
                f"DTSTART's time zone {start.from_zone!r} is defined only in the file and has no IANA name; "
                "a repeating event cannot be moved to UTC without changing its times across DST changes"
            )
        incoming.notes.append(f"times in the file's own time zone {start.from_zone!r} were converted to UTC")
    start = placed_like_end(component, start, zones)
    all_day = start.is_date
    tz = None if all_day else start.tz
    begin = start.value
    end = end_of(component, start, incoming.notes, zones)
    if end < begin:
        begin, end = end, begin
    title = _text(component, "SUMMARY")
    if title is None:
        title = UNTITLED
    if len(title) > MAX_TITLE:
        incoming.notes.append(f"title shortened to {MAX_TITLE} characters")
        title = title[: MAX_TITLE - 1] + "…"
    event = {
        "title": title,
        "start": format_local(begin),
        "end": format_local(end),
        "all_day": all_day,
        "tz": tz,
        "rrule": None,
        "exdates": [],
        "location": _text(component, "LOCATION"),
        "description": _text(component, "DESCRIPTION"),
    }
    if rid_prop is None:
        rules = _rrules_of(component, incoming.notes)
        event["rrule"], incoming.extra_rules = (rules[0], rules[1:]) if rules else (None, [])
        repeats = event["rrule"] or "RDATE" in component
        exdates = exdates_of(component, all_day=all_day, start=begin, tz=tz, zones=zones) if repeats else []
        if event["rrule"]:
            incoming.cancelled = _cancelled_of(component, exdates)
            event["exdates"] = [x for x in exdates if x not in incoming.cancelled]
        if "RDATE" in component:
            incoming.rdates = rdates_of(component, event, exdates=exdates, zones=zones)
    elif "RRULE" in component:
        incoming.notes.append("RRULE on an override (RECURRENCE-ID) was ignored")
    try:
        parse_timing(event)
    except OutOfRange as e:
        if not event["rrule"] or _ends_before_start(event):
            raise ComponentSkipped(str(e)) from None
        # RFC 5545 3.8.5.3: DTSTART is the first occurrence even when the rule
        # gives none, so the event happens once.
        incoming.notes.append(f"{e}; the event was imported once, at its DTSTART")
        event.update(rrule=None, exdates=[])
    except RecurrenceError as e:
        raise ComponentSkipped(str(e)) from None
    incoming.event = event
    return incoming


def _ends_before_start(event: dict) -> bool:
    """Whether the RRULE's UNTIL is before DTSTART: then nothing happens."""
    start = as_datetime(parse_local(event["start"]))
    try:
        rule = parse_rule(event["rrule"], start, zone=None if event["all_day"] or not event["tz"] else get_zone(event["tz"]))
    except RecurrenceError:
        return False
    return rule.until is not None and rule.until < start


def _cancelled_of(component, exdates: list[str]) -> list[str]:
    """The EXDATEs our export marked as cancelled occurrences; a marker
    whose EXDATE another client removed is stale and ignored."""
    marked = str(component.get(CANCELLED_PROPERTY, "") or "").split()
    return sorted(set(marked) & set(exdates))


def _revision(component) -> tuple:
    """SEQUENCE, then LAST-MODIFIED, then DTSTAMP (RFC 5545 3.8.7): the newer
    of two copies of one VEVENT has the greater tuple."""
    try:
        sequence = int(str(component.get("SEQUENCE", 0)))
    except ValueError:
        sequence = 0
    stamps = []
    for name in ("LAST-MODIFIED", "DTSTAMP"):
        value = getattr(component.get(name), "dt", None)
        stamps.append(value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo else datetime.min.replace(tzinfo=UTC))
    return (sequence, *stamps)


def _rid_value(when: When) -> date | datetime:
    aware = when.aware()
    return aware if aware is not None else when.value


def _rrules_of(component, notes: list[str]) -> list[str]:
    """The VEVENT's RRULEs as text (RFC 5545 deprecates several, but files
    still hold them); an empty one is left out with a note."""
    values = component.get("RRULE")
    out = []
    for value in values if isinstance(values, list) else [values] if values is not None else []:
        if isinstance(value, vRecur) and not value:
            notes.append("an empty RRULE was ignored")
            continue
        if isinstance(value, vBroken) or not isinstance(value, vRecur):
            raise ComponentSkipped(f"RRULE {str(value)[:80]!r} does not parse")
        try:
            text = value.to_ical().decode()
        except Exception as e:  # a vRecur holding values it cannot write back
            raise ComponentSkipped(f"RRULE does not parse: {_short(e)}") from None
        if text not in out:  # the same rule twice gives its occurrences once
            out.append(text)
    if len(out) > 1:
        notes.append(f"{len(out)} RRULEs: each after the first was imported as a series of its own")
    return out
