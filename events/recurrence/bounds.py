"""The rule `bounds` of docs/PROTOCOL.md section 5.2: the local times and
repeat rules of a calendar body lie where every reader can place them.
Pure module: imports events.recurrence only."""

from __future__ import annotations

from datetime import datetime

from events.recurrence.expansion import as_datetime, first_start
from events.recurrence.rrule import parse_rule
from events.recurrence.timing import (
    OutOfRange,
    RecurrenceError,
    check_year,
    get_zone,
    parse_local,
    parse_local_unchecked,
)

CALENDAR_TYPES = ("event.put", "event.del")


def _year_problem(text: object, what: str) -> str | None:
    """Why `text`, if it is a local time at all, lies outside the years allowed."""
    try:
        value = parse_local_unchecked(text, what=what)
        check_year(value, what)
    except OutOfRange as e:
        return str(e)
    except RecurrenceError:
        return None  # not a local time: the view's business (section 5.2), not this rule's
    return None


def bounds_problem(body: object) -> str | None:
    """Why a calendar body breaks the rule `bounds`, or None. Only values that
    are otherwise readable are checked: a `recurrence_id`, `start`, `end` or
    exdate that is a local time must lie in FIRST_YEAR..LAST_YEAR; a series'
    `rrule` that is a valid rule for a valid start must have its UNTIL in
    those years and an occurrence within FIRST_WITHIN of the start (found in
    at most WALK_STEPS of dateutil's walk). Anything else a body gets wrong is
    stored and left out of the view, as before."""
    if not isinstance(body, dict) or body.get("type") not in CALENDAR_TYPES:
        return None
    rid = body.get("recurrence_id")
    if rid is not None and (problem := _year_problem(rid, "recurrence_id")):
        return problem
    event = body.get("event")
    if body["type"] != "event.put" or not isinstance(event, dict):
        return None
    for name in ("start", "end"):
        if event.get(name) is not None and (problem := _year_problem(event[name], name)):
            return problem
    if rid is not None:
        return None  # an occurrence's rrule and exdates are ignored
    exdates = event.get("exdates")
    if isinstance(exdates, list):
        for text in exdates:
            if problem := _year_problem(text, "exdate"):
                return problem
    if event.get("rrule") is None:
        return None
    try:
        all_day = event.get("all_day", False)
        start = parse_local(event.get("start"), what="start")
        if not isinstance(all_day, bool) or all_day == isinstance(start, datetime):
            return None
        zone = None if all_day or event.get("tz") is None else get_zone(event.get("tz"))
        rule = parse_rule(event["rrule"], as_datetime(start), zone=zone)
        first_start(rule, as_datetime(start))
    except OutOfRange as e:
        return str(e)
    except RecurrenceError:
        return None
    return None
