import sys

from events.ics import export
from events.management.base import Command as BaseCommand


class Command(BaseCommand):
    help = "Write the whole calendar as one iCalendar file (.ics)."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        body = export.export_calendar()
        if options["output"]:
            with open(options["output"], "wb") as out:
                out.write(body)
            self.stderr.write(f"wrote {export.count_vevents(body)} VEVENTs ({len(body)} bytes) to {options['output']}")
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
