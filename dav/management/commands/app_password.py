import json

from django.core.management.base import CommandError

from dav import passwords
from dav.properties import ROOT
from events import instance
from events.management.base import Command as BaseCommand
from events.views.auth import OWNER_USERNAME


class Command(BaseCommand):
    help = (
        "App passwords for CalDAV (a phone's or desktop calendar's account): one per device, "
        "shown once when made, revocable on its own."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument(
            "--create", metavar="NAME", help="make a password for the device NAME and print it once"
        )
        group.add_argument(
            "--list",
            action="store_true",
            help="the devices with a password, and when each was last used",
        )
        group.add_argument("--revoke", metavar="NAME", help="stop the password of device NAME")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        try:
            if options["create"] is not None:
                self._create(options)
            elif options["revoke"] is not None:
                passwords.revoke(options["revoke"])
                self._out(
                    options,
                    {"revoked": options["revoke"]},
                    f"revoked the app password of “{options['revoke']}”",
                )
            else:
                self._list(options)
        except passwords.PasswordError as e:
            raise CommandError(str(e)) from None

    def _create(self, options):
        made = passwords.create(options["create"])
        url = instance.public_url().rstrip("/") + ROOT
        data = {
            "name": made.name,
            "password": made.password,
            "username": OWNER_USERNAME,
            "url": url,
        }
        text = (
            f"App password for “{made.name}” (shown only now):\n\n"
            f"  server / URL:  {url}\n  user name:     {OWNER_USERNAME}\n  password:      {made.password}\n"
        )
        self._out(options, data, text)

    def _list(self, options):
        rows = passwords.listing()
        data = [
            {
                "name": r.name,
                "created_at": r.created_at.isoformat(),
                "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
            }
            for r in rows
        ]
        lines = [
            f"{r.name}\tmade {r.created_at:%Y-%m-%d %H:%M} UTC\t"
            + (f"last used {r.last_used_at:%Y-%m-%d %H:%M} UTC" if r.last_used_at else "never used")
            for r in rows
        ]
        self._out(options, data, "\n".join(lines) or "no app passwords")

    def _out(self, options, data, text):
        self.stdout.write(json.dumps(data) if options["json"] else text)
