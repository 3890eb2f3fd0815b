"""RECURRENCE-ID;RANGE=THISANDFUTURE (RFC 5545 3.2.13): an override that
changes an occurrence and every later one.

Pure module: no Django. Our overrides change one occurrence, so the series
is cut in two: the original ends just before that occurrence, and a new
series starts there with the override's fields, moved by as much as the
override moved its own occurrence, with the original's rule, the rest of its
COUNT and its later EXDATEs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import vRecur

from events.recurrence.expansion import GaveUp, as_datetime, iter_starts
from events.recurrence.rrule import parse_rule
from events.recurrence.timing import RecurrenceError, format_local, get_zone, parse_local


def _zone(event: dict):
    return None if event.get("all_day") or not event.get("tz") else get_zone(event["tz"])


def _recur(rrule: str) -> vRecur:
    text = rrule.strip().upper()
    return vRecur.from_ical(text[6:] if text.startswith("RRULE:") else text)


def _with_until(rrule: str, until: date | datetime) -> str:
    recur = _recur(rrule)
    recur.pop("COUNT", None)
    recur["UNTIL"] = [until]
    return recur.to_ical().decode()


def _shifted_until(rrule: str, delta: timedelta) -> str:
    recur = _recur(rrule)
    until = recur.get("UNTIL")
    if until and delta:
        value = until[0]
        recur["UNTIL"] = [value + (timedelta(days=delta.days) if not isinstance(value, datetime) else delta)]
    return recur.to_ical().decode()


def _before(series: dict, rid: datetime) -> int:
    """How many occurrences the series has before `rid`."""
    first = as_datetime(parse_local(series["start"]))
    rule = parse_rule(series["rrule"], first, zone=_zone(series))
    return sum(1 for at in iter_starts(rule, first, first, rid - timedelta(seconds=1)) if at < rid)


def split_series(series: dict, override: dict, rid: str) -> tuple[dict | None, dict, timedelta] | None:
    """(the series until `rid`, or None when `rid` is its first occurrence;
    the series from `rid` on with the override's fields; how far the later
    occurrences move). None when the rule cannot be cut there."""
    at = as_datetime(parse_local(rid))
    first = as_datetime(parse_local(series["start"]))
    delta = as_datetime(parse_local(override["start"])) - at
    later = {**override, "rrule": _shifted_until(series["rrule"], delta)}
    try:
        rule = parse_rule(series["rrule"], first, zone=_zone(series))
        if rule.count is not None:
            rest = rule.count - _before(series, at)
            if rest < 1:
                return None
            recur = _recur(later["rrule"])
            recur["COUNT"] = [rest]
            later["rrule"] = recur.to_ical().decode()
    except (RecurrenceError, GaveUp):
        return None
    step = timedelta(days=1) if series.get("all_day") else timedelta(seconds=1)
    later["exdates"] = sorted(
        format_local(_form(as_datetime(parse_local(x)) + delta, series)) for x in series.get("exdates") or [] if as_datetime(parse_local(x)) >= at
    )
    if at <= first:
        return None, later, delta
    end = at - step
    earlier = {
        **series,
        "rrule": _with_until(series["rrule"], end.date() if series.get("all_day") else end),
        "exdates": [x for x in series.get("exdates") or [] if as_datetime(parse_local(x)) < at],
    }
    return earlier, later, delta


def _form(value: datetime, series: dict) -> date | datetime:
    return value.date() if series.get("all_day") else value
