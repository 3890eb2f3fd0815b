"""iCalendar (RFC 5545) <-> event fields (docs/PROTOCOL.md section 5.2), with the `icalendar` library.

Pure module: no Django. Writing: `to_vevent` turns one register's value into
a VEVENT (a series, a single event or, with `recurrence_id`, an override)
and `build_calendar` wraps VEVENTs into one VCALENDAR with the VTIMEZONEs
they use. Reading: `read_calendar` parses a file (refusing what is not
iCalendar, salvaging what precedes a truncation) and `read_vevent` turns one
VEVENT into an `Incoming` or raises `ComponentSkipped` saying why.

Times are kept as docs/PROTOCOL.md section 5.2 keeps them: all-day events as DATE values,
floating times without TZID, others as wall times with an IANA zone (Windows
zone names and "/vendor/Olson" TZIDs are mapped, RFC 5545 3.2.19).
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, available_timezones

from icalendar import Calendar, Event, vRecur
from icalendar.prop import vBroken
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from events.recurrence.expansion import parse_timing
from events.recurrence.rrule import parse_rule
from events.recurrence.timing import (
    MAX_TITLE,
    RecurrenceError,
    format_local,
    get_zone,
    parse_local,
)

PRODID = "-//calendar-p2p//calendar-p2p 1//EN"
MAX_UID = 255
EVENT_FIELDS = ("title", "start", "end", "all_day", "tz", "rrule", "exdates", "location", "description")
TIME_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "EXDATE", "RRULE")
UNTITLED = "(no title)"


class ComponentSkipped(ValueError):
    """A VEVENT that cannot become an event; the message says why."""


class NotICalendar(ValueError):
    """The whole file cannot be read as iCalendar."""


# --- writing -----------------------------------------------------------------------


def _zone_of(event: dict) -> ZoneInfo | None:
    return None if event.get("all_day") or not event.get("tz") else get_zone(event["tz"])


def ical_time(text: str, *, all_day: bool, zone: tzinfo | None) -> date | datetime:
    """A local time of docs/PROTOCOL.md section 5.2 as the value iCalendar writes: a date for
    all-day events, a naive datetime when floating, else an aware one."""
    value = parse_local(text)
    if all_day:
        return value.date() if isinstance(value, datetime) else value
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=zone, fold=0) if zone is not None else value


def _rrule_for_export(rrule: str, *, all_day: bool, zone: tzinfo | None) -> vRecur:
    """The RRULE with UNTIL in the form RFC 5545 3.3.10 asks: a DATE for
    all-day series, UTC for zoned ones, local for floating ones. Our rule
    text may hold a local UNTIL; its meaning (a wall time in the event's
    zone) is kept."""
    text = rrule.strip().upper()  # our rules are read case-insensitively, vRecur's are not
    recur = vRecur.from_ical(text[6:] if text.startswith("RRULE:") else text)
    until = recur.get("UNTIL")
    if until:
        value = until[0] if isinstance(until, list) else until
        if all_day:
            value = value.date() if isinstance(value, datetime) else value
        elif zone is not None:
            if not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day)
            if value.tzinfo is None:
                value = value.replace(tzinfo=zone, fold=0)
            value = value.astimezone(UTC)
        else:
            if not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day)
            value = value.replace(tzinfo=None)
        recur["UNTIL"] = [value]
    return recur


def to_vevent(
    uid: str,
    event: dict,
    *,
    stamp: datetime,
    sequence: int = 0,
    recurrence_id: str | None = None,
    series: dict | None = None,
    cancelled: Iterable[str] = (),
) -> Event:
    """One VEVENT for a register's value. `recurrence_id` (with its `series`
    value) makes an override; `cancelled` holds recurrence ids of cancelled
    occurrences, written as EXDATE beside the event's own exdates."""
    all_day = bool(event.get("all_day"))
    zone = _zone_of(event)
    start = ical_time(event["start"], all_day=all_day, zone=zone)
    end = ical_time(event["end"], all_day=all_day, zone=zone) if event.get("end") else None
    vevent = Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("sequence", sequence)
    vevent.add("summary", event.get("title") or UNTITLED)
    vevent.add("dtstart", start)
    if end is not None and end != start:
        vevent.add("dtend", end)
    elif all_day:
        vevent.add("dtend", start + timedelta(days=1))
    if recurrence_id is not None:
        owner = series or event
        vevent.add(
            "recurrence-id",
            ical_time(recurrence_id, all_day=bool(owner.get("all_day")), zone=_zone_of(owner)),
        )
    elif event.get("rrule"):
        vevent.add("rrule", _rrule_for_export(event["rrule"], all_day=all_day, zone=zone))
        excluded = {ical_time(x, all_day=all_day, zone=zone) for x in [*(event.get("exdates") or []), *cancelled]}
        if excluded:
            vevent.add("exdate", sorted(excluded))
    for name in ("location", "description"):
        if event.get(name):
            vevent.add(name, event[name])
    return vevent


def build_calendar(vevents: Iterable[Event], *, name: str | None = None) -> Calendar:
    """A VCALENDAR holding `vevents` in the given order, with a VTIMEZONE for
    every zone they use, covering the years they happen in (bounded, and a
    function of the events only, so the same events give the same bytes)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", name)
    first: date | None = None
    last: date | None = None
    for vevent in vevents:
        cal.add_component(vevent)
        start = vevent.decoded("DTSTART")
        if isinstance(start, datetime) and start.tzinfo is not None and not _is_utc(start):
            day = start.date()
            first = day if first is None or day < first else first
            span = _zoned_until(vevent, day)
            last = span if last is None or span > last else last
    if first is not None and last is not None:
        cal.add_missing_timezones(
            first_date=date(first.year, 1, 1),
            last_date=date(min(last.year + 1, 9998), 12, 31),
        )
        # add_missing_timezones walks a set: put the VTIMEZONEs in TZID order
        # so the bytes do not depend on the process's hash seed.
        zones = sorted((c for c in cal.subcomponents if c.name == "VTIMEZONE"), key=lambda c: str(c["TZID"]))
        cal.subcomponents = zones + [c for c in cal.subcomponents if c.name != "VTIMEZONE"]
    return cal


OPEN_ENDED_YEARS = 10  # series without an end: VTIMEZONE rules for this many years after they start


def _zoned_until(vevent: Event, day: date) -> date:
    end = vevent.get("DTEND")
    last = end.dt.date() if end is not None and isinstance(end.dt, datetime) else day
    recur = vevent.get("RRULE")
    if recur is not None:
        until = recur.get("UNTIL")
        if until:
            value = until[0]
            last = max(last, value.date() if isinstance(value, datetime) else value)
        else:
            # COUNT or open-ended: a bounded look ahead, the same for every export.
            last = max(last, date(min(day.year + OPEN_ENDED_YEARS, 9990), 12, 31))
    return last


def _is_utc(value: datetime) -> bool:
    return value.utcoffset() == timedelta(0) and getattr(value.tzinfo, "key", "UTC") in ("UTC", "Etc/UTC")


# --- reading -----------------------------------------------------------------------


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


def read_calendar(data: bytes) -> ReadResult:
    """Parse a whole file. Raises NotICalendar when nothing can be read; a
    truncated file is read up to its last complete VEVENT, with a note."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        raise NotICalendar("not an iCalendar file: it does not start with BEGIN:VCALENDAR")
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


_KNOWN_ZONES: set[str] | None = None


def zone_name(tzid: str) -> str | None:
    """An IANA zone name for a TZID: itself, the zone of a Windows name
    ("W. Europe Standard Time"), or the Olson tail of "/vendor/Olson/Name"."""
    global _KNOWN_ZONES
    if _KNOWN_ZONES is None:
        _KNOWN_ZONES = available_timezones()
    tzid = tzid.strip().strip('"')
    cleaned = tzid.strip("/")
    if cleaned in _KNOWN_ZONES:
        return cleaned
    if cleaned in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[cleaned]
    parts = cleaned.split("/")
    for i in range(1, len(parts)):
        if "/".join(parts[i:]) in _KNOWN_ZONES:
            return "/".join(parts[i:])
    if cleaned.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    return None


@dataclass(frozen=True)
class When:
    """A time property as we keep it: a date, or a wall time with a zone
    name (None: floating)."""

    value: date | datetime
    tz: str | None
    from_zone: str | None = None  # a TZID known only from the file's VTIMEZONE, converted to UTC

    @property
    def is_date(self) -> bool:
        return not isinstance(self.value, datetime)

    def aware(self) -> datetime | None:
        if self.is_date or self.tz is None:
            return None
        return self.value.replace(tzinfo=ZoneInfo(self.tz), fold=0)  # type: ignore[union-attr]


def when_of(prop, name: str, zones: dict | None = None) -> When:
    """Read DTSTART, DTEND, RECURRENCE-ID or one EXDATE value."""
    if isinstance(prop, vBroken) or not hasattr(prop, "dt"):
        raise ComponentSkipped(f"{name} {str(prop)[:60]!r} is not a valid date or date-time")
    value = prop.dt
    params = getattr(prop, "params", {}) or {}
    return _when(value, params.get("TZID"), name, zones)


def _when(value, tzid, name: str, zones: dict | None = None) -> When:
    if isinstance(value, timedelta) or not isinstance(value, date):
        raise ComponentSkipped(f"{name} is not a date or date-time")
    if not isinstance(value, datetime):
        return When(value, None)
    wall = value.replace(tzinfo=None, microsecond=0)
    if tzid:
        zone = zone_name(str(tzid))
        if zone is None:
            own = (zones or {}).get(str(tzid))
            if own is not None:
                # Defined only by a VTIMEZONE in the file (Outlook's "Customized
                # Time Zone"): the instant is known, the zone's name is not.
                utc = wall.replace(tzinfo=own).astimezone(UTC).replace(tzinfo=None, microsecond=0)
                return When(utc, "UTC", from_zone=str(tzid)[:80])
            raise ComponentSkipped(f"{name} has an unknown time zone TZID={str(tzid)[:80]!r}")
        return When(wall, zone)
    if value.tzinfo is None:
        return When(wall, None)
    key = getattr(value.tzinfo, "key", None)
    if key and zone_name(key):
        return When(wall, zone_name(key))
    if value.utcoffset() == timedelta(0):
        return When(wall, "UTC")
    raise ComponentSkipped(f"{name} uses a time zone with no known name ({value.tzinfo})")


def in_zone_of(when: When, *, all_day: bool, tz: str | None) -> date | datetime:
    """`when` as a local value of an event with (all_day, tz): a date, or a
    wall time in tz (floating when tz is None)."""
    value = when.value
    if all_day:
        return value.date() if isinstance(value, datetime) else value
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    aware = when.aware()
    if aware is not None and tz is not None and when.tz != tz:
        return aware.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return value


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
    broken = {name.upper(): message for name, message in getattr(component, "errors", [])}
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
            when = _when(item.dt, tzid or item.params.get("TZID"), "EXDATE", zones)
            out.add(format_local(in_zone_of(when, all_day=all_day, tz=tz)))
    return sorted(out)


def local_recurrence_id(rid: date | datetime, series: dict) -> str:
    """An override's RECURRENCE-ID as our recurrence_id: the original start
    in the series' own form (a date, or a wall time in its zone)."""
    if isinstance(rid, datetime) and rid.tzinfo is not None:
        key = getattr(rid.tzinfo, "key", None)
        name = zone_name(key) if key else None
        if name is None:
            when = When(rid.astimezone(UTC).replace(tzinfo=None), "UTC")
        else:
            when = When(rid.replace(tzinfo=None), name)
    else:
        when = When(rid, None)
    all_day = bool(series.get("all_day"))
    tz = None if all_day else series.get("tz")
    return format_local(in_zone_of(when, all_day=all_day, tz=tz))


# --- comparing -------------------------------------------------------------------


def _plain(text) -> str | None:
    """Text as iCalendar can carry it: line breaks are one \\n (RFC 5545 3.3.11);
    blank text is absent, as `_text` reads it."""
    if not text or not str(text).strip():
        return None
    return str(text).replace("\r\n", "\n").replace("\r", "\n")


def _times(values) -> set[str]:
    out = set()
    for v in values or ():
        try:
            out.add(format_local(parse_local(v)))
        except RecurrenceError:
            out.add(str(v))
    return out


def _rule(event: dict):
    if not event.get("rrule"):
        return None
    try:
        start = parse_local(event["start"])
        if not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day)
        zone = None if event.get("all_day") or not event.get("tz") else get_zone(event["tz"])
        return parse_rule(event["rrule"], start, zone=zone)
    except RecurrenceError:
        return event["rrule"]


def same_event(a: dict | None, b: dict | None) -> bool:
    """Whether two event values mean the same (rules compared by meaning,
    exdates as sets, empty text as absent); unknown fields are ignored."""
    if a is None or b is None:
        return a is b
    if a.get("all_day") != b.get("all_day"):
        return False
    for name in ("title", "location", "description"):
        if _plain(a.get(name)) != _plain(b.get(name)):
            return False
    if (None if a.get("all_day") else a.get("tz")) != (None if b.get("all_day") else b.get("tz")):
        return False
    if _times([a.get("start")]) != _times([b.get("start")]):
        return False
    if _times([a.get("end") or a.get("start")]) != _times([b.get("end") or b.get("start")]):
        return False
    if _times(a.get("exdates")) != _times(b.get("exdates")):
        return False
    return _rule(a) == _rule(b)
