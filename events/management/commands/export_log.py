import sys

from events.bundle import write_bundle
from events.management.base import Command as BaseCommand


class Command(BaseCommand):
    help = "Write every log entry as JSON lines (a bundle another instance can import)."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                count = write_bundle(out)
            self.stderr.write(f"wrote {count} entries to {options['output']}")
        else:
            write_bundle(sys.stdout)
