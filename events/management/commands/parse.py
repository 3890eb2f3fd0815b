"""`manage.py parse TEXT`: try the quick-add parser from the command line.

`--jsonl` turns it into a filter: one {"text", "now", "tz"} object per input
line, one answer per output line, flushed at once so a caller can talk to it
phrase by phrase.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from django.core.management.base import CommandParser

from events import clock
from events.management.base import Command as BaseCommand
from events.preferences import viewer_tz
from events.schedule import ParseResult, ScheduleError, load_zone, parse_schedule

DRAFT_FIELDS = ("title", "start", "end", "all_day", "rrule", "tz", "location", "exdates")


def default_zone() -> str:
    return viewer_tz()


def read_now(value: Any, zone: ZoneInfo) -> datetime:
    """`value` as a datetime; an empty value is the current time in `zone`."""
    if value in (None, ""):
        return clock.now(zone).replace(microsecond=0)
    if not isinstance(value, str):
        raise ScheduleError(f'"now" must be an ISO date-time, not {value!r}')
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ScheduleError(f'"now" is not an ISO date-time: "{value}"') from None


def answer(result: ParseResult) -> dict[str, Any]:
    if result.error is not None or result.draft is None:
        return {"error": result.error or "could not parse"}
    return {key: result.draft[key] for key in DRAFT_FIELDS}


def parse_line(line: str, default_tz: str) -> dict[str, Any]:
    """One --jsonl request: the draft fields, or {"error": ...} for anything wrong."""
    try:
        request = json.loads(line)
    except ValueError:
        return {"error": "the line is not JSON"}
    if not isinstance(request, dict):
        return {"error": "the line is not a JSON object"}
    text = request.get("text")
    if not isinstance(text, str):
        return {"error": 'the object has no "text" string'}
    tz = request.get("tz") or default_tz
    if not isinstance(tz, str):
        return {"error": '"tz" must be a zone name'}
    try:
        now = read_now(request.get("now"), load_zone(tz))
    except ScheduleError as exc:
        return {"error": str(exc)}
    return answer(parse_schedule(text, now=now, tz=tz))


def describe(draft: dict[str, Any]) -> list[str]:
    lines = [f"Title:   {draft['title'] or '(none)'}"]
    if draft["all_day"]:
        when = draft["start"]
        if draft["end"] and draft["end"] > draft["start"]:
            last = datetime.fromisoformat(draft["end"]).date().toordinal() - 1
            last_day = datetime.fromordinal(last).date().isoformat()
            if last_day != draft["start"]:
                when = f"{draft['start']} to {last_day}"
        lines.append(f"When:    {when} (all day)")
    else:
        lines.append(f"When:    {draft['start'].replace('T', ' ')} to {draft['end'].replace('T', ' ')} "
                     f"({draft['tz']})")
    if draft["rrule"]:
        lines.append(f"Repeats: {draft['rrule']}")
    if draft["exdates"]:
        lines.append(f"Except:  {', '.join(draft['exdates'])}")
    if draft["location"]:
        lines.append(f"Where:   {draft['location']}")
    return lines


class Command(BaseCommand):
    help = "Parse a quick-add phrase into a draft event (or read JSON lines with --jsonl)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", help='the phrase, e.g. "lunch every tuesday at noon"')
        parser.add_argument("--now", help="reference time, ISO 8601 (default: the current time in --tz)")
        parser.add_argument("--tz", help="IANA time zone (default: the instance zone, $TIME_ZONE or the system zone)")
        parser.add_argument("--json", action="store_true", help="print the draft as one JSON object")
        parser.add_argument("--jsonl", action="store_true",
                            help='read {"text", "now", "tz"} objects from stdin, one per line')

    def handle(self, *args: Any, **options: Any) -> None:
        tz = options["tz"] or default_zone()
        if options["jsonl"]:
            self.serve(options.get("stdin") or sys.stdin, tz)
            return
        if options["text"] is None:
            self.fail("give the text to parse, or --jsonl")
        try:
            now = read_now(options["now"], load_zone(tz))
        except ScheduleError as exc:
            self.fail(str(exc))
        result = parse_schedule(options["text"], now=now, tz=tz)
        if options["json"]:
            self.stdout.write(json.dumps(answer(result), ensure_ascii=False))
            if result.error:
                raise SystemExit(1)
            return
        if result.error or result.draft is None:
            self.fail(result.error or "could not parse")
        for line in describe(result.draft):
            self.stdout.write(line)

    def serve(self, stdin: Any, tz: str) -> None:
        while True:
            line = stdin.readline()
            if not line:
                return
            if not line.strip():
                continue
            self.stdout.write(json.dumps(parse_line(line, tz), ensure_ascii=False))
            self.stdout.flush()

    def fail(self, message: str) -> NoReturn:
        self.stderr.write(f"error: {message}")
        raise SystemExit(1)
