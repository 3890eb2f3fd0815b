import os
import sys

from django.core.management.base import CommandError
from django.db import DatabaseError

from events.bundle import write_bundle
from events.management.base import Command as BaseCommand


class Command(BaseCommand):
    help = "Write every log entry as JSON lines (a bundle another instance can import)."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        target = options["output"]
        if not target:
            self.export(sys.stdout, "standard output")
            return
        # a damaged log must not leave half a bundle where a whole one was expected
        partial = f"{target}.partial"
        try:
            with open(partial, "w", encoding="utf-8") as out:
                count = self.export(out, target)
            os.replace(partial, target)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        self.stderr.write(f"wrote {count} entries to {target}")

    def export(self, out, where: str) -> int:
        try:
            return write_bundle(out)
        except DatabaseError as e:
            outcome = "is incomplete" if where == "standard output" else "was not written"
            raise CommandError(
                f"the log database cannot be read ({e}); {where} {outcome}. Run manage.py verify_log to see which feeds are damaged"
            ) from None
