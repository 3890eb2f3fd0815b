import json
import os

from django.core.management.base import CommandError

from events.ics import importing
from events.management.base import Command as BaseCommand


class Command(BaseCommand):
    help = "Import the events of an iCalendar file (.ics); importing it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .ics file")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            size = os.path.getsize(path)
            if size > importing.MAX_IMPORT_BYTES:
                report = importing.ImportReport(source=path, error=importing.too_large(size, importing.MAX_IMPORT_BYTES))
            else:
                with open(path, "rb") as f:
                    report = importing.import_upload(f, source=path)
        except OSError as e:
            raise CommandError(f"cannot read {path}: {e.strerror or e}") from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(report.as_text())
        if not report.ok:
            raise CommandError("nothing was imported")
