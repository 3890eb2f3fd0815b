"""Another instance that owns calendars and writes in them (for tests and benchmarks),
signing its own entries, for fold tests in one process.

    alice = Remote("alice")
    team = alice.create("Team", members={me: "details"})   # a calendar entry
    alice.put(team, "u1", "planning", "2026-12-01T09:00:00")
    receive(alice)                                         # into our log, then catch_up
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from events.calendars.bodies import CALENDAR, KEY_PUBLISH
from events.calendars.keys import EpochKeys, seal_event, seal_history, seal_member_keys, seal_meta
from events.entry import Entry, sign_entry
from events.identity import author_id

TIME = 1_790_000_000_000


@dataclass
class Remote:
    name: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    x25519: X25519PrivateKey = field(default_factory=X25519PrivateKey.generate)
    entries: list[Entry] = field(default_factory=list)
    epochs: dict[str, dict[int, EpochKeys]] = field(default_factory=dict)  # calendar id -> epoch -> keys
    public_keys: dict[str, bytes] = field(default_factory=dict)  # author -> x25519, for members

    @property
    def id(self) -> str:
        return author_id(self.key)

    @property
    def public(self) -> bytes:
        return self.x25519.public_key().public_bytes_raw()

    def sign(self, body: dict, links=()) -> Entry:
        seq = len(self.entries) + 1
        prev = self.entries[-1].hash if self.entries else None
        entry = sign_entry(self.key, seq=seq, prev=prev, body=body, time=TIME + seq, links=tuple(links))
        self.entries.append(entry)
        return entry

    def publish(self) -> Entry:
        return self.sign({"type": KEY_PUBLISH, "x25519": self.public.hex()})

    def calendar(self, calendar: str, members: dict[str, str], *, epoch: int = 0, since: dict | None = None,
                 until: dict | None = None, seal_to: dict[str, bytes] | None = None, name: str = "Team") -> Entry:
        """A `calendar` entry: `members` author -> role; new keys when `epoch` is new."""
        held = self.epochs.setdefault(calendar, {})
        keys = held.setdefault(epoch, EpochKeys.new())
        recipients = {**(seal_to or {}), self.id: self.public}
        boxes = {who: seal_member_keys(keys.for_role(members.get(who, "editor")), to=recipients[who], owner=self.id,
                                       calendar=calendar, epoch=epoch, member=who)
                 for who in recipients if who in members or who == self.id}
        body = {
            "type": CALENDAR, "calendar": calendar, "public": False, "epoch": epoch,
            "meta": seal_meta({"name": name, "colour": "#336699"}, keys, owner=self.id, calendar=calendar, epoch=epoch),
            "members": {a: {"role": r, **({"since": (since or {}).get(a, 1)} if r == "editor" else {})}
                        for a, r in members.items()},
            "until": until or {},
            "keys": boxes,
            "history": seal_history(keys, {e: k for e, k in held.items() if e < epoch}, owner=self.id,
                                    calendar=calendar, epoch=epoch),
        }
        return self.sign(body)

    def put(self, owner: str, calendar: str, uid: str, title: str, start: str, *, epoch: int = 0,
            keys: EpochKeys, links=()) -> Entry:
        plain = {"type": "event.put", "uid": uid, "recurrence_id": None, "event": {
            "title": title, "start": start, "end": start[:11] + "23:00:00", "all_day": False, "tz": "UTC",
            "rrule": None, "exdates": [], "location": None, "description": None}}
        return self.sign(seal_event(plain, keys, author=self.id, owner=owner, calendar=calendar, epoch=epoch), links)


EVENT_WRITES = ("event.put", "event.del", "event.sealed")


def event_entries() -> list[Entry]:
    """The log's event writes, in log order: what a test adds, without the
    key.publish and calendar entries an instance writes for itself on its first write."""
    from events import log

    return [e for e in log.all_entries() if e.body.get("type") in EVENT_WRITES]


def receive(*entries: Entry) -> list:
    """Store entries (ours to receive, any feed order) and fold them."""
    from events import log
    from events.index.fold import catch_up

    outcomes = []
    for entry in entries:
        outcomes += log.receive([json.loads(entry.raw)])
    catch_up()
    return outcomes
