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
            result = asyncio.run(pair_alone(url))
        except Exception as e:
            raise CommandError(pair_failure(url, e)) from None
        if result.result == "paired" and options["mirror"]:
            if mirror.is_mirror():
                raise CommandError("a mirror has no calendar to be mirrored; run --mirror on the instance to mirror")
            mirror.name_mirror(result.key, split_pair_url(url)[0])
            result.message += "; it is now this instance's mirror: invite links point at it"
        elif options["mirror"] and result.result == "pending":
            raise CommandError(f"{result.message}; name it as mirror once paired, with an invite link of the mirror")
        if options["json"]:
            self.stdout.write(json.dumps(result.__dict__))
        else:
            self.stdout.write(result.message)
        if result.result not in ("paired", "pending"):
            raise CommandError(result.message)
