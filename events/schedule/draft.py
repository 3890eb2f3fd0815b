"""Turn a `Plan` into the draft event: resolve dates, times, zones and repetition."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from events.schedule.dates import (
    DateProblem,
    add_elapsed,
    crosses_midnight,
    daypart_of,
    duration_delta,
    localize,
    resolve_clock,
    resolve_clock_range,
    resolve_date,
    resolve_end_date,
    wall,
)
from events.schedule.plan import Plan
from events.schedule.rules import count_for, first_occurrence, rule_text, until_after

ONE_HOUR = timedelta(hours=1)

HINTS = re.compile(
    r"(?<![\w])(?:dinner|supper|drinks|party|concert|movie|cinema|theatre|theater|bar|pub|gig|"
    r"dîner|diner|soirée|abendessen|cena|breakfast|brunch|morning|petit-déjeuner|frühstück|desayuno)"
    r"(?![\w])"
)

def _pm_bias(plan: Plan, low: str) -> tuple[bool | None, int | None]:
    """Whether bare hours are p.m., and the default hour, from "tonight", "friday evening"..."""
    part = plan.daypart
    for phrase in (plan.date, plan.anchor):
        if phrase is not None and phrase.data.get("daypart"):
            part = phrase.data["daypart"]
    if part is None and (m := HINTS.search(low)):
        return m.group(0) not in ("breakfast", "morning", "brunch", "petit-déjeuner", "frühstück",
                                  "desayuno"), None
    found = daypart_of(part)
    if found is None:
        return None, None
    hour, pm = found
    return pm, hour


def _date_range(plan: Plan, today: date, day_first: bool) -> tuple[date, date] | None:
    if plan.date is None:
        return None
    data = plan.date.data
    if plan.date.kind == "drange":
        first = resolve_date(data["first"], today, day_first)[0]
        last = resolve_end_date(data["last"], first, today, day_first)
        text = data["text"]
    else:
        first, last = resolve_date(data, today, day_first)
        text = data.get("text", "")
        if plan.date_end is not None:
            last = resolve_end_date(plan.date_end.data, first, today, day_first)
            text = f'{text}" to "{plan.date_end.data.get("text", "")}'
    if last < first:
        raise DateProblem(f'the end is before the start in "{text}"')
    return first, last


def make_draft(plan: Plan, now: datetime, zone: ZoneInfo, day_first: bool, low: str) -> dict[str, Any]:
    today = now.date()
    pm, default_hour = _pm_bias(plan, low)
    clock: time | None = None
    end_clock: time | None = None
    if plan.time is not None and plan.time.kind == "trange":
        clock, end_clock = resolve_clock_range(plan.time.data["first"], plan.time.data["last"], pm)
    elif plan.time is not None:
        clock = resolve_clock(plan.time.data, pm)
    elif default_hour is not None:
        clock = time(default_hour)
    if plan.all_day:
        clock = end_clock = None
    duration = plan.duration.data if plan.duration else None
    draft: dict[str, Any] = {"title": "", "start": None, "end": None, "all_day": False, "tz": zone.key,
                             "rrule": None, "location": None, "exdates": []}
    if duration is not None and duration["unit"] in ("minute", "hour") and clock is None \
            and plan.moment is None and not plan.all_day \
            and not (plan.rec is not None and plan.rec["freq"] in ("HOURLY", "MINUTELY")):
        # "meeting tomorrow for 90 minutes": ask for the time rather than guess one.
        raise DateProblem(f'"{duration.get("text", "")}" needs a start time, for example "at 10am"')
    if plan.rec is not None:
        return _recurring(plan, draft, now=now, zone=zone, day_first=day_first, clock=clock,
                          end_clock=end_clock, duration=duration)
    if plan.moment is not None:
        if plan.date is not None or plan.time is not None:
            raise DateProblem(f'"{plan.moment.data.get("text", "in ...")}" clashes with another date or time')
        delta = duration_delta(plan.moment.data["amount"], plan.moment.data["unit"])
        start = add_elapsed(now, delta, zone)
        end = add_elapsed(start, duration_delta(duration["amount"], duration["unit"]) if duration else ONE_HOUR, zone)
        draft.update(start=wall(start), end=wall(end))
        return draft
    days = _date_range(plan, today, day_first)
    if days is None:
        if clock is None:
            raise DateProblem("no date or time found")
        first = today if localize(today, clock, zone) > now else today + timedelta(days=1)
        days = (first, first)
    first, last = days
    if plan.time is not None and plan.time.data.get("h") == 24 and plan.date is not None and first == last:
        first = last = first + timedelta(days=1)  # "dec 5 at 24:00" ends Dec 5
    elif clock is not None and clock < time(5) and pm and plan.date is not None and first == last:
        first = last = first + timedelta(days=1)  # "tonight at midnight", "friday night at 1am"
    if clock is None:
        if duration and duration["unit"] in ("day", "week") and last == first:
            n = duration["amount"] * (7 if duration["unit"] == "week" else 1)
            last = first + timedelta(days=max(1, round(n)) - 1)
        draft.update(start=first.isoformat(), end=(last + timedelta(days=1)).isoformat(), all_day=True,
                     tz=None)
        return draft
    start = localize(first, clock, zone)
    if end_clock is not None:
        end = localize(last, end_clock, zone)
        if end <= start:
            if first == last and crosses_midnight(clock, end_clock):
                end = localize(last + timedelta(days=1), end_clock, zone)
            else:
                shown = plan.time.data["text"] if plan.time else ""
                raise DateProblem(f'the end is before the start in "{shown}"')
    elif duration is not None:
        end = add_elapsed(start, duration_delta(duration["amount"], duration["unit"]), zone)
    elif last != first:
        end = add_elapsed(localize(last, clock, zone), ONE_HOUR, zone)
    else:
        end = add_elapsed(start, ONE_HOUR, zone)
    draft.update(start=wall(start), end=wall(end))
    return draft


def _recurring(plan: Plan, draft: dict[str, Any], *, now: datetime, zone: ZoneInfo, day_first: bool,
               clock: time | None, end_clock: time | None, duration: dict[str, Any] | None) -> dict[str, Any]:
    rec = plan.rec
    assert rec is not None
    today = now.date()
    naive_now = now.replace(tzinfo=None)
    anchor = None
    if plan.anchor is not None:
        data = plan.anchor.data
        if plan.anchor.kind == "drange":
            data = data["first"]
            if plan.until is None:
                plan.until = plan.anchor
        anchor = resolve_date(data, today, day_first)[0]
    if clock is None and rec["freq"] in ("HOURLY", "MINUTELY") and not plan.all_day:
        clock = naive_now.time().replace(second=0)
    base_day = anchor or today
    base = datetime.combine(base_day, clock or time())
    threshold = base if anchor or clock is None else max(naive_now, base)
    first = first_occurrence(rec, base, threshold)
    count: int | None = plan.count.data["count"] if plan.count else None
    until: date | None = None
    if duration is not None and duration["unit"] in ("day", "week", "month", "year"):
        count = count_for(rec, duration["amount"], duration["unit"])
        if count is None:
            until = until_after(first.date(), duration["amount"], duration["unit"])
        duration = None
    if plan.until is not None:
        data = plan.until.data
        if plan.until.kind == "drange":
            data = data["last"]
        until = resolve_end_date(data, first.date(), today, day_first)
        if until < first.date():
            raise DateProblem(f'it ends on {until} ("{data.get("text", "")}"), before its first day {first.date()}')
    if count is not None and count < 1:
        raise DateProblem("the repetition has no occurrences")
    all_day = clock is None
    draft["rrule"] = rule_text(rec, count=count, until=until, all_day=all_day)
    exdays = [resolve_date(p.data if p.kind == "date" else p.data["first"], today, day_first)[0]
              for p in plan.exdates]
    if all_day:
        draft.update(start=first.date().isoformat(), end=(first.date() + timedelta(days=1)).isoformat(),
                     all_day=True, tz=None, exdates=[d.isoformat() for d in exdays])
        return draft
    assert clock is not None
    start = localize(first.date(), first.time(), zone)
    if end_clock is not None:
        end_day = first.date() + timedelta(days=1 if end_clock <= first.time() else 0)
        if end_clock <= first.time() and not crosses_midnight(first.time(), end_clock):
            raise DateProblem("the end is before the start")
        end = localize(end_day, end_clock, zone)
    else:
        delta = duration_delta(duration["amount"], duration["unit"]) if duration else ONE_HOUR
        end = add_elapsed(start, delta, zone)
    draft.update(start=wall(start), end=wall(end),
                 exdates=[wall(datetime.combine(d, first.time())) for d in exdays])
    return draft
