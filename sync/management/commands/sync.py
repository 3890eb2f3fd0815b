import asyncio
import json

from django.core.management.base import CommandError

from events.management.base import Command as BaseCommand
from sync.dialer import sync_once
from sync.runtime import Runtime


class Command(BaseCommand):
    help = "Dial every paired peer. With --once: exit 0 when caught up with every reachable peer."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--timeout", type=float, default=120.0)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, once, timeout, **o):
        if not once:
            asyncio.run(Runtime().run())
            return
        results = asyncio.run(sync_once(timeout=timeout))
        if o["json"]:
            self.stdout.write(json.dumps([r.__dict__ for r in results]))
        else:
            for r in results:
                self.stdout.write(
                    f"{r.key[:16]} {r.url}: {r.message} (sent {r.entries_sent}, received {r.entries_received} entries)"
                )
        reachable = [r for r in results if r.reached]
        if not results:
            raise CommandError("no paired peer with a URL to sync with")
        if not reachable:
            raise CommandError("no peer was reachable")
        failed = [r for r in reachable if not r.ok]
        if failed:
            raise CommandError(f"not caught up with {len(failed)} peer(s): " + "; ".join(f"{r.key[:12]}: {r.message}" for r in failed))
