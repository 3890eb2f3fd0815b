import json
from datetime import date, datetime

from django.core.management.base import CommandError

from events.index.fold import catch_up
from events.index.query import QueryError, query
from events.management.base import Command as BaseCommand
from events.preferences import viewer_tz
from events.recurrence.expansion import MAX_OCCURRENCES


def parse_bound(text: str, what: str) -> date | datetime:
    """An ISO date, or an ISO datetime (naive: wall time in --tz; or with an offset)."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{what} {text!r} is not an ISO date (2024-05-01) or datetime (2024-05-01T09:00)") from None


class Command(BaseCommand):
    help = "Occurrences overlapping [FROM, TO): uid, recurrence_id, title, start, end, conflict flag."

    def add_arguments(self, parser):
        parser.add_argument("start", metavar="FROM", help="ISO date or datetime (in --tz unless it has an offset)")
        parser.add_argument("end", metavar="TO", help="ISO date or datetime, exclusive")
        parser.add_argument("--tz", help="viewer's IANA time zone (default: the instance's zone)")
        parser.add_argument("--json", action="store_true", help="print a JSON list of occurrences")

    def handle(self, *args, **options):
        start, end = parse_bound(options["start"], "FROM"), parse_bound(options["end"], "TO")
        catch_up()
        try:
            result = query(start, end, options["tz"] or viewer_tz())
        except QueryError as e:
            raise CommandError(str(e)) from None
        if result.capped:
            self.stderr.write(
                f"note: {len(result.capped)} series had more than {MAX_OCCURRENCES} occurrences "
                f"in the range and were cut: {', '.join(result.capped)}"
            )
        if options["json"]:
            self.stdout.write(json.dumps([o.as_dict() for o in result.occurrences], ensure_ascii=False))
            return
        for o in result.occurrences:
            flag = "  CONFLICT" if o.conflict else ""
            rid = o.recurrence_id or "-"
            where = f" @ {o.location}" if o.location else ""
            self.stdout.write(f"{o.start.isoformat()}  {o.end.isoformat()}  {o.title}{where}  [{o.uid} {rid}]{flag}")
        if not result.occurrences:
            self.stdout.write("no events")
