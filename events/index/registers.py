"""Multi-value registers over calendar bodies (docs/PROTOCOL.md section 5.3, after hyperkv).

Pure module: no Django. One register per key: an event series is keyed by
its uid, one occurrence of it by (uid, recurrence_id). The heads of a key are
its entries that no other entry of that key links to; the primary value is
the head with the greatest (time, hash); the key is deleted only when every
head is an `event.del`. `Register.shown` decides which version a reader sees.

The state is a function of the *set* of entries folded in, not of their
order: an entry that arrives before the entries it links to simply finds
them already superseded when they come.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from events.recurrence.timing import RecurrenceError, recurrence_key

PUT = "event.put"
DEL = "event.del"
TYPES = (PUT, DEL)
MAX_UID = 255

Key = tuple[str, str, str]  # (calendar, uid, normalized recurrence_id or "" for the series)


class Write(Protocol):
    """What a register folds: an entry, or an entry as its calendar lets it be read."""

    hash: str
    author: str
    time: int
    links: tuple[str, ...]
    body: dict


def key_of(body: Any, calendar: str = "") -> Key | None:
    """The register a plain calendar body belongs to in `calendar`, or None if
    it is not one (unknown type, or no usable uid / recurrence_id)."""
    if not isinstance(body, dict) or body.get("type") not in TYPES:
        return None
    uid = body.get("uid")
    if not isinstance(uid, str) or not uid or len(uid) > MAX_UID:
        return None
    rid = body.get("recurrence_id")
    if rid is None:
        return (calendar, uid, "")
    try:
        return (calendar, uid, recurrence_key(rid))
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
    refused: dict[str, Version] = field(default_factory=dict)  # writes that do not count
    reasons: dict[str, str] = field(default_factory=dict)

    def refuse(self, entry: Write, reason: str) -> bool:
        """Keep a write that does not count (docs/PROTOCOL.md section 6.5) for
        the history only: it supersedes nothing and is never shown."""
        if entry.hash in self.refused or entry.hash in self.versions:
            return False
        self.refused[entry.hash] = Version(entry.time, entry.author, entry.body.get("type") == DEL)
        self.reasons[entry.hash] = reason
        return True

    def add(self, entry: Write) -> bool:
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
        """No head to show: every head is an `event.del` (or there is none)."""
        return self.shown() is None

    def shown(self) -> str | None:
        """The head a reader sees: the primary one, or when the primary is a
        del but another head is not, the greatest head that is not a del;
        None when the key is deleted. Every view of a key asks this."""
        for h in self.heads:
            if not self.versions[h].deleted:
                return h
        return None

    def shown_event(self) -> dict | None:
        """The `event` of the shown head; None when the key is deleted."""
        h = self.shown()
        return None if h is None else self.bodies[h].get("event")

    @property
    def history(self) -> list[str]:
        """Every entry hash of this key, oldest first by (time, hash)."""
        return sorted(self.versions, key=lambda h: (self.versions[h].time, h))

    def to_json(self) -> dict:
        data: dict = {
            "versions": {h: [v.time, v.author, v.deleted] for h, v in sorted(self.versions.items())},
            "linked": sorted(self.linked),
            "bodies": dict(sorted(self.bodies.items())),
        }
        if self.refused:
            data["refused"] = {h: [v.time, v.author, v.deleted, self.reasons[h]] for h, v in sorted(self.refused.items())}
        return data

    @classmethod
    def from_json(cls, data: dict) -> Register:
        refused = data.get("refused", {})
        return cls(
            versions={h: Version(t, a, d) for h, (t, a, d) in data["versions"].items()},
            linked=set(data["linked"]),
            bodies=dict(data["bodies"]),
            refused={h: Version(t, a, d) for h, (t, a, d, _) in refused.items()},
            reasons={h: r for h, (_, _, _, r) in refused.items()},
        )

