"""One occurrence of a series: its recurrence id, and its fields until it is overridden.

Pure module: no Django. Calendar writes, the event page and the event form
read local times and recurrence ids through these, so they agree on them.
"""

from __future__ import annotations

from datetime import date, datetime

from events.recurrence.timing import RecurrenceError, format_local, recurrence_key


def wall_time(text: str) -> date | datetime:
    """A local time as events hold it: `YYYY-MM-DD` -> date, with a time -> datetime."""
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


def recurrence_id(value: str | None) -> str | None:
    """A recurrence id normalized as the index keys it (None stays None);
    RecurrenceError when it is no local time."""
    return None if value is None else recurrence_key(value)


def occurrence_of(series: dict, rid: str) -> dict:
    """The series' fields as they are for the occurrence starting at `rid`:
    moved there with the series' duration, repeating no more. RecurrenceError
    when `rid` is a date and the series is timed, or the other way round."""
    start = wall_time(series["start"])
    end = wall_time(series["end"]) if series.get("end") else start
    at = wall_time(rid)
    if isinstance(start, datetime) != isinstance(at, datetime):
        raise RecurrenceError(f"recurrence_id {rid} does not match the form of the series start {series['start']}")
    return {**series, "start": rid, "end": format_local(at + (end - start)), "rrule": None, "exdates": []}
