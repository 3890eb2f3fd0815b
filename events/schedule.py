"""The quick-add parser: one line of text to a draft event.

`parse_schedule("lunch every tuesday at noon", now=..., tz="Europe/Bucharest")`
returns a `ParseResult` whose draft has the event fields of PROTOCOL section 5
(title, start, end, all_day, tz, rrule, location, exdates), or an error that
quotes what could not be understood, plus character spans for highlighting.

Pure module, no Django and no clock: `now` is an argument. The phrases are
recognised by `events.schedule_phrases`, dates computed by
`events.schedule_dates` and repetitions by `events.schedule_rules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from events.schedule_dates import (
    DateProblem,
    add_elapsed,
    daypart_of,
    duration_delta,
    localize,
    resolve_clock,
    resolve_clock_range,
    resolve_date,
    resolve_end_date,
    wall,
)
from events.schedule_phrases import Phrase, PhraseError, find_phrases
from events.schedule_rules import count_for, first_occurrence, rule_text, until_after
from events.schedule_words import CONNECTORS, alternation

MAX_LENGTH = 500
ONE_HOUR = timedelta(hours=1)

UNTIL_LEAD = re.compile(
    r"(?<![\w'])(?:until|till|til|through|thru|up\s+to|ending(?:\s+on)?|jusqu'au|jusqu'à|"
    r"jusqu'en|bis(?:\s+zum|\s+am|\s+einschließlich)?|hasta(?:\s+el)?)\s*(?:on\s+|the\s+|le\s+|el\s+)?$"
)
EXCEPT_LEAD = re.compile(
    r"(?<![\w'])(?:except|excluding|but\s+not|not\s+on|skipping|skip|sauf|excepté|hormis|außer|"
    r"ausser|nicht\s+am|excepto|salvo|menos)\s*(?:on\s+|the\s+|le\s+|am\s+|el\s+|den\s+)?$"
)
STARTING_LEAD = re.compile(
    r"(?<![\w'])(?:starting|beginning|from|as\s+of|à\s+partir\s+du|ab|desde|a\s+partir\s+del?)"
    r"\s*(?:on\s+|the\s+)?$"
)
RANGE_GAP = re.compile(
    r"\s*(?:-|–|—|to|till|til|until|through|thru|au|bis|al|a|hasta|jusqu'au)\s*(?:the\s+|le\s+|el\s+|zum\s+)?"
)
LIST_GAP = re.compile(r"[\s,/&+]*(?:(?:and|et|und|y|or)[\s,]*)?")
CONNECTOR_TAIL = re.compile(rf"(?:(?<=[\s,])|^)(?:{alternation(CONNECTORS)}|@)\s*$")
LOCATION = re.compile(r"(?:(?<=[\s,])|^)(?P<mark>@|at|in|à|au|chez|bei|im|en)(?:\s+|(?<=@))(?P<place>\S.*)")
ARTICLES = ("the ", "a ", "le ", "la ", "l'", "les ", "der ", "die ", "das ", "dem ", "el ", "los ")
STRIP = " \t,;:-–—.!?|/"
SPAN_KINDS = {"rec": "recurrence", "date": "date", "drange": "range", "time": "time",
              "trange": "range", "duration": "duration", "count": "recurrence", "allday": "date",
              "daypart": "time"}


class ScheduleError(ValueError):
    """The text cannot be turned into an event; the message says why."""


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class ParseResult:
    draft: dict[str, Any] | None
    error: str | None
    spans: list[Span] = field(default_factory=list)


@dataclass
class Plan:
    """The phrases found, sorted by the part they play in the event."""

    rec: dict[str, Any] | None = None
    date: Phrase | None = None
    date_end: Phrase | None = None
    anchor: Phrase | None = None
    until: Phrase | None = None
    exdates: list[Phrase] = field(default_factory=list)
    time: Phrase | None = None
    duration: Phrase | None = None
    count: Phrase | None = None
    moment: Phrase | None = None
    all_day: bool = False
    daypart: str | None = None
    spans: list[list[Any]] = field(default_factory=list)


def parse_schedule(text: str, *, now: datetime, tz: str, day_first: bool | None = None) -> ParseResult:
    """Parse one line of quick-add text relative to `now` in zone `tz`.

    `now` may be naive (wall time in `tz`) or aware. `day_first` decides
    whether "5/12" is the 5th of December; by default it is, except in the
    America/* zones.
    """
    try:
        return _parse(text, now, tz, day_first)
    except OverflowError:
        return ParseResult(None, "that date is out of range", [])
    except ValueError as exc:
        return ParseResult(None, str(exc), [])


def warm_up() -> None:
    """Load dateparser's language data and run the parser once, so the first request is fast."""
    import dateparser

    dateparser.parse("12 December 2026 10:00", languages=["en"])
    parse_schedule("lunch every tuesday at noon", now=datetime(2026, 1, 1), tz="UTC")


def load_zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ScheduleError(f'unknown time zone "{tz}"') from None


def lowered(text: str) -> str:
    """`text` in lower case, one character for one, so offsets stay valid."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.replace("’", "'")


def _parse(text: str, now: datetime, tz: str, day_first: bool | None) -> ParseResult:
    if not isinstance(text, str):
        raise ScheduleError("the text must be a string")
    if not text.strip():
        raise ScheduleError("there is nothing to schedule: the text is empty")
    if len(text) > MAX_LENGTH:
        raise ScheduleError(f"the text is too long ({len(text)} characters, at most {MAX_LENGTH})")
    zone = load_zone(tz)
    if now.tzinfo is not None:
        now_aware = now.astimezone(zone)
    else:
        now_aware = localize(now.date(), now.time(), zone)
    now_aware = now_aware.replace(microsecond=0)
    if day_first is None:
        day_first = not tz.startswith(("America/", "US/"))
    low = lowered(text)
    try:
        plan = make_plan(find_phrases(low), low)
    except PhraseError as exc:
        raise ScheduleError(str(exc)) from None
    if not (plan.rec or plan.date or plan.time or plan.moment or plan.daypart):
        raise ScheduleError(f'no date or time found in "{text.strip()}"')
    try:
        draft = make_draft(plan, now_aware, zone, day_first)
    except DateProblem as exc:
        raise ScheduleError(str(exc)) from None
    spans, title, location = describe(text, low, plan)
    draft["title"] = title
    draft["location"] = location
    return ParseResult(draft, None, spans)


def _merge_rec(rec: dict[str, Any], other: dict[str, Any], text: str) -> None:
    if other["freq"] != rec["freq"]:
        raise ScheduleError(f'"{text}" repeats in two different ways')
    rec["byday"] = rec["byday"] + [d for d in other["byday"] if d not in rec["byday"]]
    rec["interval"] = max(rec["interval"], other["interval"])
    for key in ("bymonthday", "bymonth", "nth"):
        if rec.get(key) is None and other.get(key) is not None:
            rec[key] = other[key]


def make_plan(phrases: list[Phrase], low: str) -> Plan:
    plan = Plan()
    dates: list[list[Any]] = []  # [phrase, role, span]
    previous: Phrase | None = None
    times: list[Phrase] = []
    for phrase in phrases:
        lead_start = previous.end if previous else 0
        lead = low[lead_start : phrase.start]
        span = [phrase.start, phrase.end, SPAN_KINDS.get(phrase.kind, "date")]
        kind = phrase.kind
        if kind == "offset":
            if phrase.data["unit"] in ("minute", "hour"):
                plan.moment = phrase
                span[2] = "time"
            else:
                kind = "date"
                phrase = Phrase(phrase.start, phrase.end, "date",
                                dict(phrase.data, type="offset", text=low[phrase.start : phrase.end]))
        if kind == "rec":
            if plan.rec is None:
                plan.rec = dict(phrase.data)
            else:
                _merge_rec(plan.rec, phrase.data, low[phrase.start : phrase.end])
        elif kind in ("date", "drange"):
            role = "normal"
            last = dates[-1] if dates else None
            if (m := UNTIL_LEAD.search(lead)) and plan.rec:
                role = "until"
            elif m := EXCEPT_LEAD.search(lead):
                role = "except"
            elif last and last[1] == "except" and last[0] is previous and LIST_GAP.fullmatch(lead):
                role, m = "except", None
            elif last and last[0] is previous and last[1] == "normal" and kind == "date" \
                    and previous.kind == "date" and RANGE_GAP.fullmatch(lead):
                role, m = "end", None
                last[2][1] = phrase.end
                last[2][2] = "range"
                span = None
            elif (m := STARTING_LEAD.search(lead)) and plan.rec:
                role = "anchor"
            else:
                m = None
            if m is not None and span is not None:
                span[0] = lead_start + m.start()
            if role in ("until", "except") and span is not None:
                span[2] = "recurrence"
            dates.append([phrase, role, span])
        elif kind in ("time", "trange"):
            times.append(phrase)
        elif kind == "duration":
            if plan.duration is not None:
                raise ScheduleError(f'two durations: "{_quote(low, plan.duration)}" and "{_quote(low, phrase)}"')
            plan.duration = phrase
        elif kind == "count":
            plan.count = phrase
        elif kind == "allday":
            plan.all_day = True
        elif kind == "daypart":
            plan.daypart = phrase.data["part"]
        if span is not None and kind not in ("date", "drange"):
            plan.spans.append(span)
        previous = phrase
    if len(times) > 1:
        raise ScheduleError(f'two times: "{_quote(low, times[0])}" and "{_quote(low, times[1])}"')
    plan.time = times[0] if times else None
    _place_dates(plan, dates, low)
    if plan.count and not plan.rec:
        plan.spans = [s for s in plan.spans if s[0] != plan.count.start]
        plan.count = None
    return plan


def _place_dates(plan: Plan, dates: list[list[Any]], low: str) -> None:
    for phrase, role, span in dates:
        if role == "until":
            plan.until = phrase
        elif role == "except":
            plan.exdates.append(phrase)
        if span is not None:
            plan.spans.append(span)
    normal = [d for d in dates if d[1] in ("normal", "anchor")]
    ends = {id(dates[i - 1][0]): d[0] for i, d in enumerate(dates) if d[1] == "end"}
    rec = plan.rec
    if rec is None and len(normal) >= 2 and all(
        d[0].data.get("type") == "weekday" and d[0].data["mode"] == "after" and id(d[0]) not in ends
        for d in normal
    ):
        rec = plan.rec = {"freq": "WEEKLY", "interval": 1, "byday": [], "bymonthday": None,
                          "bymonth": None}
    if rec is not None:
        kept = []
        for entry in normal:
            phrase, role, span = entry
            data = phrase.data
            kind = data.get("type")
            taken = False
            if role == "normal" and id(phrase) not in ends:
                if rec["freq"] == "WEEKLY" and kind == "weekday" and (not rec["byday"] or rec.get("from_days")):
                    rec["byday"].append(data["wd"])
                    rec["from_days"] = True
                    taken = True
                elif rec["freq"] == "MONTHLY" and not rec["byday"] and rec["bymonthday"] is None:
                    if kind == "ord":
                        rec["bymonthday"] = data["d"]
                        taken = True
                    elif kind == "nth":
                        rec["byday"], rec["nth"] = [data["wd"]], data["n"]
                        taken = True
                elif rec["freq"] == "YEARLY" and rec["bymonth"] is None and kind == "abs" \
                        and data["y"] is None:
                    rec["bymonth"], rec["bymonthday"] = data["m"], data["d"]
                    taken = True
            if taken:
                if span is not None:
                    span[2] = "recurrence"
            else:
                kept.append(entry)
        if rec.get("per_week") and not rec["byday"]:
            if rec["per_week"] != "once":
                raise ScheduleError(f'"{rec["per_week"]} a week": on which days?')
        rec.pop("from_days", None)
        rec.pop("per_week", None)
        if len(kept) > 1:
            raise ScheduleError(
                f'two dates: "{_quote(low, kept[0][0])}" and "{_quote(low, kept[1][0])}"')
        if kept:
            plan.anchor = kept[0][0]
            if id(kept[0][0]) in ends:
                plan.until = ends[id(kept[0][0])]
        return
    if len(normal) > 1:
        raise ScheduleError(f'two dates: "{_quote(low, normal[0][0])}" and "{_quote(low, normal[1][0])}"')
    if plan.exdates:
        raise ScheduleError(f'"{_quote(low, plan.exdates[0])}" is an exception, but nothing repeats')
    if normal:
        plan.date = normal[0][0]
        plan.date_end = ends.get(id(plan.date))


def _quote(low: str, phrase: Phrase) -> str:
    return low[phrase.start : phrase.end].strip()


def _pm_bias(plan: Plan) -> tuple[bool | None, int | None]:
    """Whether bare hours are p.m., and the default hour, from "tonight", "friday evening"..."""
    part = plan.daypart
    for phrase in (plan.date, plan.anchor):
        if phrase is not None and phrase.data.get("daypart"):
            part = phrase.data["daypart"]
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


def make_draft(plan: Plan, now: datetime, zone: ZoneInfo, day_first: bool) -> dict[str, Any]:
    today = now.date()
    pm, default_hour = _pm_bias(plan)
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
    if plan.rec is not None:
        return _recurring(plan, draft, now, zone, day_first, clock, end_clock, duration)
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
            if first == last and clock >= time(18) and end_clock <= time(6):
                end = localize(last + timedelta(days=1), end_clock, zone)
            else:
                raise DateProblem(f'the end is before the start in "{plan.time.data["first"]["text"]}'
                                  f'...{plan.time.data["last"]["text"]}"')
    elif duration is not None:
        end = add_elapsed(start, duration_delta(duration["amount"], duration["unit"]), zone)
    elif last != first:
        end = add_elapsed(localize(last, clock, zone), ONE_HOUR, zone)
    else:
        end = add_elapsed(start, ONE_HOUR, zone)
    draft.update(start=wall(start), end=wall(end))
    return draft


def _recurring(plan: Plan, draft: dict[str, Any], now: datetime, zone: ZoneInfo, day_first: bool,
               clock: time | None, end_clock: time | None, duration: dict[str, Any] | None) -> dict[str, Any]:
    rec = plan.rec
    assert rec is not None
    today = now.date()
    naive_now = now.replace(tzinfo=None)
    anchor = resolve_date(plan.anchor.data, today, day_first)[0] if plan.anchor else None
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
        if end_clock <= first.time() and not (first.time() >= time(18) and end_clock <= time(6)):
            raise DateProblem("the end is before the start")
        end = localize(end_day, end_clock, zone)
    else:
        delta = duration_delta(duration["amount"], duration["unit"]) if duration else ONE_HOUR
        end = add_elapsed(start, delta, zone)
    draft.update(start=wall(start), end=wall(end),
                 exdates=[wall(datetime.combine(d, first.time())) for d in exdays])
    return draft


def describe(text: str, low: str, plan: Plan) -> tuple[list[Span], str, str | None]:
    """Spans for every part, with connecting words ("on", "at", "um") joined to what follows."""
    used = bytearray(len(text))
    raw = sorted(plan.spans, key=lambda s: s[0])
    for start, end, _ in raw:
        used[start:end] = b"\x01" * (end - start)
    for span in raw:
        while True:
            m = CONNECTOR_TAIL.search(low, 0, span[0])
            if m is None or m.start() == m.end() or any(used[m.start() : span[0]]):
                break
            used[m.start() : span[0]] = b"\x01" * (span[0] - m.start())
            span[0] = m.start()
    spans = [Span(s, e, k) for s, e, k in raw]
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        if used[i]:
            i += 1
            continue
        j = i
        while j < len(text) and not used[j]:
            j += 1
        pieces.append((i, j))
        i = j
    location = None
    for index, (a, b) in enumerate(pieces):
        for m in LOCATION.finditer(low, a, b):
            place_start = m.start("place")
            place = text[place_start:b].strip(STRIP)
            if not place:
                continue
            lower_place = low[place_start:b]
            if m["mark"] not in ("@", "at") and not (text[place_start].isupper()
                                                    or lower_place.startswith(ARTICLES)):
                continue
            location = place
            offset = text.index(place, place_start)
            spans.append(Span(offset, offset + len(place), "location"))
            pieces[index] = (a, m.start())
            break
        if location:
            break
    title_parts = []
    for a, b in pieces:
        chunk = text[a:b]
        stripped = chunk.strip(STRIP)
        if stripped:
            offset = a + chunk.index(stripped)
            spans.append(Span(offset, offset + len(stripped), "title"))
            title_parts.append(stripped)
    title = re.sub(r"\s+", " ", " ".join(title_parts)).strip(STRIP)
    spans.sort(key=lambda s: s.start)
    return spans, title, location


__all__ = ["ParseResult", "ScheduleError", "Span", "parse_schedule", "warm_up"]
