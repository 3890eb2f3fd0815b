"""What changed, for ETags, ctags and sync-collection (RFC 6578).

`refresh` brings the resource table up to date with the index, as the
index's `catch_up` does with the log: for each event whose index rows
changed since it last looked, it asks the index what that event is now
(live or not, in which collection, its ETag). Every change to a resource takes the next
value of one counter, so a collection's sync token is the greatest counter
value among its resources, tombstones included; "what changed since token
n" is the rows above n. Every DAV request refreshes first, so an edit made
on the web page or received from a peer shows in the ctag and the sync
token of the next request. Tombstones are kept, so every token of the
current epoch stays valid.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import quote

from django.db import connection, transaction
from django.db.models import Count, Max

from dav import collections
from dav.models import DavResource, DavState
from events.index.fold import catch_up
from events.models import IndexCursor, IndexKey
from events.routers import INDEX_DB

# Part of every ETag: change it when the bodies served for the same log change.
BODY_FORMAT = "1"
TOKEN_PREFIX = "urn:calendar-p2p:sync:"
CHUNK = 500


@dataclass(frozen=True)
class Found:
    """What the index says an event is now."""

    uid: str
    event: dict | None  # None: not live (deleted, hidden, never existed)
    etag: str
    calendar: str = ""  # the calendar of the live event


def _state() -> DavState:
    state = DavState.objects.filter(pk=1).first()
    if state is None:
        state, _ = DavState.objects.get_or_create(pk=1, defaults={"epoch": uuid.uuid4().hex[:12]})
    return state


def _index_mark() -> tuple[int, str]:
    """The highest index row id and the index's version. The fold never
    updates a row: it deletes the rows of the keys an entry changed and
    inserts new ones, whose ids (AUTOINCREMENT, a sequence) are higher than
    any before; and every batch it writes takes a new version."""
    top = IndexKey.objects.using(INDEX_DB).aggregate(top=Max("pk"))["top"] or 0
    version = (
        IndexCursor.objects.using(INDEX_DB).filter(pk=1).values_list("version", flat=True).first()
        or ""
    )
    return top, version


def refresh() -> DavState:
    """Bring every collection's resources up to date with the index: the
    events whose index rows were rewritten since the last refresh, and those
    whose rows are gone, are compared with what the table holds. Entries
    sealed for a calendar's audience say nothing readable about their event,
    so the index, not the log, says what changed."""
    catch_up()
    top, version = _index_mark()
    state = _state()
    if (state.seen, state.version) == (top, version):
        return state
    with transaction.atomic():
        state = DavState.objects.select_for_update().get(pk=1)
        if top < state.seen:  # the index was made again from nothing: compare every event
            state.seen = 0
        rows = IndexKey.objects.using(INDEX_DB)
        uids = set(rows.filter(pk__gt=state.seen).values_list("uid", flat=True))
        distinct = rows.aggregate(n=Count("uid", distinct=True))["n"]
        # Event ids new to us: those we never held a resource for (an event
        # that was hidden all along counts too, which at worst costs a scan).
        held = _held(sorted(uids)) if state.seen else uids
        if distinct < state.uids + len(uids - held):
            # an event's rows went without new ones (a calendar deleted or folded
            # again without it): find which, among the events devices hold
            live = set(DavResource.objects.filter(deleted=False).values_list("uid", flat=True))
            uids |= live - set(rows.values_list("uid", flat=True).distinct())
        ordered = sorted(uids)
        for start in range(0, len(ordered), CHUNK):
            state.counter = _apply(ordered[start : start + CHUNK], state.counter)
        state.seen, state.version, state.uids = top, version, distinct
        state.save()
    return state


def _held(uids: list[str]) -> set[str]:
    """Which of these event ids have (or had) a resource here."""
    found: set[str] = set()
    for start in range(0, len(uids), CHUNK):
        found |= set(
            DavResource.objects.filter(uid__in=uids[start : start + CHUNK]).values_list(
                "uid", flat=True
            )
        )
    return found


def find(uids: list[str]) -> dict[str, Found]:
    """Each uid's event as the calendar shows it and its ETag (a hash of
    every register of the event, so any entry about it changes the ETag)."""
    parts: dict[str, list[str]] = defaultdict(list)
    live: dict[str, tuple[dict, str]] = {}
    fields = ("uid", "rid", "kind", "deleted", "event", "state", "calendar")
    rows = (
        IndexKey.objects.using(INDEX_DB)
        .filter(uid__in=uids)
        .order_by("uid", "calendar", "rid")
        .values_list(*fields)
    )
    for uid, rid, kind, deleted, event, state, calendar in rows:
        parts[uid].append(f"{calendar}\x00{rid}\x00{state}")
        if not rid and kind in ("single", "series") and not deleted and uid not in live:
            live[uid] = (json.loads(event), calendar)
    out = {}
    for uid, items in parts.items():
        digest = hashlib.sha256("\x01".join([BODY_FORMAT, *items]).encode()).hexdigest()[:32]
        event, calendar = live.get(uid, (None, ""))
        out[uid] = Found(uid, event, digest, calendar)
    return out


def _apply(uids: list[str], counter: int) -> int:
    found = find(uids)
    shown_in = collections.ids_by_calendar()
    existing: dict[str, list[DavResource]] = defaultdict(list)
    for row in DavResource.objects.filter(uid__in=uids):
        existing[row.uid].append(row)
    new: list[DavResource] = []
    changed: list[DavResource] = []
    for uid in uids:
        now = found.get(uid)
        target = shown_in.get(now.calendar) if now is not None and now.event is not None else None
        rows = existing[uid]
        keep = _row_to_keep([r for r in rows if r.collection == target]) if target else None
        for row in rows:
            if row is keep:
                if row.deleted or row.etag != now.etag:
                    counter += 1
                    row.deleted, row.etag, row.modseq = False, now.etag, counter
                    changed.append(row)
            elif not row.deleted:
                counter += 1
                row.deleted, row.modseq = True, counter
                changed.append(row)
        if target is not None and keep is None:
            counter += 1
            new.append(
                DavResource(collection=target, name="", uid=uid, etag=now.etag, modseq=counter)
            )
    _name(new)
    _insert(new)
    DavResource.objects.bulk_update(changed, ["deleted", "etag", "modseq"], batch_size=CHUNK)
    return counter


def _row_to_keep(rows: list[DavResource]) -> DavResource | None:
    """Of an event's rows in its collection, the one that names it: the live
    one, else one a PUT just claimed (no ETag yet), else the latest."""
    if not rows:
        return None
    return max(rows, key=lambda r: (not r.deleted, r.etag == "", r.modseq))


def default_name(uid: str) -> str:
    return quote(uid, safe="@-_.+=") + ".ics"


def _insert(rows: list[DavResource]) -> None:
    """New rows in one executemany: the first request on a large calendar
    adds one per event, and bulk_create's per-field preparation cost more
    than the inserts."""
    quote = connection.ops.quote_name
    columns = ("collection", "name", "uid", "etag", "modseq", "deleted")
    sql = (
        f"INSERT INTO {quote(DavResource._meta.db_table)} ({', '.join(map(quote, columns))})"
        f" VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [(r.collection, r.name, r.uid, r.etag, r.modseq, r.deleted) for r in rows]
        )


def _name(rows: list[DavResource]) -> None:
    """Names for events that were not PUT here: the UID, unless a PUT used that name for another event."""
    wanted = {(r.collection, default_name(r.uid)) for r in rows}
    names = {n for c, n in wanted}
    taken = set(DavResource.objects.filter(name__in=names).values_list("collection", "name"))
    for row in rows:
        name = default_name(row.uid)
        if (row.collection, name) in taken:
            name = hashlib.sha256(row.uid.encode()).hexdigest()[:24] + ".ics"
        row.name = name


# --- tokens ------------------------------------------------------------------------------


def collection_token(collection_id: str, state: DavState) -> str:
    """The collection's sync token, also its ctag: it changes when any of its resources does."""
    top = (
        DavResource.objects.filter(collection=collection_id).aggregate(top=Max("modseq"))["top"]
        or 0
    )
    return f"{TOKEN_PREFIX}{state.epoch}:{top}"


def token_value(token: str, state: DavState) -> int | None:
    """The counter value a token of ours stands for, or None when it is not
    one (another server's, or ours from before the log was replaced)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    epoch, _, number = token[len(TOKEN_PREFIX) :].partition(":")
    if epoch != state.epoch or not number.isdigit():
        return None
    value = int(number)
    return value if value <= state.counter else None


def changed_since(collection_id: str, since: int, *, limit: int | None = None) -> list[DavResource]:
    rows = DavResource.objects.filter(collection=collection_id, modseq__gt=since).order_by("modseq")
    return list(rows[:limit] if limit else rows)
