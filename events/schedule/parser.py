"""The quick-add parser: one line of text to a draft event.

`parse_schedule("lunch every tuesday at noon", now=..., tz="Europe/Bucharest")`
returns a `ParseResult` whose draft has the event fields of docs/PROTOCOL.md section 5.2
(title, start, end, all_day, tz, rrule, location, exdates), or an error that
quotes what could not be understood, plus character spans for highlighting.

Pure module, no Django and no clock: `now` is an argument. The phrases are
recognised by `events.schedule.phrases`, sorted into a plan by
`events.schedule.plan` and made into a draft by `events.schedule.draft`
(dates in `events.schedule.dates`, repetition in `events.schedule.rules`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from events.recurrence.timing import MAX_TITLE, is_zone
from events.schedule.dates import DateProblem, localize, wall
from events.schedule.draft import make_draft
from events.schedule.foreign import add_foreign_date
from events.schedule.foreign import warm_up as warm_up_languages
from events.schedule.phrases import PhraseError, find_phrases
from events.schedule.plan import LIST_GAP, Plan, PlanProblem, make_plan
from events.schedule.titles import keep_leading_day, mask_title_text, unquote
from events.schedule.typos import apply_corrections, find_corrections
from events.schedule.words import CONNECTORS, alternation

logger = logging.getLogger(__name__)

MAX_LENGTH = MAX_TITLE  # the title is part of the text, so it is never too long
CONNECTOR_TAIL = re.compile(rf"(?:(?<=[\s,])|^)(?:{alternation(CONNECTORS)}|@)\s*$")
LOCATION = re.compile(r"(?:(?<=[\s,])|^)(?P<mark>@|at|in|à|au|chez|bei|im|en)(?:\s+|(?<=@))(?P<place>\S.*)")
ARTICLES = ("the ", "a ", "le ", "la ", "l'", "les ", "der ", "die ", "das ", "dem ", "el ", "los ")
# Places that need no capital letter or article after "in": "in room 204", "in office 3".
PLACE_WORDS = ("room ", "rm ", "meeting room", "meeting rm", "conference room", "conf room", "board room",
               "boardroom", "classroom", "office", "building ", "bldg ", "hall ", "lab ", "suite ", "floor ",
               "studio ", "salle ", "raum ", "sala ", "aula ", "zimmer ")
STRIP = " \t,;:-–—.!?|/"
NOTHING_FOUND = "no date or time found"
# Title words that say whether a bare "at 7" is morning or evening.

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
    # Misspelt words read as names, (as written, as read): [("wensday", "wednesday")].
    corrections: list[tuple[str, str]] = field(default_factory=list)
    # No date or time yet ("lunch", "lunch every"): the line may still be being typed.
    incomplete: bool = False


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
        return ParseResult(None, str(exc), [], incomplete=str(exc).startswith(NOTHING_FOUND))
    except Exception:
        logger.exception("schedule parser failed on %r", text)
        return ParseResult(None, f'internal error while reading "{text}"', [])


def warm_up() -> None:
    """Load dateparser's language data and run the parser once, so the first request is fast."""
    warm_up_languages()
    parse_schedule("lunch every tuesday at noon", now=datetime(2026, 1, 1), tz="UTC")


def load_zone(tz: str) -> ZoneInfo:
    if not is_zone(tz):
        raise ScheduleError(f'unknown time zone "{tz}"')
    return ZoneInfo(tz)


def lowered(text: str) -> str:
    """`text` in lower case, one character for one, so offsets stay valid."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.replace("’", "'")


def _restore_case(message: str, low: str, text: str) -> str:
    """Quote the user's own spelling: the phrases were matched in lower case."""

    def original(m: re.Match[str]) -> str:
        at = low.find(m.group(1))
        return f'"{text[at : at + len(m.group(1))]}"' if at >= 0 else m.group(0)

    return re.sub(r'"([^"]+)"', original, message)


def _parse(text: str, now: datetime, tz: str, day_first: bool | None) -> ParseResult:
    try:
        result, dated = _parse_lowered(text, now, tz, day_first)
    except ScheduleError as exc:
        if not isinstance(text, str):
            raise
        problem = ScheduleError(_restore_case(str(exc), lowered(text), text))
        result, dated = None, False
    if not dated and isinstance(text, str):
        corrected = _with_corrections(text, now, tz, day_first)
        if corrected is not None:
            return corrected
    if result is None:
        raise problem from None
    return result


def _with_corrections(text: str, now: datetime, tz: str, day_first: bool | None) -> ParseResult | None:
    """A line with no date, read again with its misspelt day, month or relative words corrected."""
    fixes = find_corrections(text, lowered(text))
    if not fixes:
        return None
    fixed, origin = apply_corrections(text, fixes)
    try:
        result, dated = _parse_lowered(fixed, now, tz, day_first)
    except ScheduleError:
        return None
    title = (result.draft or {}).get("title") or ""
    if not dated or any(fix.meant in title.lower() for fix in fixes):
        return None
    spans = [Span(origin[s.start], origin[s.end], s.kind) for s in result.spans]
    return ParseResult(result.draft, None, spans, [(fix.wrote, fix.meant) for fix in fixes])


def _parse_lowered(text: str, now: datetime, tz: str, day_first: bool | None) -> tuple[ParseResult, bool]:
    """The result, and whether the line named a day (a date or a repetition)."""
    if not isinstance(text, str):
        raise ScheduleError("the text must be a string")
    if not text.strip():
        raise ScheduleError("there is nothing to schedule: the text is empty")
    if len(text) > MAX_LENGTH:
        raise ScheduleError(f"the text is too long ({len(text)} characters, at most {MAX_LENGTH})")
    if not isinstance(now, datetime):
        raise ScheduleError(f"now must be a datetime, not {type(now).__name__}")
    if not isinstance(tz, str):
        raise ScheduleError(f'unknown time zone "{tz}"')
    zone = load_zone(tz)
    if now.tzinfo is not None:
        now_aware = now.astimezone(zone)
    else:
        now_aware = localize(now.date(), now.time(), zone)
    now_aware = now_aware.replace(microsecond=0)
    if day_first is None:
        day_first = not tz.startswith(("America/", "US/"))
    low, quoted = mask_title_text(lowered(text))
    try:
        phrases = add_foreign_date(keep_leading_day(find_phrases(low), low), low)
        plan = make_plan(phrases, low)
    except (PhraseError, PlanProblem) as exc:
        raise ScheduleError(str(exc)) from None
    if not (plan.rec or plan.date or plan.time or plan.moment or plan.daypart):
        raise ScheduleError(f'{NOTHING_FOUND} in "{text.strip()}"')
    try:
        if plan.zone and plan.zone != zone.key and (plan.time or plan.moment):
            draft = _in_other_zone(plan, now_aware, zone, said=ZoneInfo(plan.zone),
                                   day_first=day_first, low=low)
        else:
            draft = make_draft(plan, now_aware, zone, day_first, low)
    except DateProblem as exc:
        raise ScheduleError(str(exc)) from None
    spans, title, location = describe(text, low, plan)
    draft["title"] = unquote(title) if quoted else title
    draft["location"] = location
    return ParseResult(draft, None, spans), bool(plan.rec or plan.date or plan.anchor)


def _in_other_zone(plan: Plan, now: datetime, zone: ZoneInfo, *, said: ZoneInfo, day_first: bool,
                   low: str) -> dict[str, Any]:
    """"3pm EST": read the phrase in the zone it names, then give the wall times in `zone`."""
    # The days ("tomorrow", "monday") are the user's own; only the clock is read in `said`.
    draft = make_draft(plan, localize(now.date(), now.time(), said), said, day_first, low)
    if draft["all_day"]:
        return draft

    def moved(text: str) -> str:
        return wall(localize(datetime.fromisoformat(text).date(), datetime.fromisoformat(text).time(),
                             said).astimezone(zone))

    draft.update(start=moved(draft["start"]), end=moved(draft["end"]), tz=zone.key,
                 exdates=[moved(d) for d in draft["exdates"]])
    return draft


def _join_lists(text: str, low: str, used: bytearray, raw: list[list[Any]]) -> None:
    """Give "and", "," between two schedule parts ("dec 22 and dec 29") to the part before."""
    for before, after in zip(raw, raw[1:], strict=False):
        gap = low[before[1] : after[0]]
        if gap and not any(used[before[1] : after[0]]) and LIST_GAP.fullmatch(gap) and gap.strip():
            used[before[1] : after[0]] = b"\x01" * len(gap)
            before[1] = after[0]


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
    _join_lists(text, low, used, raw)
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
                                                    or lower_place.startswith(ARTICLES + PLACE_WORDS)):
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
        if a > 0 and used[a - 1] and (m := re.match(r"\s*on\s+(?=\S)", low[a:b])):
            a += m.end()  # "every year on my birthday march 3": "on" belongs to the schedule
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
