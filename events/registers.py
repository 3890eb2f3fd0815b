"""Multi-value registers over calendar bodies (docs/PROTOCOL.md section 5.3, after hyperkv).

Pure module: no Django. One register per key: an event series is keyed by
its uid, one occurrence of it by (uid, recurrence_id). The heads of a key are
its entries that no other entry of that key links to; the primary value is
the head with the greatest (time, hash); the key is deleted only when every
head is an `event.del`.

The state is a function of the *set* of entries folded in, not of their
order: an entry that arrives before the entries it links to simply finds
them already superseded when they come.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from events.entry import Entry
from events.recurrence.timing import RecurrenceError, recurrence_key

PUT = "event.put"
DEL = "event.del"
TYPES = (PUT, DEL)
MAX_UID = 255

Key = tuple[str, str]  # (uid, normalized recurrence_id or "" for the series)


def key_of(body: Any) -> Key | None:
    """The register a body belongs to, or None if it is not a calendar body
    (unknown type, or no usable uid / recurrence_id)."""
    if not isinstance(body, dict) or body.get("type") not in TYPES:
        return None
    uid = body.get("uid")
    if not isinstance(uid, str) or not uid or len(uid) > MAX_UID:
        return None
    rid = body.get("recurrence_id")
    if rid is None:
        return (uid, "")
    try:
        return (uid, recurrence_key(rid))
    except RecurrenceError:
        return None


@dataclass
class Version:
    time: int
    author: str
    deleted: bool


@dataclass
class Register:
    """One key's entries: every version ever seen (for history), the hashes
    its entries link to, and the bodies of the current heads."""

    versions: dict[str, Version] = field(default_factory=dict)
    linked: set[str] = field(default_factory=set)
    bodies: dict[str, dict] = field(default_factory=dict)

    def add(self, entry: Entry) -> bool:
        """Fold one entry in; False if it was already there."""
        if entry.hash in self.versions:
            return False
        self.versions[entry.hash] = Version(entry.time, entry.author, entry.body.get("type") == DEL)
        self.linked.update(entry.links)
        if entry.hash not in self.linked:
            self.bodies[entry.hash] = entry.body
        for h in entry.links:
            self.bodies.pop(h, None)
        return True

    @property
    def heads(self) -> list[str]:
        """Head hashes, primary first: descending (time, hash)."""
        heads = [h for h in self.versions if h not in self.linked]
        return sorted(heads, key=lambda h: (self.versions[h].time, h), reverse=True)

    @property
    def primary(self) -> str | None:
        heads = self.heads
        return heads[0] if heads else None

    @property
    def others(self) -> list[str]:
        return self.heads[1:]

    @property
    def conflict(self) -> bool:
        return len(self.heads) > 1

    @property
    def deleted(self) -> bool:
        heads = self.heads
        return not heads or all(self.versions[h].deleted for h in heads)

    @property
    def history(self) -> list[str]:
        """Every entry hash of this key, oldest first by (time, hash)."""
        return sorted(self.versions, key=lambda h: (self.versions[h].time, h))

    def to_json(self) -> dict:
        return {
            "versions": {h: [v.time, v.author, v.deleted] for h, v in self.versions.items()},
            "linked": sorted(self.linked),
            "bodies": self.bodies,
        }

    @classmethod
    def from_json(cls, data: dict) -> Register:
        return cls(
            versions={h: Version(t, a, d) for h, (t, a, d) in data["versions"].items()},
            linked=set(data["linked"]),
            bodies=dict(data["bodies"]),
        )


@dataclass
class Registers:
    """All registers of a log, folded in memory (the index keeps the same
    state in its table; this is the reference it is tested against)."""

    keys: dict[Key, Register] = field(default_factory=dict)

    def apply(self, entries: Iterable[Entry]) -> set[Key]:
        touched = set()
        for entry in entries:
            key = key_of(entry.body)
            if key is None:
                continue
            if self.keys.setdefault(key, Register()).add(entry):
                touched.add(key)
        return touched

    def snapshot(self) -> dict[Key, dict]:
        """What a reader sees, independent of arrival order."""
        out = {}
        for key, reg in self.keys.items():
            primary = reg.primary
            out[key] = {
                "heads": reg.heads,
                "primary": primary,
                "value": reg.bodies.get(primary) if primary else None,
                "others": [reg.bodies[h] for h in reg.others],
                "deleted": reg.deleted,
                "conflict": reg.conflict,
                "history": reg.history,
            }
        return out
