import asyncio
import json

from django.core.management.base import CommandError

from events.management.base import Command as BaseCommand
from sync import mirror
from sync.dialer import pair_failure, pair_with
from sync.hub import Hub
from sync.pairing import split_pair_url


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
        parser.add_argument("--mirror", action="store_true",
                            help="the URL is an invite of a mirror: it will relay for this instance and answer its invites")

    def handle(self, *args, url, **options):
        try:
            if options["mirror"]:
                mirror.refuse_naming_here()
            result = asyncio.run(pair_alone(url))
        except Exception as e:
            raise CommandError(pair_failure(url, e)) from None
        if options["mirror"] and result.result in ("paired", "pending"):
            try:
                result.message += "; " + mirror.name_after_pairing(result.result, result.key, split_pair_url(url)[0])
            except ValueError as e:
                raise CommandError(f"{result.message}; {e}") from None
        if options["json"]:
            self.stdout.write(json.dumps(result.__dict__))
        else:
            self.stdout.write(result.message)
        if result.result not in ("paired", "pending"):
            raise CommandError(result.message)
