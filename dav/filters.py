"""The CALDAV:filter of a calendar-query (RFC 4791 sections 9.7 and 9.9):
read into a `Filter`, then answered. A time range goes to the index's range
query (recurrence-aware, the same occurrences the web page shows); prop-filters
and text-matches are checked on the resources' bodies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from icalendar import Calendar

from dav.models import DavResource, DavState
from dav.resources import body_of, live_by_uid
from dav.xml import CALDAV, DavError, tag
from events.index.query import QueryError, query
from events.recurrence.timing import FIRST_YEAR, LAST_YEAR

EARLIEST = datetime(FIRST_YEAR + 1, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR - 1, 12, 31, tzinfo=UTC)
CHUNK = 500


@dataclass
class PropFilter:
    name: str
    defined: bool = True  # False: CALDAV:is-not-defined
    text: str | None = None
    negate: bool = False
    exact_case: bool = False  # collation i;octet


@dataclass
class Filter:
    nothing: bool = False  # asks for to-dos, journals, or no VCALENDAR: nothing here matches
    start: datetime | None = None
    end: datetime | None = None
    timed: bool = False
    props: list[PropFilter] = field(default_factory=list)


def bad_filter(message: str) -> DavError:
    return DavError(403, message, tag(CALDAV, "valid-filter"))


def utc_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise bad_filter(
            f"time-range {text!r} is not a UTC date-time like 20261129T000000Z"
        ) from None


def read_filter(body: Element) -> Filter:
    element = body.find(tag(CALDAV, "filter"))
    outer = element.find(tag(CALDAV, "comp-filter")) if element is not None else None
    if outer is None or outer.get("name", "").upper() != "VCALENDAR":
        raise bad_filter("a calendar-query filter starts with comp-filter VCALENDAR")
    wanted = Filter()
    inner = outer.findall(tag(CALDAV, "comp-filter"))
    if outer.find(tag(CALDAV, "is-not-defined")) is not None:
        wanted.nothing = True
    for comp in inner:
        _read_component(comp, wanted)
    return wanted


def _read_component(comp: Element, wanted: Filter) -> None:
    name = comp.get("name", "").upper()
    if name != "VEVENT" or comp.find(tag(CALDAV, "is-not-defined")) is not None:
        wanted.nothing = True  # every resource here is one VEVENT and nothing else
        return
    time_range = comp.find(tag(CALDAV, "time-range"))
    if time_range is not None:
        wanted.timed = True
        wanted.start, wanted.end = (
            utc_time(time_range.get("start")),
            utc_time(time_range.get("end")),
        )
    for nested in comp.findall(tag(CALDAV, "comp-filter")):
        if nested.find(tag(CALDAV, "is-not-defined")) is None:
            wanted.nothing = True  # no event here holds an alarm or other component
    for prop in comp.findall(tag(CALDAV, "prop-filter")):
        wanted.props.append(_read_prop(prop))


def _read_prop(prop: Element) -> PropFilter:
    if (
        prop.find(tag(CALDAV, "param-filter")) is not None
        or prop.find(tag(CALDAV, "time-range")) is not None
    ):
        raise DavError(
            403,
            "param-filter and time-range inside a prop-filter are not supported",
            tag(CALDAV, "supported-filter"),
        )
    found = PropFilter(prop.get("name", "").upper())
    if prop.find(tag(CALDAV, "is-not-defined")) is not None:
        found.defined = False
    match = prop.find(tag(CALDAV, "text-match"))
    if match is not None:
        found.text = match.text or ""
        found.negate = match.get("negate-condition", "no") == "yes"
        found.exact_case = match.get("collation", "i;ascii-casemap") == "i;octet"
    return found


def matching(collection_id: str, wanted: Filter, state: DavState) -> list[DavResource]:
    if wanted.nothing:
        return []
    if wanted.timed:
        table = live_by_uid(collection_id, state)
        found = [table[uid] for uid in _uids_in_range(wanted) if uid in table]
    else:
        found = list(DavResource.objects.filter(collection=collection_id, deleted=False))
    for prop in wanted.props:
        if prop.name == "UID" and prop.text and prop.defined and not prop.negate:
            needle = (
                prop.text.lower()
            )  # how clients look an event up by UID: few rows are left to render
            found = [row for row in found if needle in row.uid.lower()]
    found.sort(key=lambda r: r.name)
    if wanted.props:
        found = [row for row in found if _props_match(row, wanted.props)]
    return found


def _uids_in_range(wanted: Filter) -> set[str]:
    try:
        result = query(wanted.start or EARLIEST, wanted.end or LATEST, "UTC")
    except QueryError as e:
        raise bad_filter(str(e)) from None
    return {o.uid for o in result.occurrences} | set(result.capped)


def _props_match(row: DavResource, props: list[PropFilter]) -> bool:
    body = body_of(row)
    if body is None:
        return False
    events = [c for c in Calendar.from_ical(body).walk("VEVENT")]
    return any(all(_prop_matches(event, prop) for prop in props) for event in events)


def _prop_matches(event, prop: PropFilter) -> bool:
    value = event.get(prop.name)
    if not prop.defined:
        return value is None
    if value is None:
        return False
    if prop.text is None:
        return True
    values = value if isinstance(value, list) else [value]
    texts = [
        v.to_ical().decode() if hasattr(v, "to_ical") and not isinstance(v, str) else str(v)
        for v in values
    ]
    needle = prop.text if prop.exact_case else prop.text.lower()
    hit = any(needle in (t if prop.exact_case else t.lower()) for t in texts)
    return hit != prop.negate
