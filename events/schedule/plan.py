"""Sort the recognised phrases into the parts of an event: a `Plan`.

Which date is the start, which one ends a range, which is an "until" or an
"except", whether a list of weekdays is a repetition: decided from the words
between the phrases. No dates are computed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from events.schedule.phrases import Phrase
from events.schedule.words import EXCEPT_WORDS


class PlanProblem(ValueError):
    """The phrases contradict each other ("two times"); the message quotes them."""


UNTIL_LEAD = re.compile(
    r"(?<![\w'])(?:until|till|til|through|thru|up\s+to|ending(?:\s+on)?|jusqu'au|jusqu'à|"
    r"jusqu'en|bis(?:\s+zum|\s+am|\s+einschließlich)?|hasta(?:\s+el)?)\s*(?:on\s+|the\s+|le\s+|el\s+)?$"
)
EXCEPT_LEAD = re.compile(
    rf"(?<![\w'])(?:{EXCEPT_WORDS})\s*(?:on\s+|the\s+|le\s+|am\s+|el\s+|den\s+)?$"
)
STARTING_LEAD = re.compile(
    r"(?<![\w'])(?:starting|beginning|from|as\s+of|à\s+partir\s+du|ab|desde|a\s+partir\s+del?)"
    r"\s*(?:on\s+|the\s+)?$"
)
RANGE_GAP = re.compile(
    r"\s*(?:-|–|—|to|till|til|until|through|thru|au|bis|al|a|hasta|jusqu'au)\s*(?:the\s+|le\s+|el\s+|zum\s+)?"
)
LIST_GAP = re.compile(r"[\s,/&+]*(?:(?:and|et|und|y|or)[\s,]*)?")
SPAN_KINDS = {"rec": "recurrence", "date": "date", "drange": "range", "time": "time",
              "trange": "range", "duration": "duration", "count": "recurrence", "allday": "date",
              "daypart": "time", "zone": "time", "exmonths": "recurrence"}



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
    zone: str | None = None
    except_days: list[int] = field(default_factory=list)
    except_months: list[int] = field(default_factory=list)
    except_starts: list[int] = field(default_factory=list)
    spans: list[list[Any]] = field(default_factory=list)


def _merge_rec(rec: dict[str, Any], other: dict[str, Any], text: str) -> None:
    if other["freq"] != rec["freq"]:
        raise PlanProblem(f'"{text}" repeats in two different ways')
    rec["byday"] = rec["byday"] + [d for d in other["byday"] if d not in rec["byday"]]
    rec["interval"] = max(rec["interval"], other["interval"])
    rec.pop("weak", None)
    for key in ("bymonthday", "bymonth", "nth"):
        if rec.get(key) is None and other.get(key) is not None:
            rec[key] = other[key]


NEAR_GAP = re.compile(r"[\s,]*(?:(?:at|on|um|à|am|el)\s+)?")


def _timed_ranges(phrases: list[Phrase], low: str) -> list[Phrase]:
    """"fri 6pm to sun 2pm": a date and a time on both sides of a range become one range.

    The end date is marked `range_end` and the two times become one "trange"
    that has no span of its own (the start date's span covers it all).
    """
    if any(p.kind == "rec" for p in phrases):
        return phrases
    out: list[Phrase] = []
    i = 0
    while i < len(phrases):
        group = phrases[i : i + 4]
        kinds = [p.kind for p in group]
        if kinds in (["date", "time", "date", "time"], ["time", "date", "time", "date"]):
            a, b, c, d = group
            if NEAR_GAP.fullmatch(low[a.end : b.start]) and RANGE_GAP.fullmatch(low[b.end : c.start]) \
                    and NEAR_GAP.fullmatch(low[c.end : d.start]):
                first_day, first_time, last_day, last_time = (a, b, c, d) if a.kind == "date" else (b, a, d, c)
                out.append(Phrase(a.start, d.end, "date", dict(first_day.data, timed_range=True)))
                out.append(Phrase(last_day.start, last_day.end, "date", dict(last_day.data, range_end=True)))
                out.append(Phrase(a.start, d.end, "trange", {
                    "first": first_time.data, "last": last_time.data, "text": low[a.start : d.end].strip(),
                    "no_span": True}))
                i += 4
                continue
        out.append(phrases[i])
        i += 1
    return out


def _day_span_repeats(phrases: list[Phrase], low: str) -> list[Phrase]:
    """"mon-fri 9am", "tue thru thu 3:30pm": a span of weekdays with a time is every one of those days."""
    if not any(p.kind in ("time", "trange") for p in phrases) or any(p.kind == "rec" for p in phrases):
        return phrases
    out: list[Phrase] = []
    i = 0
    while i < len(phrases):
        a, b = phrases[i], phrases[i + 1] if i + 1 < len(phrases) else None
        if b is not None and a.kind == b.kind == "date" and a.data.get("type") == b.data.get("type") == "weekday" \
                and a.data["mode"] == b.data["mode"] == "after" and RANGE_GAP.fullmatch(low[a.end : b.start]):
            first, last = a.data["wd"], b.data["wd"]
            days = [(first + n) % 7 for n in range((last - first) % 7 + 1)]
            out.append(Phrase(a.start, b.end, "rec", {"freq": "WEEKLY", "interval": 1, "byday": days,
                                                      "bymonthday": None, "bymonth": None}))
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def make_plan(phrases: list[Phrase], low: str) -> Plan:
    plan = Plan()
    phrases = _day_span_repeats(_timed_ranges(phrases, low), low)
    dates: list[list[Any]] = []  # [phrase, role, span]
    previous: Phrase | None = None
    times: list[Phrase] = []
    for phrase in phrases:
        lead_start = previous.end if previous else 0
        lead = low[lead_start : phrase.start]
        kind = phrase.kind
        span_kind = SPAN_KINDS.get(kind, "date")
        if kind == "offset" and phrase.data["unit"] in ("minute", "hour"):
            span_kind = "time"
        span: list[Any] | None = [phrase.start, phrase.end, span_kind]
        if kind == "offset":
            if phrase.data["unit"] in ("minute", "hour"):
                plan.moment = phrase
            else:
                kind = "date"
                phrase = Phrase(phrase.start, phrase.end, "date",
                                dict(phrase.data, type="offset", text=low[phrase.start : phrase.end]))
        if kind == "rec" and span is not None and phrase.data["byday"] and not phrase.data.get("nth") \
                and not phrase.data.get("pairs") and (
            (m := EXCEPT_LEAD.search(lead))
            or previous is not None and previous.start in plan.except_starts and LIST_GAP.fullmatch(lead)
        ):
            # "every weekday except fridays": those days leave the set.
            plan.except_days += phrase.data["byday"]
            plan.except_starts.append(phrase.start)
            span[0] = lead_start + m.start() if m else span[0]
            span[2] = "recurrence"
        elif kind == "rec":
            if phrase.data.get("daypart"):
                plan.daypart = phrase.data["daypart"]
            if plan.rec is None:
                plan.rec = dict(phrase.data)
            else:
                _merge_rec(plan.rec, phrase.data, low[phrase.start : phrase.end])
        elif kind in ("date", "drange"):
            role = "normal"
            last = dates[-1] if dates else None
            if phrase.data.get("range_end") and last is not None:
                role, m, span = "end", None, None
                last[2][2] = "range"
            elif (m := UNTIL_LEAD.search(lead)) and plan.rec:
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
            elif last and last[0] is previous and last[1] == "anchor" and (m := RANGE_GAP.fullmatch(lead)):
                role = "until"  # "tuesdays from feb 2 to april 30"
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
                raise PlanProblem(f'two durations: "{_quote(low, plan.duration)}" and "{_quote(low, phrase)}"')
            plan.duration = phrase
        elif kind == "count":
            plan.count = phrase
        elif kind == "allday":
            plan.all_day = True
        elif kind == "exmonths":
            plan.except_months += phrase.data["months"]
        elif kind == "zone":
            plan.zone = phrase.data["zone"]
        elif kind == "daypart":
            plan.daypart = phrase.data["part"]
        if span is not None and kind not in ("date", "drange") and not phrase.data.get("no_span"):
            plan.spans.append(span)
        previous = phrase
    if len(times) == 2 and RANGE_GAP.fullmatch(low[times[0].end : times[1].start]) \
            and times[0].kind == times[1].kind == "time":
        early, late = times
        times = [Phrase(early.start, late.end, "trange", {
            "first": early.data, "last": late.data, "text": low[early.start : late.end].strip()})]
        plan.spans = [s for s in plan.spans if s[0] not in (early.start, late.start)]
        plan.spans.append([early.start, late.end, "range"])
    if len(times) == 2 and plan.duration is None and (length := _clock_as_length(times[1])):
        # "training wed 9am 2h30": after a clock time, "2h30" is how long it lasts.
        plan.duration = length
        times.pop()
    if len(times) > 1:
        raise PlanProblem(f'two times: "{_quote(low, times[0])}" and "{_quote(low, times[1])}"')
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
        for phrase, role, _span in dates:
            data = phrase.data
            if role == "except" and data.get("type") == "weekday" and data["mode"] == "after":
                plan.exdates.remove(phrase)  # "except friday" with a repetition: every friday
                plan.except_days.append(data["wd"])
        if plan.except_days:
            _drop_days(rec, plan.except_days, low)
        if plan.except_months:
            months = rec["bymonth"] if isinstance(rec["bymonth"], list) else \
                [rec["bymonth"]] if rec["bymonth"] is not None else list(range(1, 13))
            rec["bymonth"] = [month for month in months if month not in plan.except_months]
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
                elif rec["freq"] == "MONTHLY" and not rec["byday"] and kind == "ord" \
                        and rec["bymonthday"] != -1:
                    # "monthly on the 1st and 15th", "the 1st and the 15th of every month"
                    days = rec["bymonthday"] if isinstance(rec["bymonthday"], list) else \
                        [rec["bymonthday"]] if rec["bymonthday"] is not None else []
                    days = sorted(set(days + [data["d"]]))
                    rec["bymonthday"] = days[0] if len(days) == 1 else days
                    taken = True
                elif rec["freq"] == "MONTHLY" and not rec["byday"] and rec["bymonthday"] is None \
                        and kind == "nth":
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
                raise PlanProblem(f'"{rec["per_week"]} a week": on which days?')
        rec.pop("from_days", None)
        rec.pop("per_week", None)
        if len(kept) > 1:
            raise PlanProblem(
                f'two dates: "{_quote(low, kept[0][0])}" and "{_quote(low, kept[1][0])}"')
        if kept:
            plan.anchor = kept[0][0]
            if id(kept[0][0]) in ends:
                plan.until = ends[id(kept[0][0])]
        return
    for weekday, absolute in zip(normal, normal[1:], strict=False):
        pair = {weekday[0].data.get("type"), absolute[0].data.get("type")}
        if len(pair) == 2 and pair <= {"weekday", "abs", "slash"} and "weekday" in pair \
                and re.fullmatch(r"[\s,]*", low[weekday[0].end : absolute[0].start]):
            # "thursday 12/3", "12/3 (thu)": the date says it; the weekday only confirms it.
            if weekday[0].data["type"] != "weekday":
                weekday, absolute = absolute, weekday
            absolute[2][0] = min(absolute[2][0], weekday[0].start)
            absolute[2][1] = max(absolute[2][1], weekday[0].end)
            normal.remove(weekday)
            plan.spans = [s for s in plan.spans if s is not weekday[2]]
            break
    bare = [d for d in normal if d[0].data.get("type") == "ord" and d[0].data["text"][:1].isdigit()]
    if len(normal) > 1 and bare and len(bare) < len(normal):
        # "at Starbucks on 5th tomorrow": a bare "5th" beside another date is part of the text.
        normal = [d for d in normal if d not in bare]
        plan.spans = [s for s in plan.spans if all(s is not d[2] for d in bare)]
    if len(normal) > 1:
        raise PlanProblem(f'two dates: "{_quote(low, normal[0][0])}" and "{_quote(low, normal[1][0])}"')
    if plan.except_starts:
        shown = low[plan.except_starts[0]:].split()[0]
        raise PlanProblem(f'"{shown}" is an exception, but nothing repeats')
    if plan.exdates:
        raise PlanProblem(f'"{_quote(low, plan.exdates[0])}" is an exception, but nothing repeats')
    if plan.except_months:
        raise PlanProblem("the months left out are an exception, but nothing repeats")
    if normal:
        plan.date = normal[0][0]
        plan.date_end = ends.get(id(plan.date))
        if plan.time and plan.date_end and not plan.date.data.get("timed_range") \
                and plan.date.data.get("type") == plan.date_end.data.get("type") == "weekday":
            # "standup mon-fri 9am": a time on a span of weekdays is every one of those days.
            first, last = plan.date.data["wd"], plan.date_end.data["wd"]
            days = [(first + i) % 7 for i in range((last - first) % 7 + 1)]
            plan.rec = {"freq": "WEEKLY", "interval": 1, "byday": days, "bymonthday": None, "bymonth": None}
            plan.date = plan.date_end = None
            for span in plan.spans:
                if span[2] == "range" and span[0] <= normal[0][0].start < span[1]:
                    span[2] = "recurrence"


def _clock_as_length(phrase: Phrase) -> Phrase | None:
    data = phrase.data
    if phrase.kind != "time" or not re.fullmatch(r"\d{1,2}\s?h(?:\d{2})?", data.get("text", "").strip()):
        return None
    return Phrase(phrase.start, phrase.end, "duration", {"amount": data["h"] + data["m"] / 60, "unit": "hour",
                                                         "text": data["text"].strip()})


def _drop_days(rec: dict[str, Any], days: list[int], low: str) -> None:
    if rec["freq"] == "DAILY" and rec["interval"] == 1 and not rec["byday"]:
        rec["freq"], rec["byday"] = "WEEKLY", list(range(7))
    if rec["freq"] != "WEEKLY" or not rec["byday"] or rec.get("nth"):
        raise PlanProblem(f'"{low.strip()}": only days of a weekly repetition can be left out')
    rec["byday"] = [d for d in rec["byday"] if d not in days]
    if not rec["byday"]:
        raise PlanProblem(f'"{low.strip()}": every day is left out')


def _quote(low: str, phrase: Phrase) -> str:
    return low[phrase.start : phrase.end].strip()
