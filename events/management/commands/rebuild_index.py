import json
import time

from events.index.fold import rebuild
from events.management.base import Command as BaseCommand


class Command(BaseCommand):
    help = "Drop the calendar index and regenerate it from the log."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON object")

    def handle(self, *args, **options):
        started = time.perf_counter()
        count = rebuild()
        seconds = time.perf_counter() - started
        if options["json"]:
            self.stdout.write(json.dumps({"entries": count, "seconds": round(seconds, 3)}))
        else:
            self.stdout.write(f"index rebuilt from {count} entries in {seconds:.2f} s")
