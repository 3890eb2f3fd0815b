import json

from django.core.management.base import CommandError

from events import health
from events.management.base import Command as BaseCommand
from events.verify import index_matches_log, verify_log


class Command(BaseCommand):
    help = (
        "Check the stored log: re-validate every entry (signature, fields, limits, links), "
        "every feed's chain of prev hashes, and the feed heads. With --index, also compare the "
        "calendar index with a fresh fold of the log. Exits 1 when anything is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("--index", action="store_true", help="also check the index against a fresh fold of the log")
        parser.add_argument("--json", action="store_true", help="print a JSON object")

    def handle(self, *args, **options):
        report = verify_log()
        problems = list(report.problems)
        extra = report.problem_count - len(report.problems)
        if options["index"]:
            index_problems = index_matches_log()
            problems += index_problems[:100]
            extra += max(0, len(index_problems) - 100)
        ok = not problems
        health.record(problems, source="verify_log")  # the owner's pages show it, or stop showing it
        if options["json"]:
            self.stdout.write(json.dumps({"ok": ok, "entries": report.entries, "feeds": report.feeds, "problems": problems}))
        else:
            self.stdout.write(f"{report.entries} entries in {report.feeds} feeds checked")
            for line in problems:
                self.stderr.write(line)
            if extra:
                self.stderr.write(f"... and {extra} more problems")
        if not ok:
            raise CommandError(f"the log or index has {len(problems) + extra} problem(s)")
        if not options["json"]:
            self.stdout.write("every entry and chain verifies" + (", and the index equals a fresh fold of the log" if options["index"] else ""))
