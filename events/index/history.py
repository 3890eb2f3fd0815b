"""An event's versions: the register stored for a key, and the changes that shaped it.

`register_of` reads a key's register from the index; `history` reads the
entries it names back from the log (opened as their calendar allows) and
says what each one changed compared to the version it superseded, and which
writes did not count and why (docs/PROTOCOL.md section 6.5).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from events import log
from events.calendars.decode import Calendars, Write, decode
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
    not_applied: str = ""  # why this write does not count at all, if it does not


def calendar_of_uid(uid: str, recurrence_id: str | None = None) -> str | None:
    """The calendar holding `uid`: one where it is shown if any. Only a
    forged write can put one uid in two calendars; this instance's own
    calendars win, then the legacy one, then the others by name."""
    key = key_of({"type": DEL, "uid": uid, "recurrence_id": recurrence_id})
    if key is None:
        return None
    return _chosen(list(IndexKey.objects.using(DB).filter(uid=uid, rid="").values_list("calendar", "deleted")))


def _chosen(rows: list[tuple[str, bool]]) -> str | None:
    """Among (calendar, deleted) of one uid's series rows, the calendar holding it."""
    if not rows:
        return None
    me = log.my_author_id()
    return min(rows, key=lambda r: (r[1], not r[0].startswith(me), r[0] != "", r[0]))[0]


def register_of(uid: str, recurrence_id: str | None = None, *, calendar: str | None = None) -> Register | None:
    if calendar is None:
        calendar = calendar_of_uid(uid)
        if calendar is None:
            return None
    key = key_of({"type": DEL, "uid": uid, "recurrence_id": recurrence_id}, calendar)
    if key is None:
        return None
    state = IndexKey.objects.using(DB).filter(calendar=key[0], uid=key[1], rid=key[2]).values_list("state", flat=True).first()
    return Register.from_json(json.loads(state)) if state else None


class Prefetched:
    """The index rows of many uids read in one pass, answering `calendar_of_uid`
    and `register_of` for them as those would have at the time of reading (an
    import compares thousands of events with what the calendar shows). A uid
    `forget` was called for, or never asked about, is read from the index again."""

    def __init__(self, uids: Iterable[str]):
        self._rows: dict[str, dict[tuple[str, str], tuple[bool, str]]] = {uid: {} for uid in uids}
        names = sorted(self._rows)
        for i in range(0, len(names), 500):
            found = IndexKey.objects.using(DB).filter(uid__in=names[i : i + 500])
            for calendar, uid, rid, deleted, state in found.values_list("calendar", "uid", "rid", "deleted", "state"):
                self._rows[uid][(calendar, rid)] = (deleted, state)

    def forget(self, uid: str) -> None:
        self._rows.pop(uid, None)

    def calendar_of_uid(self, uid: str) -> str | None:
        rows = self._rows.get(uid)
        if rows is None:
            return calendar_of_uid(uid)
        return _chosen([(calendar, deleted) for (calendar, rid), (deleted, _) in rows.items() if not rid])

    def register_of(self, uid: str, recurrence_id: str | None = None) -> Register | None:
        rows = self._rows.get(uid)
        if rows is None:
            return register_of(uid, recurrence_id)
        calendar = self.calendar_of_uid(uid)
        key = key_of({"type": DEL, "uid": uid, "recurrence_id": recurrence_id}, calendar) if calendar is not None else None
        found = rows.get((key[0], key[2])) if key is not None else None
        return Register.from_json(json.loads(found[1])) if found and found[1] else None

    def cancelled_rids(self, uid: str) -> set[str]:
        """The recurrence ids of the uid's cancelled occurrences, in any calendar."""
        rows = self._rows.get(uid)
        if rows is None:
            found = IndexKey.objects.using(DB).filter(uid=uid, deleted=True).exclude(rid="")
            return set(found.values_list("rid", flat=True))
        return {rid for (_, rid), (deleted, _) in rows.items() if rid and deleted}


def _opened(hashes: list[str]) -> dict[str, Write]:
    calendars = Calendars()
    out = {}
    for entry in log.get_entries(hashes):
        write = decode(entry, calendars)
        if isinstance(write, Write):
            out[entry.hash] = write
    return out


def history(uid: str, recurrence_id: str | None = None, *, calendar: str | None = None) -> list[Change]:
    """The entries that shaped a key, oldest first, each with what it changed
    compared to the version it superseded (read from the log)."""
    calendar = calendar if calendar is not None else calendar_of_uid(uid)
    register = register_of(uid, recurrence_id, calendar=calendar) if calendar is not None else None
    if register is None:
        return []
    key = key_of({"type": DEL, "uid": uid, "recurrence_id": recurrence_id}, calendar or "")
    skipped = (IndexKey.objects.using(DB).filter(calendar=key[0], uid=key[1], rid=key[2])
               .values_list("shown", "skipped").first() if key else None)
    order = sorted([*register.versions.items(), *register.refused.items()], key=lambda hv: (hv[1].time, hv[0]))
    entries = _opened([h for h, _ in order])
    out = []
    for h, _ in order:
        entry = entries.get(h)
        if entry is None:
            continue
        before_entries = [entries[x] for x in entry.links if x in entries and x in register.versions]
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
                          not_shown=not_shown, not_applied=register.reasons.get(h, "")))
    return out
