from django.core.management.base import CommandError

from events.management.base import Command as BaseCommand
from sync import pairing

MAX_DAYS = 3650


class Command(BaseCommand):
    help = "Print a fresh single-use invite URL (valid 7 days) for another instance to pair with this one."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=pairing.INVITE_DAYS)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, days, json, **options):
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be from 1 to {MAX_DAYS}")
        url = pairing.create_invite(days=days)
        if json:
            import json as j

            self.stdout.write(j.dumps({"url": url, "days": days}))
        else:
            self.stdout.write(url)
