import asyncio
import json

from django.core.management.base import CommandError

from events.management.base import Command as BaseCommand
from sync.dialer import pair_failure, pair_with
from sync.hub import Hub


async def pair_alone(url: str):
    """Pair on a hub of this command's own."""
    hub = Hub()
    try:
        return await pair_with(url, hub=hub)
    finally:
        await hub.stop()


class Command(BaseCommand):
    help = "Pair with another instance: an invite URL pairs at once, a plain base URL asks its owner."

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, url, **options):
        try:
            result = asyncio.run(pair_alone(url))
        except Exception as e:
            raise CommandError(pair_failure(url, e)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result.__dict__))
        else:
            self.stdout.write(result.message)
        if result.result not in ("paired", "pending"):
            raise CommandError(result.message)
