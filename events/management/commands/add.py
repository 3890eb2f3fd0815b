import json
from datetime import datetime

from django.core.management.base import CommandError

from events import calendar, clock
from events.calendars.manage import CalendarRefused, find_calendar
from events.management.base import Command as BaseCommand
from events.preferences import viewer_tz
from events.schedule import ScheduleError, load_zone, parse_schedule

FIELDS = ("title", "start", "end", "rrule", "location")


def parse_text(text: str, *, now: datetime, tz: str) -> dict:
    result = parse_schedule(text, now=now, tz=tz)
    if result.error:
        raise CommandError(result.error)
    return dict(result.draft)


class Command(BaseCommand):
    help = "Parse TEXT (or take the field options) and append the event to the log; prints it with its uid."

    def add_arguments(self, parser):
        parser.add_argument("text", nargs="?", metavar="TEXT", help='e.g. "lunch every tuesday at noon"')
        parser.add_argument("--tz", help="IANA time zone of the times given (default: the instance's zone)")
        parser.add_argument("--now", help="ISO datetime TEXT is relative to (default: now)")
        parser.add_argument("--json", action="store_true", help="print the event as JSON")
        parser.add_argument("--title")
        parser.add_argument("--start", help="YYYY-MM-DD (all-day) or YYYY-MM-DDTHH:MM[:SS]")
        parser.add_argument("--end", help="same form as --start; all-day ends are exclusive")
        parser.add_argument("--rrule", help="RFC 5545 RRULE value, e.g. FREQ=WEEKLY;BYDAY=TU")
        parser.add_argument("--all-day", action="store_true", dest="all_day")
        parser.add_argument("--location")
        parser.add_argument("--calendar", metavar="CAL", help="name or id of the calendar (default: the one quick-add uses)")

    def handle(self, *args, **options):
        tz = options["tz"] or viewer_tz()
        draft: dict = {}
        if options["text"]:
            try:
                now = datetime.fromisoformat(options["now"]) if options["now"] else clock.now(load_zone(tz))
            except ScheduleError as e:
                raise CommandError(str(e)) from None
            except ValueError:
                raise CommandError(f"--now {options['now']!r} is not an ISO datetime") from None
            draft = parse_text(options["text"], now=now, tz=tz)
        given = {name: options[name] for name in FIELDS if options[name] is not None}
        if options["all_day"]:
            given["all_day"] = True
        draft.update(given)
        if not draft:
            raise CommandError("give TEXT, or at least --title and --start")
        if not draft.get("all_day"):
            draft.setdefault("tz", tz)
        try:
            target = find_calendar(options["calendar"]).ref if options["calendar"] else None
            made = calendar.create_event(draft, calendar=target)
        except (calendar.CalendarError, CalendarRefused) as e:
            raise CommandError(f"not added: {e}") from None
        event = made.event or {}
        if options["json"]:
            self.stdout.write(json.dumps({"uid": made.uid, "hash": made.entry.hash, "calendar": made.calendar, **event},
                                         ensure_ascii=False))
            return
        when = f"{event['start']} - {event['end']}" + (f" ({event['tz']})" if event.get("tz") else "")
        repeat = f", repeats {event['rrule']}" if event.get("rrule") else ""
        where = f", at {event['location']}" if event.get("location") else ""
        self.stdout.write(f"added {event['title']!r}: {when}{repeat}{where}\nuid {made.uid}")
