"""What the owner does with calendars (docs/PROTOCOL.md section 6): each
action is one `calendar` entry holding the calendar's whole new state.

Lowering a member's role or removing them starts a new epoch: fresh keys,
sealed to everyone who stays, with the earlier epochs' keys under them, so
what is written afterwards is closed to the one who left. Giving a role
keeps the epoch and seals its keys to the newcomer, who then reads the past.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from events import log
from events.authors import author_names, paired_authors
from events.calendars import state
from events.calendars.bodies import MAX_MEMBERS, ROLES, parse_snapshot
from events.calendars.keys import EpochKeys, seal_event, seal_history, seal_member_keys, seal_meta
from events.calendars.own import CalendarRefused, _meta, _published, _write, ensure_own_entries
from events.models import Feed, IndexCalendar, IndexPublishedKey
from events.routers import INDEX_DB as DB

RANK = {"busy": 0, "details": 1, "editor": 2}


@dataclass(frozen=True)
class Audience:
    """A calendar's state as its owner last wrote it, ready to change."""

    row: IndexCalendar
    body: dict


def _own(calendar: str) -> Audience:
    row = state.get(calendar)
    me = log.my_author_id()
    if row is None or row.deleted:
        raise CalendarRefused(f"no calendar {calendar}")
    if row.owner != me:
        raise CalendarRefused(f"{row.name or 'that calendar'} belongs to {row.owner[:12]}: only its owner shares it")
    entry = next(log.read_feed(me, row.seq - 1, chunk=1))
    return Audience(row, dict(entry.body))


def _all_keys(row: IndexCalendar) -> dict[int, EpochKeys]:
    return {int(e): EpochKeys.from_json(k) for e, k in json.loads(row.keys).items()}


def _reseal(audience: Audience, body: dict, *, rotate: bool) -> dict:
    """Seal the (new) epoch's keys to every member and to us; on `rotate`,
    start a new epoch carrying the old keys in its history."""
    row, me = audience.row, log.my_author_id()
    if row.public:
        return body
    held = _all_keys(row)
    epoch = body["epoch"] + (1 if rotate else 0)
    current = EpochKeys.new() if rotate else held[body["epoch"]]
    body["epoch"] = epoch
    calendar = body["calendar"]
    members = {a: m["role"] for a, m in body["members"].items()}
    public_keys = state.published_keys([*members, me])
    body["keys"] = {
        who: seal_member_keys(current.for_role(role), to=public_keys[who], owner=me, calendar=calendar, epoch=epoch, member=who)
        for who, role in [*members.items(), (me, "editor")]
    }
    body["history"] = seal_history(current, {e: k for e, k in held.items() if e < epoch}, owner=me, calendar=calendar, epoch=epoch)
    body["meta"] = seal_meta({"name": row.name, "colour": row.colour}, current, owner=me, calendar=calendar, epoch=epoch)
    return body


def _held(author: str) -> int:
    """The highest seq of `author`'s feed we hold (one row, not the whole vector)."""
    return Feed.objects.filter(author=author).values_list("seq", flat=True).first() or 0


def share(calendar: str, peer: str, role: str) -> str:
    """Give `peer` a role in our calendar (or change it)."""
    if role not in ROLES:
        raise CalendarRefused(f"role must be one of {', '.join(ROLES)}")
    audience = _own(calendar)
    if peer == audience.row.owner:
        raise CalendarRefused("the owner of a calendar already has every right in it")
    if _published(peer) is None:
        raise CalendarRefused(f"{_name(peer)} has not published an encryption key yet: pair, let it sync, then share")
    body = json.loads(json.dumps(audience.body))
    members: dict = body["members"]
    old = members.get(peer, {}).get("role")
    if old is None and len(members) >= MAX_MEMBERS:
        raise CalendarRefused(f"a calendar is shared with at most {MAX_MEMBERS} peers")
    lowered = old is not None and RANK[role] < RANK[old]
    member = {"role": role}
    if role == "editor":
        member["since"] = members.get(peer, {}).get("since") if old == "editor" else _held(peer) + 1
    members[peer] = member
    if old == "editor" and role != "editor":
        body.setdefault("until", {})[peer] = _held(peer)
    return _write(_reseal(audience, body, rotate=lowered))


def unshare(calendar: str, peer: str) -> str:
    """Remove `peer` from our calendar: it reads nothing written from now on."""
    audience = _own(calendar)
    body = json.loads(json.dumps(audience.body))
    old = body["members"].pop(peer, None)
    if old is None:
        raise CalendarRefused(f"{audience.row.name} is not shared with {_name(peer)}")
    if old["role"] == "editor":
        body.setdefault("until", {})[peer] = _held(peer)
    return _write(_reseal(audience, body, rotate=True))


def rename(calendar: str, *, name: str | None = None, colour: str | None = None) -> str:
    audience = _own(calendar)
    row = audience.row
    meta = _meta(name if name is not None else row.name, colour or row.colour)
    body = json.loads(json.dumps(audience.body))
    if row.public:
        body["meta"] = meta
    else:
        keys = _all_keys(row)[body["epoch"]]
        body["meta"] = seal_meta(meta, keys, owner=row.owner, calendar=body["calendar"], epoch=body["epoch"])
    parse_snapshot(body)
    return _write(body)


def delete(calendar: str) -> str:
    """Delete our calendar: nothing of it is shown anywhere any more. Copies of
    its entries stay in every log that holds them (the log is append-only)."""
    audience = _own(calendar)
    me = log.my_author_id()
    if sum(1 for r in state.visible() if r.owner == me) == 1:
        raise CalendarRefused("this is your only calendar: make another one before deleting it")
    body = json.loads(json.dumps(audience.body))
    body["deleted"] = True
    return _write(body)


def _name(author: str) -> str:
    return author_names().get(author) or f"{author[:12]}…"


def find_calendar(text: str) -> IndexCalendar:
    """A calendar this instance can see, by id, ref, or name (ours first)."""
    text = text.strip()
    rows = state.visible()
    for row in rows:
        if text in (row.ref, row.ref.partition(".")[2]):
            return row
    named = [r for r in rows if r.name.lower() == text.lower()]
    me = log.my_author_id()
    named.sort(key=lambda r: r.owner != me)
    if named and (len(named) == 1 or named[0].owner != named[1].owner):
        return named[0]
    if named:
        raise CalendarRefused(f"several calendars are called {text!r}: give its id")
    raise CalendarRefused(f"no calendar {text!r}: `calendars` lists them")


def find_peer(text: str) -> str:
    """An author by id (or a prefix of 8 or more) or by the name it is shown with."""
    text = text.strip()
    names = author_names()
    known = set(names) | set(IndexPublishedKey.objects.using(DB).values_list("author", flat=True))
    known.discard(log.my_author_id())
    if text in known:
        return text
    matches = [a for a in known if (len(text) >= 8 and a.startswith(text)) or names.get(a, "").lower() == text.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CalendarRefused(f"several peers match {text!r}: give the id")
    raise CalendarRefused(f"no peer {text!r}: `peers` lists them")


def members_of(row: IndexCalendar) -> dict[str, str]:
    return json.loads(row.members)


DEFAULT_KEY = "quickadd_calendar"


def default_calendar() -> str:
    """The calendar new events go to: the owner's choice while it is still
    ours and writable, else our first calendar."""
    from events.models import Preference

    chosen = Preference.objects.filter(key=DEFAULT_KEY).values_list("value", flat=True).first()
    if chosen and (row := state.get(chosen)) is not None and not row.deleted and row.my_role in state.WRITERS:
        return chosen
    me = log.my_author_id()
    own = [r for r in state.visible() if r.owner == me]
    if not own:
        ensure_own_entries()
        own = [r for r in state.visible() if r.owner == me]
    return own[0].ref


def set_default_calendar(calendar: str) -> None:
    from events.models import Preference

    row = state.get(calendar)
    if row is None or row.deleted or row.my_role not in state.WRITERS:
        raise CalendarRefused("new events can only go to a calendar you may edit")
    Preference.objects.update_or_create(key=DEFAULT_KEY, defaults={"value": calendar})


def writable(calendar: str) -> IndexCalendar | None:
    """The calendar's row if we may write in it (None for the legacy one);
    CalendarRefused otherwise."""
    if state.is_legacy(calendar):
        return None
    row = state.get(calendar)
    if row is None or row.deleted:
        raise CalendarRefused("that calendar does not exist (any more)")
    if row.my_role not in state.WRITERS:
        what = "see only when its owner is busy" if row.my_role == "busy" else "only read"
        raise CalendarRefused(f"you may {what} in {row.name or 'this calendar'}: its owner has not made you an editor")
    return row


def body_for(plain: dict, calendar: str) -> dict:
    """The body to sign for a plain event.put/event.del in `calendar`:
    unchanged for the legacy calendar, naming the calendar for a public one,
    sealed under the current epoch for the others."""
    row = writable(calendar)
    if row is None:
        return plain
    owner, _, calendar_id = calendar.partition(".")
    if row.public:
        return {**plain, "owner": owner, "calendar": calendar_id}
    keys = state.epoch_keys(row, row.epoch)
    if keys is None or keys.details is None:
        raise CalendarRefused(f"the keys of {row.name or 'this calendar'} have not reached this instance yet")
    return seal_event(plain, keys, author=log.my_author_id(), owner=owner, calendar=calendar_id, epoch=row.epoch)


HIDDEN_KEY = "hidden_calendars"


def hidden_calendars() -> set[str]:
    """The calendars the owner chose not to show (this instance only)."""
    from events.models import Preference

    value = Preference.objects.filter(key=HIDDEN_KEY).values_list("value", flat=True).first()
    return set(json.loads(value)) if value else set()


def set_hidden(calendar: str, hidden: bool) -> None:
    from events.models import Preference

    now = hidden_calendars()
    now = now | {calendar} if hidden else now - {calendar}
    Preference.objects.update_or_create(key=HIDDEN_KEY, defaults={"value": json.dumps(sorted(now))})


def shareable_peers() -> list[tuple[str, str]]:
    """(author, name) of the paired peers a calendar can be shared with: those
    whose encryption key has arrived."""
    names = author_names()
    paired = paired_authors()
    keyed = set(IndexPublishedKey.objects.using(DB).filter(author__in=list(paired)).values_list("author", flat=True))
    return sorted(((a, names.get(a) or f"{a[:12]}…") for a in keyed), key=lambda p: p[1].lower())
