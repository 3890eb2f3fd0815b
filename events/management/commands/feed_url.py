import json

from django.core.management.base import CommandError

from events.ics.feed import active_feed, revoke_feed, rotate_feed
from events.management.base import Command as BaseCommand


class Command(BaseCommand):
    help = (
        "The secret subscription URL of the calendar (for phones and other calendar apps). "
        "It is shown only when made: --rotate makes a new one (the old one stops working), "
        "--revoke stops it."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rotate", action="store_true", help="make a new URL; the old one stops working")
        group.add_argument("--revoke", action="store_true", help="stop the subscription URL")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        if options["revoke"]:
            count = revoke_feed()
            self._out(options, {"revoked": count}, "revoked the subscription URL" if count else "there was no subscription URL")
            return
        active = active_feed()
        if active is not None and not options["rotate"]:
            raise CommandError(
                f"a subscription URL exists since {active.created_at:%Y-%m-%d %H:%M} UTC; only its hash is kept, "
                "so it cannot be shown again. Use --rotate for a new URL (the old one stops working)."
            )
        feed = rotate_feed()
        self._out(
            options,
            {"url": feed.url, "webcal": feed.webcal},
            f"{feed.url}\n{feed.webcal}\n(keep it secret: anyone with this URL can read the calendar)",
        )

    def _out(self, options, data, text):
        self.stdout.write(json.dumps(data) if options["json"] else text)
