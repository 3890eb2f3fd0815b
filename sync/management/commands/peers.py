import json

from django.core.management.base import CommandError

from events import forks, local_writes, log
from events.management.base import Command as BaseCommand
from sync import pairing, store
from sync.status import status


class Command(BaseCommand):
    help = "Show paired peers, replication progress and pairing requests; approve, refuse, unpair, block."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--approve", type=int, metavar="ID", help="approve the incoming pairing request ID")
        parser.add_argument("--refuse", type=int, metavar="ID", help="refuse the incoming pairing request ID")
        parser.add_argument("--unpair", metavar="KEY", help="stop replicating with this peer (key or unique prefix)")
        parser.add_argument(
            "--block", metavar="KEY", nargs="?", const="",
            help="block this author: refuse it, drop and never relay its entries (after --fork AUTHOR: block that author)",
        )
        parser.add_argument("--fork", metavar="AUTHOR", help="decide about an author with fork evidence: add --keep-held or --block")
        parser.add_argument("--keep-held", action="store_true", help="with --fork: keep extending the branch we hold")
        parser.add_argument("--unblock", metavar="KEY")
        parser.add_argument(
            "--clear-held",
            action="store_true",
            help="forget every peer's claim on our own feed, so local writes are no longer held",
        )
        parser.add_argument(
            "--clear-refusals",
            metavar="KEY", nargs="?", const="",
            help="offer again the feeds held back after a peer kept refusing an entry (of every peer, or of KEY)",
        )
        parser.add_argument(
            "--save-waiting",
            action="store_true",
            help="sign the changes waiting for a peer to confirm our own feed now (after a restore: only if no other "
            "copy of this instance wrote since the backup)",
        )

    def handle(self, *args, **o):
        try:
            if o["fork"] is not None or o["keep_held"]:
                self.decide_fork(o)
                return
            if o["block"] == "":
                raise CommandError("--block needs a KEY (or use --fork AUTHOR --block)")
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
            if o["clear_held"]:
                n = log.drop_own_feed_claims()
                self.stdout.write(f"forgot {n} claim(s) on our own feed; local writes are not held by a claim")
                self.report_waiting(local_writes.sign_waiting())
                return
            if o["clear_refusals"] is not None:
                key = pairing.find_peer_key(o["clear_refusals"]) if o["clear_refusals"] else None
                n = store.clear_refusals(key)
                self.stdout.write(f"cleared {n} held-back feed(s); they are offered again")
                return
            if o["save_waiting"]:
                n = local_writes.go_ahead()
                self.stdout.write(f"saved {n} waiting change(s): signed as the next entries of our own feed")
                return
            if o["unblock"]:
                key = pairing.find_peer_key(o["unblock"])
                pairing.unblock(key)
                self.stdout.write(f"unblocked {key}")
                return
        except (LookupError, ValueError) as e:
            raise CommandError(str(e).strip("'\"")) from None
        data = status()
        if o["json"]:
            self.stdout.write(json.dumps(data, indent=1))
            return
        me = data["self"]
        self.stdout.write(f"this instance: {me['name']} {me['author']} {me['url']}, entries held: {me['entries']}")
        if me["writes_held"]:
            self.stdout.write(f"  writes held: {clean(me['writes_held'])}")
            if me["waiting_writes"]:
                self.stdout.write("  (save them now: manage.py peers --save-waiting)")
        elif me["own_feed_doubt"]:
            self.stdout.write(f"  own feed not confirmed yet ({clean(me['own_feed_doubt'])}): a write made now waits for a peer")
        for c in me["own_feed_claims"]:
            state = "holds local writes" if c["holds_writes"] else "not backed by our own signed entries: writes not held"
            self.stdout.write(
                f"  claim on our feed: {c['peer'][:16]} {clean(c['peer_name']) or '-'} says it holds our entries up to {c['seq']}"
                f" (we hold {c['held']}), since {c['since']}, last verified entry {c['backed_at'] or 'never'}: {state}"
                "  (clear: manage.py peers --clear-held)"
            )
        if not data["peers"]:
            self.stdout.write("no peers yet: `manage.py invite` makes an invite link, `manage.py pair URL` uses one")
        for p in data["peers"]:
            state = p["state"] if p["state"] != "paired" else ("connected" if p["connected"] else "offline")
            self.stdout.write(
                f"{p['author'][:16]}  {clean(p['name']) or '-':20} {state:9} sent {p['entries_sent']} received {p['entries_received']}"
                f"  they lack {p['peer_lacks']}, we lack {p['we_lack']}  last seen {p['last_seen'] or 'never'}  {p['url']}"
            )
            if p["last_error"]:
                self.stdout.write(f"    last error: {clean(p['last_error'])}")
            if p["held_back"]:
                self.stdout.write(f"    not sent for now: {clean(p['held_back'])}  (offer again: manage.py peers --clear-refusals {p['author'][:16]})")
        for r in data["requests"]:
            verb = "wants to pair" if r["direction"] == "incoming" else "asked by us, waiting"
            hint = f"  (approve: manage.py peers --approve {r['id']})" if r["direction"] == "incoming" else ""
            self.stdout.write(f"request {r['id']}: {clean(r['name']) or '-'} {r['author'][:16]} {r['url']} {verb}{hint}")
        for f in data["forks"]:
            who = "our own feed" if f["own"] else f"{f['author'][:16]} {clean(f['name']) or '-'}"
            if f["own"]:
                state = "kept what we hold"
            elif f["waiting"]:
                state = f"its new entries WAIT for your decision (manage.py peers --fork {f['author'][:16]} --keep-held or --block)"
            else:
                state = f"decided: {f['decision']}"
            self.stdout.write(
                f"FORK: {who} signed two entries at seq {f['seq']}: "
                f"held {f['held_hash']}, offered {f['offered_hash']} (recorded {f['recorded_at']}); {state}"
            )
            if f["explanation"]:
                self.stdout.write(f"    {f['explanation']}")

    def report_waiting(self, signed: int) -> None:
        if signed:
            self.stdout.write(f"saved {signed} waiting change(s)")
        if reason := log.writes_held_reason():
            self.stdout.write(f"still waiting: {clean(reason)}")

    def decide_fork(self, o: dict) -> None:
        if not o["fork"]:
            raise CommandError("--keep-held needs --fork AUTHOR")
        if o["keep_held"] == (o["block"] == ""):
            raise CommandError("with --fork AUTHOR, give one of --keep-held or --block")
        author = forks.find_forked_author(o["fork"])
        decision = forks.KEEP_HELD if o["keep_held"] else forks.BLOCK
        pairing.decide_fork(author, decision)
        if decision == forks.BLOCK:
            self.stdout.write(f"blocked {author}: its entries are no longer stored or relayed")
        else:
            self.stdout.write(f"keeping the branch we hold of {author}: its new entries are accepted again")


def clean(text: str) -> str:
    """Peer-chosen text without control characters (no terminal escapes)."""
    return "".join(ch for ch in str(text) if ch.isprintable())
