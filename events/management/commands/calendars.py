"""`manage.py calendars`: list, create and share calendars (docs/PROTOCOL.md section 6)."""

import json

from django.core.management.base import CommandError

from events import log
from events.authors import author_label, author_names
from events.calendars import manage, own, state
from events.calendars.bodies import ROLES
from events.management.base import Command as BaseCommand


def describe(row, names: dict[str, str]) -> dict:
    return {
        "id": row.ref,
        "name": row.name,
        "colour": row.colour,
        "owner": row.owner,
        "owner_name": author_label(row.owner, names),
        "public": row.public,
        "my_role": row.my_role,
        "epoch": row.epoch,
        "members": [{"id": a, "name": author_label(a, names), "role": role}
                    for a, role in sorted(manage.members_of(row).items())],
    }


class Command(BaseCommand):
    help = "List calendars; create one; share one with a peer as busy, details or editor; or stop sharing it."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the calendars as JSON")
        parser.add_argument("--create", metavar="NAME", help="make a new calendar, shared with nobody")
        parser.add_argument("--public", action="store_true", help="with --create: readable by every peer")
        parser.add_argument("--colour", metavar="#RRGGBB")
        parser.add_argument("--rename", metavar="CAL", help="with --name and/or --colour")
        parser.add_argument("--name", metavar="NAME")
        parser.add_argument("--share", metavar="CAL", help="with --with PEER --role ROLE")
        parser.add_argument("--unshare", metavar="CAL", help="with --with PEER")
        parser.add_argument("--with", dest="peer", metavar="PEER", help="peer name or id")
        parser.add_argument("--role", choices=ROLES)
        parser.add_argument("--default", metavar="CAL", help="the calendar quick-add and `add` use")
        parser.add_argument("--delete", metavar="CAL", help="delete a calendar of yours and hide its events everywhere")

    def handle(self, *args, **options):
        try:
            own.ensure_own_entries()
            message = self._act(options)
        except own.CalendarRefused as e:
            raise CommandError(str(e)) from None
        except log.LocalWritesHeld as e:
            raise CommandError(str(e)) from None
        if message:
            self.stdout.write(message)
            return
        names = author_names()
        rows = [describe(row, names) for row in state.visible()]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            members = ", ".join(f"{m['name']} ({m['role']})" for m in row["members"]) or "nobody"
            shared = "public" if row["public"] else f"shared with {members}"
            self.stdout.write(f"{row['name'] or '(not readable here)'}  {row['colour']}  owner {row['owner_name']}, "
                              f"you: {row['my_role']}, {shared}\n  id {row['id']}")

    def _act(self, options) -> str:
        if options["create"]:
            made = own.create(options["create"], public=options["public"], colour=options["colour"])
            return f"created {options['create']!r}\n  id {made}"
        if options["rename"]:
            if options["name"] is None and options["colour"] is None:
                raise CommandError("--rename needs --name and/or --colour")
            row = manage.find_calendar(options["rename"])
            manage.rename(row.ref, name=options["name"], colour=options["colour"])
            return "renamed"
        if options["share"]:
            if not options["peer"] or not options["role"]:
                raise CommandError("--share needs --with PEER and --role busy|details|editor")
            row, peer = manage.find_calendar(options["share"]), manage.find_peer(options["peer"])
            manage.share(row.ref, peer, options["role"])
            return f"{row.name} shared with {author_label(peer, author_names())} as {options['role']}"
        if options["unshare"]:
            if not options["peer"]:
                raise CommandError("--unshare needs --with PEER")
            row, peer = manage.find_calendar(options["unshare"]), manage.find_peer(options["peer"])
            manage.unshare(row.ref, peer)
            return (f"{row.name} is no longer shared with {author_label(peer, author_names())}: it cannot read what "
                    "is written from now on; what it already received stays with it")
        if options["delete"]:
            row = manage.find_calendar(options["delete"])
            manage.delete(row.ref)
            return f"deleted {row.name}: its events are no longer shown here or on any peer"
        if options["default"]:
            row = manage.find_calendar(options["default"])
            manage.set_default_calendar(row.ref)
            return f"new events go to {row.name}"
        return ""
