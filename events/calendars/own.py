"""This instance's own calendar entries that need no choice of the owner's:
its published encryption key, and its calendars' creation
(docs/PROTOCOL.md section 6). `events.setup` makes both on first start."""

from __future__ import annotations

import secrets

from django.conf import settings

from events import log
from events.calendars import state
from events.calendars.bodies import CALENDAR, KEY_PUBLISH, BodyError, check_meta
from events.calendars.keys import EpochKeys, seal_member_keys, seal_meta
from events.index.fold import catch_up
from events.models import IndexCalendar, IndexPublishedKey
from events.routers import INDEX_DB as DB

PERSONAL = "Personal"
COLOURS = ("#3b6fd8", "#d8533b", "#2f9e5b", "#9b59b6", "#b7791f", "#2b9fb0", "#c2457a", "#6b7b2f")


class CalendarRefused(ValueError):
    """An action on calendars that cannot be done; the message says why, in one line."""


def ensure_own_entries() -> None:
    """Publish our encryption key and make the Personal calendar, once each.
    A mirror has neither: it only stores and relays (docs/PROTOCOL.md section 6.8)."""
    if settings.MODE == "mirror":
        raise CalendarRefused("this instance is a mirror: it has no calendar of its own")
    catch_up()
    me = log.my_author_id()
    if state.my_public_key() != _published(me):
        log.append_local({"type": KEY_PUBLISH, "x25519": state.my_public_key()})
        catch_up()
    if not IndexCalendar.objects.using(DB).filter(owner=me).exists():
        create(PERSONAL)


def _published(author: str) -> str | None:
    return IndexPublishedKey.objects.using(DB).filter(author=author).values_list("x25519", flat=True).first()


def _write(body: dict) -> str:
    entry = log.append_local(body)
    catch_up()
    return state.ref(entry.author, body["calendar"])


def create(name: str, *, public: bool = False, colour: str | None = None) -> str:
    """A new calendar of ours, shared with nobody; returns its ref."""
    me = log.my_author_id()
    count = IndexCalendar.objects.using(DB).filter(owner=me).count()
    meta = _meta(name, colour or COLOURS[count % len(COLOURS)])
    calendar = secrets.token_hex(16)
    body: dict = {"type": CALENDAR, "calendar": calendar, "public": public, "epoch": 0, "members": {}}
    if public:
        body["meta"] = meta
    else:
        keys = EpochKeys.new()
        body["meta"] = seal_meta(meta, keys, owner=me, calendar=calendar, epoch=0)
        body["keys"] = {me: seal_member_keys(keys, to=bytes.fromhex(state.my_public_key()), owner=me,
                                             calendar=calendar, epoch=0, member=me)}
    return _write(body)


def _meta(name: str, colour: str) -> dict:
    try:
        return check_meta({"name": name.strip(), "colour": colour.lower()})
    except BodyError as e:
        raise CalendarRefused(str(e)) from None


