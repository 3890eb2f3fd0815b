import asyncio
import json

from django.core.management.base import CommandError

from events.management.base import Command as BaseCommand
from sync.dialer import pair_with


class Command(BaseCommand):
    help = "Pair with another instance: an invite URL pairs at once, a plain base URL asks its owner."

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, url, **options):
        try:
            result = asyncio.run(pair_with(url))
        except ValueError as e:
            raise CommandError(str(e)) from None
        except OSError as e:
            raise CommandError(f"cannot reach {url}: {e}") from None
        except Exception as e:
            raise CommandError(f"cannot pair with {url}: {e or type(e).__name__}") from None
        if options["json"]:
            self.stdout.write(json.dumps(result.__dict__))
        else:
            self.stdout.write(result.message)
        if result.result not in ("paired", "pending"):
            raise CommandError(result.message)
