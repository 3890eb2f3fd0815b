"""iCalendar files into our events (RFC 5545), with the `icalendar` library.

Pure module: no Django. `read_calendar` parses a file (refusing what is not
iCalendar, salvaging what precedes a truncation) and `read_vevent` turns one
VEVENT into an `Incoming` or raises `ComponentSkipped` saying why. Times are
read by `events.ics.times`.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from icalendar import Calendar, vRecur
from icalendar.prop import vBroken

from events.ics.times import ComponentSkipped, When, in_zone_of, when_at, when_of, zone_name
from events.ics.write import UNTITLED
from events.recurrence.expansion import parse_timing
from events.recurrence.timing import RecurrenceError, format_local, get_zone

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

    @property
    def label(self) -> str:
        return f"VEVENT #{self.position} (UID {self.uid})"


@dataclass
class ReadResult:
    vevents: list  # icalendar Event components, in file order
    notes: list[str] = field(default_factory=list)
    problems: dict[int, str] = field(default_factory=dict)  # VEVENT position -> why it cannot be read
    zones: dict = field(default_factory=dict)  # TZID -> tzinfo, for zones only the file's VTIMEZONEs define


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


def read_calendar(data: bytes) -> ReadResult:
    """Parse a whole file. Raises NotICalendar when nothing can be read; a
    truncated file is read up to its last complete VEVENT, with a note."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        raise NotICalendar("not an iCalendar file: it does not start with BEGIN:VCALENDAR")
    if (depth := nesting_depth(data)) > MAX_NESTING:
        raise NotICalendar(
            f"components are nested {depth} deep (BEGIN inside BEGIN); calendars nest at most {MAX_NESTING} deep"
        )
    notes: list[str] = []
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
                calendars = _salvage(data, _short(e), notes)
        vevents: list = []
        problems: dict[int, str] = {}
        zones: dict = {}
        for cal in calendars:
            zones.update(_own_zones(cal, notes))
            # Before X-WR-TIMEZONE turns times it cannot place into that zone.
            defined = {str(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")}
            for n, component in enumerate(cal.walk("VEVENT"), len(vevents) + 1):
                if problem := unknown_tzid(component, defined):
                    problems[n] = problem
            vevents.extend(_standardize(cal, notes).walk("VEVENT"))
    return ReadResult(vevents, notes, problems, zones)


def _own_zones(cal: Calendar, notes: list[str]) -> dict:
    """tzinfos for the VTIMEZONEs whose TZID is no known zone name, built
    from this file alone (icalendar's own cache is process-wide, and two
    files may define "Customized Time Zone" differently)."""
    out = {}
    for component in cal.walk("VTIMEZONE"):
        tzid = str(component.get("TZID", ""))
        if not tzid or zone_name(tzid) is not None:
            continue
        try:
            out[tzid] = component.to_tz(lookup_tzid=False)
        except Exception as e:  # a VTIMEZONE dateutil cannot read
            notes.append(f"VTIMEZONE {tzid[:80]!r} could not be read ({_short(e)}); events using it are skipped")
    return out


def unknown_tzid(component, defined: set[str] = frozenset()) -> str | None:  # type: ignore[assignment]
    """Why a VEVENT's times cannot be placed: a TZID we cannot map to a zone
    and that no VTIMEZONE of the file (`defined`) describes."""
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE"):
        props = component.get(name)
        for prop in props if isinstance(props, list) else [props]:
            tzid = getattr(prop, "params", {}).get("TZID") if prop is not None else None
            if tzid and zone_name(str(tzid)) is None and str(tzid) not in defined:
                return f"{name} has an unknown time zone TZID={str(tzid)[:80]!r}"
    return None


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
    # icalendar names a line it could not split into name and value None
    broken = {(name or "").upper(): message for name, message in getattr(component, "errors", [])}
    for name in TIME_PROPERTIES:
        if name in broken:
            raise ComponentSkipped(f"{name} does not parse: {_short(Exception(broken[name]))}")
    rid_prop = component.get("RECURRENCE-ID")
    if rid_prop is not None:
        incoming.recurrence_id = _rid_value(when_of(rid_prop, "RECURRENCE-ID", zones))
    status = str(component.get("STATUS", "")).upper()
    if status == "CANCELLED":
        return incoming
    if "DTSTART" not in component:
        raise ComponentSkipped("it has no DTSTART")
    start = when_of(component["DTSTART"], "DTSTART", zones)
    if start.from_zone is not None:
        if "RRULE" in component and rid_prop is None:
            raise ComponentSkipped(
                f"DTSTART's time zone {start.from_zone!r} is defined only in the file and has no IANA name; "
                "a repeating event cannot be moved to UTC without changing its times across DST changes"
            )
        incoming.notes.append(f"times in the file's own time zone {start.from_zone!r} were converted to UTC")
    all_day = start.is_date
    tz = None if all_day else start.tz
    begin = start.value
    end = _end_of(component, start, incoming.notes, zones)
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
        event["rrule"] = _rrule_of(component, incoming.notes)
        if event["rrule"]:
            event["exdates"] = _exdates_of(component, all_day=all_day, tz=tz, zones=zones)
        if "RDATE" in component:
            incoming.notes.append("RDATE (extra dates outside the RRULE) is not supported and was left out")
    elif "RRULE" in component:
        incoming.notes.append("RRULE on an override (RECURRENCE-ID) was ignored")
    try:
        parse_timing(event)
    except RecurrenceError as e:
        raise ComponentSkipped(str(e)) from None
    incoming.event = event
    return incoming


def _rid_value(when: When) -> date | datetime:
    aware = when.aware()
    return aware if aware is not None else when.value


def _end_of(component, start: When, notes: list[str], zones: dict | None) -> date | datetime:
    begin = start.value
    if "DTEND" in component:
        end_when = when_of(component["DTEND"], "DTEND", zones)
        if start.is_date:
            end = end_when.value.date() if isinstance(end_when.value, datetime) else end_when.value
        else:
            end = in_zone_of(end_when, all_day=False, tz=start.tz)
    elif "DURATION" in component:
        duration = component["DURATION"].dt if hasattr(component["DURATION"], "dt") else None
        if not isinstance(duration, timedelta):
            raise ComponentSkipped("DURATION is not a duration")
        if start.is_date:
            duration = timedelta(days=max(duration.days, 1))
        end = begin + duration
    else:
        # RFC 5545 3.6.1: a DATE start without an end lasts one day; a
        # date-time start without one ends when it starts.
        end = begin + timedelta(days=1) if start.is_date else begin
    if end < begin:
        raise ComponentSkipped(f"it ends ({format_local(end)}) before it starts ({format_local(begin)})")
    if start.is_date and end == begin:
        end = begin + timedelta(days=1)
        notes.append("an all-day event ending on its start date was read as one day")
    return end


def _rrule_of(component, notes: list[str]) -> str | None:
    value = component.get("RRULE")
    if value is None:
        return None
    if isinstance(value, list):
        if len(value) > 1:
            notes.append(f"only the first of {len(value)} RRULEs was kept")
        value = value[0]
    if isinstance(value, vBroken) or not isinstance(value, vRecur):
        raise ComponentSkipped(f"RRULE {str(value)[:80]!r} does not parse")
    try:
        return value.to_ical().decode()
    except Exception as e:  # a vRecur holding values it cannot write back
        raise ComponentSkipped(f"RRULE does not parse: {_short(e)}") from None


def _exdates_of(component, *, all_day: bool, tz: str | None, zones: dict | None = None) -> list[str]:
    props = component.get("EXDATE")
    if props is None:
        return []
    if not isinstance(props, list):
        props = [props]
    out: set[str] = set()
    for prop in props:
        if isinstance(prop, vBroken) or not hasattr(prop, "dts"):
            raise ComponentSkipped(f"EXDATE {str(prop)[:60]!r} does not parse")
        tzid = prop.params.get("TZID")
        for item in prop.dts:
            when = when_at(item.dt, tzid or item.params.get("TZID"), "EXDATE", zones)
            out.add(format_local(in_zone_of(when, all_day=all_day, tz=tz)))
    return sorted(out)

