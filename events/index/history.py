"""An event's versions: the register stored for a key, and the changes that shaped it.

`register_of` reads a key's register from the index; `history` reads the
entries it names back from the log and says what each one changed compared
to the version it superseded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from events import log
from events.index.registers import DEL, Register, key_of
from events.models import IndexKey
from events.routers import INDEX_DB as DB


@dataclass
class Change:
    hash: str
    author: str
    time: int  # the writer's clock, ms
    action: str  # created, edited, deleted, cancelled
    changes: dict[str, tuple[object, object]]  # field -> (before, after)
    links: tuple[str, ...]
    not_shown: str = ""  # why the calendar leaves this version out (IndexKey.skipped), if it does


def register_of(uid: str, recurrence_id: str | None = None) -> Register | None:
    key = key_of({"type": DEL, "uid": uid, "recurrence_id": recurrence_id})
    if key is None:
        return None
    state = IndexKey.objects.using(DB).filter(uid=key[0], rid=key[1]).values_list("state", flat=True).first()
    return Register.from_json(json.loads(state)) if state else None


def history(uid: str, recurrence_id: str | None = None) -> list[Change]:
    """The entries that shaped a key, oldest first, each with what it changed
    compared to the version it superseded (read from the log)."""
    register = register_of(uid, recurrence_id)
    if register is None:
        return []
    key = key_of({"type": DEL, "uid": uid, "recurrence_id": recurrence_id})
    skipped = IndexKey.objects.using(DB).filter(uid=key[0], rid=key[1]).values_list("shown", "skipped").first() if key else None
    entries = {e.hash: e for e in log.get_entries(register.history)}
    out = []
    for h in register.history:
        entry = entries.get(h)
        if entry is None:
            continue
        before_entries = [entries[x] for x in entry.links if x in entries]
        before = max(before_entries, key=lambda e: (e.time, e.hash), default=None)
        old = (before.body.get("event") or {}) if before and before.body.get("type") != DEL else {}
        if entry.body.get("type") == DEL:
            action, new = ("cancelled" if recurrence_id else "deleted"), {}
        else:
            action = "edited" if before else "created"
            new = entry.body.get("event") or {}
            if not isinstance(new, dict):
                new = {}
        names = sorted(set(old) | set(new))
        changes = {n: (old.get(n), new.get(n)) for n in names if old.get(n) != new.get(n)}
        not_shown = skipped[1] if skipped and skipped[0] == h else ""
        out.append(Change(hash=h, author=entry.author, time=entry.time, action=action, changes=changes, links=entry.links,
                          not_shown=not_shown))
    return out
