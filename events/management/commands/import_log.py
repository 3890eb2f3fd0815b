import sys

from django.core.management.base import CommandError

from events.bundle import import_bundle, summarize
from events.index.fold import catch_up
from events.management.base import Command as BaseCommand


class Command(BaseCommand):
    help = "Validate and append the entries of a bundle (JSON lines), exactly as sync does."

    def add_arguments(self, parser):
        parser.add_argument("file", help="bundle file, or - for standard input")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
        except OSError as e:
            raise CommandError(f"cannot read {path}: {e.strerror}") from None
        with stream:
            report = import_bundle(stream, after_batch=catch_up)
        lines = list(summarize(report))
        self.stdout.write(lines[0])
        for line in lines[1:]:
            self.stderr.write(line)
        if not report.ok:
            raise CommandError(f"{report.problem_count} entries were not imported (see above)")

