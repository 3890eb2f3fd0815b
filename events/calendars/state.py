"""Calendars in the index: their owners' latest `calendar` entries folded,
with what this instance may read and write in each (docs/PROTOCOL.md section 6).

Everything here is derived from the log and this instance's X25519 key, and
rebuilt with the rest of the index.
"""

from __future__ import annotations

import json
import logging
from functools import cache

from django.conf import settings

from events import log
from events.calendars import mirrors
from events.calendars.bodies import LEGACY, BodyError, Snapshot, published_key, ref
from events.calendars.keys import EpochKeys, open_history, open_member_keys, open_meta
from events.entry import Entry
from events.identity import load_or_create_encryption_key
from events.models import IndexCalendar, IndexPublishedKey
from events.routers import INDEX_DB as DB
from events.sealing import SealError

logger = logging.getLogger(__name__)

READERS = ("owner", "editor", "details")
WRITERS = ("owner", "editor")


@cache
def encryption_key():
    return load_or_create_encryption_key(settings.DATA_DIR)


def my_public_key() -> str:
    return encryption_key().public_key().public_bytes_raw().hex()


def fold_published_key(entry: Entry) -> None:
    try:
        key = published_key(entry.body).hex()
    except BodyError as e:
        logger.warning("key.publish %s of %s left out: %s", entry.hash[:12], entry.author[:12], e)
        return
    held = IndexPublishedKey.objects.using(DB).filter(author=entry.author).first()
    if held is None:
        IndexPublishedKey.objects.using(DB).create(author=entry.author, seq=entry.seq, x25519=key)
    elif entry.seq > held.seq:
        held.seq, held.x25519 = entry.seq, key
        held.save(using=DB)


def published_keys(authors) -> dict[str, bytes]:
    rows = IndexPublishedKey.objects.using(DB).filter(author__in=list(authors)).values_list("author", "x25519")
    return {a: bytes.fromhex(k) for a, k in rows}


def _close_and_open(editors: dict, snapshot: Snapshot) -> None:
    """Editor intervals: a grant opens one from the member's `since`, a
    removal or lower role closes it at the snapshot's `until` for them."""
    for author, member in snapshot.members.items():
        intervals = editors.setdefault(author, [])
        if member.role == "editor" and not (intervals and intervals[-1][1] is None):
            intervals.append([member.since, None])
    for author, intervals in editors.items():
        member = snapshot.members.get(author)
        if intervals and intervals[-1][1] is None and (member is None or member.role != "editor"):
            intervals[-1][1] = snapshot.until.get(author, intervals[-1][0] - 1)


def _open_keys(row: IndexCalendar, snapshot: Snapshot, me: str) -> dict:
    keys = json.loads(row.keys)
    box = snapshot.keys.get(me)
    if snapshot.public or box is None:
        return keys
    current = open_member_keys(encryption_key(), box, owner=row.owner, calendar=snapshot.calendar, epoch=snapshot.epoch, me=me)
    found = {snapshot.epoch: current, **open_history(current, snapshot.history, owner=row.owner,
                                                      calendar=snapshot.calendar, epoch=snapshot.epoch)}
    for epoch, epoch_keys in found.items():
        held = keys.get(str(epoch))
        if held is None or (epoch_keys.details and "details" not in held):  # a lower role never takes keys away
            keys[str(epoch)] = epoch_keys.to_json()
    return keys


def fold_snapshot(entry: Entry, snapshot: Snapshot) -> str | None:
    """Fold a `calendar` entry; return the calendar's ref if it changed."""
    calendar = ref(entry.author, snapshot.calendar)
    row = IndexCalendar.objects.using(DB).filter(ref=calendar).first()
    if row is None:
        row = IndexCalendar(ref=calendar, owner=entry.author, public=snapshot.public)
    elif entry.seq <= row.seq:
        return None
    me = log.my_author_id()
    editors = json.loads(row.editors)
    _close_and_open(editors, snapshot)
    row.editors = json.dumps(editors)
    row.members = json.dumps({a: m.role for a, m in snapshot.members.items()})
    row.seq, row.epoch, row.deleted = entry.seq, snapshot.epoch, snapshot.deleted
    try:
        row.keys = json.dumps(_open_keys(row, snapshot, me))
    except SealError as e:
        logger.warning("calendar %s: our keys do not open: %s", calendar[:20], e)
    if me == row.owner:
        row.my_role = "owner"
    else:
        row.my_role = snapshot.members[me].role if me in snapshot.members else ("details" if row.public else "")
    if row.public:
        row.name, row.colour = snapshot.meta["name"], snapshot.meta["colour"]
    elif (keys := epoch_keys(row, snapshot.epoch)) is not None:
        try:
            meta = open_meta(snapshot.meta, keys, owner=row.owner, calendar=snapshot.calendar, epoch=snapshot.epoch)
            row.name, row.colour = meta["name"], meta["colour"]
        except SealError as e:
            logger.warning("calendar %s: name and colour do not open: %s", calendar[:20], e)
    row.save(using=DB)
    return calendar


def epoch_keys(row: IndexCalendar, epoch: int) -> EpochKeys | None:
    held = json.loads(row.keys).get(str(epoch))
    return EpochKeys.from_json(held) if held else None


def may_write(row: IndexCalendar, author: str, seq: int) -> bool:
    """docs/PROTOCOL.md section 6.5: the owner always; an editor for the
    writes of its feed inside one of its editor intervals."""
    if author == row.owner:
        return True
    for since, until in json.loads(row.editors).get(author, []):
        if since <= seq and (until is None or seq <= until):
            return True
    return False


def get(calendar: str) -> IndexCalendar | None:
    return IndexCalendar.objects.using(DB).filter(ref=calendar).first()


def visible() -> list[IndexCalendar]:
    """The calendars this instance can show, its own first, then by name."""
    me = log.my_author_id()
    rows = IndexCalendar.objects.using(DB).filter(deleted=False).exclude(my_role="")
    return sorted(rows, key=lambda r: (r.owner != me, r.name.lower(), r.ref))


def audience(author: str) -> set[str] | None:
    """Who may receive `author`'s feed from a relay (docs/PROTOCOL.md section
    6.6): the owners and members of every calendar it owns or edits; None
    (everyone) when one of them is public or the author has never published
    a key (it writes only the legacy calendar)."""
    return audiences().get(author)


def audiences() -> dict[str, set[str] | None]:
    """`audience` of every author that has published a key, read at once;
    an author left out is relayed to everyone (docs/PROTOCOL.md section 6.6)."""
    out: dict[str, set[str] | None] = {a: set() for a in IndexPublishedKey.objects.using(DB).values_list("author", flat=True)}
    for author, mirror in mirrors.mirrors().items():  # a mirror an author names relays its feed
        if (held := out.get(author)) is not None:
            held.add(mirror)
    for row in IndexCalendar.objects.using(DB).filter(deleted=False):
        members = json.loads(row.members)
        reach = None if row.public else {row.owner, *members}
        for writer in [row.owner, *(a for a, role in members.items() if role == "editor")]:
            held = out.get(writer, ...)
            if held is ...:
                continue
            out[writer] = None if reach is None or held is None else (held | reach) - {writer}
    return out


def is_legacy(calendar: str) -> bool:
    return calendar == LEGACY
