import json

from django.core.management.base import CommandError

from events.management.base import Command as BaseCommand
from sync import pairing
from sync.status import status


class Command(BaseCommand):
    help = "Show paired peers, replication progress and pairing requests; approve, refuse, unpair, block."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--approve", type=int, metavar="ID", help="approve the incoming pairing request ID")
        parser.add_argument("--refuse", type=int, metavar="ID", help="refuse the incoming pairing request ID")
        parser.add_argument("--unpair", metavar="KEY", help="stop replicating with this peer (key or unique prefix)")
        parser.add_argument("--block", metavar="KEY", help="block this author: refuse it, drop and never relay its entries")
        parser.add_argument("--unblock", metavar="KEY")

    def handle(self, *args, **o):
        try:
            if o["approve"] is not None:
                peer = pairing.approve(o["approve"])
                self.stdout.write(f"approved {peer.name or peer.author[:12]}; this instance will connect to {peer.url or 'it when it dials'}")
                return
            if o["refuse"] is not None:
                pairing.refuse(o["refuse"])
                self.stdout.write(f"refused request {o['refuse']}")
                return
            if o["unpair"]:
                key = pairing.find_peer_key(o["unpair"])
                self.stdout.write(f"unpaired {key}" if pairing.unpair(key) else f"{key} was not paired")
                return
            if o["block"]:
                key = pairing.find_peer_key(o["block"])
                pairing.block(key)
                self.stdout.write(f"blocked {key}")
                return
            if o["unblock"]:
                key = pairing.find_peer_key(o["unblock"])
                pairing.unblock(key)
                self.stdout.write(f"unblocked {key}")
                return
        except LookupError as e:
            raise CommandError(str(e).strip("'\"")) from None
        data = status()
        if o["json"]:
            self.stdout.write(json.dumps(data, indent=1))
            return
        me = data["self"]
        self.stdout.write(f"this instance: {me['name']} {me['author']} {me['url']}, entries held: {me['entries']}")
        if me["writes_held"]:
            self.stdout.write(f"  writes held: {me['writes_held']}")
        if not data["peers"]:
            self.stdout.write("no peers yet: `manage.py invite` makes an invite link, `manage.py pair URL` uses one")
        for p in data["peers"]:
            state = p["state"] if p["state"] != "paired" else ("connected" if p["connected"] else "offline")
            self.stdout.write(
                f"{p['author'][:16]}  {p['name'] or '-':20} {state:9} sent {p['entries_sent']} received {p['entries_received']}"
                f"  they lack {p['peer_lacks']}, we lack {p['we_lack']}  last seen {p['last_seen'] or 'never'}  {p['url']}"
            )
            if p["last_error"]:
                self.stdout.write(f"    last error: {p['last_error']}")
        for r in data["requests"]:
            verb = "wants to pair" if r["direction"] == "incoming" else "asked by us, waiting"
            hint = f"  (approve: manage.py peers --approve {r['id']})" if r["direction"] == "incoming" else ""
            self.stdout.write(f"request {r['id']}: {r['name'] or '-'} {r['author'][:16]} {r['url']} {verb}{hint}")
