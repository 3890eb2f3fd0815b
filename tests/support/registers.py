"""An in-memory reference for the index's registers: every key of a log folded
in memory, independent of arrival order. The index keeps the same state in its
table; tests compare the two."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from events.entry import Entry
from events.index.registers import Key, Register, key_of


@dataclass
class Registers:
    """All registers of a log, folded in memory."""

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
                "shown": reg.shown(),
                "value": reg.bodies.get(primary) if primary else None,
                "others": [reg.bodies[h] for h in reg.others],
                "deleted": reg.deleted,
                "conflict": reg.conflict,
                "history": reg.history,
            }
        return out
