"""Mirrors (docs/PROTOCOL.md section 6.8): an always-on instance that stores
and relays the feeds of the instances that name it, so that friends who
cannot reach each other pair and replicate through it.

The owner names its mirror with a `mirror` entry and publishes each invite's
token hash in an `invite` entry; the mirror accepts such a token for its
owner and records the pairing in a `mirror.paired` entry, from which the
owner learns its new peer. Plain synchronous ORM functions, like
`sync.pairing`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from events import log
from events.calendars import mirrors
from events.index.fold import catch_up
from sync.models import Peer

logger = logging.getLogger(__name__)


def is_mirror() -> bool:
    return settings.MODE == "mirror"


def name_mirror(mirror: str, url: str) -> None:
    """From now on `mirror` (at `url`) relays our feeds and answers our invites."""
    log.append_local({"type": mirrors.MIRROR, "mirror": mirror, "url": url.rstrip("/")})
    _catch_up()


def refuse_naming_here() -> None:
    """A mirror has no calendar of its own to be mirrored: say so before pairing."""
    if is_mirror():
        raise ValueError("a mirror has no calendar to be mirrored; name the mirror from the instance it should serve")


def name_after_pairing(result: str, key: str | None, base_url: str) -> str:
    """Once paired through an invite of the mirror at `base_url`, name it as ours; the
    sentence to add to the pairing's message. Raises ValueError when the
    pairing is only pending (a plain address, not an invite of the mirror)."""
    if result == "pending" or key is None:
        raise ValueError("a mirror is named with an invite link it made; this address only asked to pair")
    name_mirror(key, base_url)
    return "it is now this instance's mirror: invite links point at it"


def my_mirror() -> tuple[str, str] | None:
    _catch_up()
    return mirrors.mirror_of(log.my_author_id())


def publish_invite(token_hash: str, expires: dt.datetime) -> None:
    """Let our mirror accept this invite for us."""
    log.append_local({"type": mirrors.INVITE, "token": token_hash, "expires": int(expires.timestamp() * 1000)})
    _catch_up()


def owner_invite(token_hash: str, *, now: dt.datetime | None = None) -> str | None:
    """The owner of ours whose unused, unexpired invite this is, if any."""
    _catch_up()
    me = log.my_author_id()
    now_ms = int((now or timezone.now()).timestamp() * 1000)
    for owner in sorted(mirrors.owners_of(me)):
        expires = mirrors.invite(owner, token_hash)
        if expires is not None and expires > now_ms and not mirrors.invite_used(me, token_hash):
            return owner
    return None


def record_pairing(*, owner: str, peer: str, name: str, token_hash: str) -> None:
    """We paired `peer` with an invite of `owner`'s: tell the owner, in our feed."""
    log.append_local({"type": mirrors.MIRROR_PAIRED, "owner": owner, "peer": peer, "name": name[:200], "invite": token_hash})
    _catch_up()


def adopt() -> int:
    """Owner side: pair the peers our mirror paired for us (they are reached
    through the mirror: no URL to dial). Returns how many were new."""
    me = log.my_author_id()
    named = mirrors.mirror_of(me)
    if named is None:
        return 0
    new = 0
    with transaction.atomic():
        known = set(Peer.objects.values_list("author", flat=True))
        for mirror, peer, name in mirrors.paired_for(me):
            if mirror == named[0] and peer not in known and peer != me:
                Peer.objects.create(author=peer, name=name, url="", state=Peer.PAIRED)
                new += 1
    return new


def owners() -> set[str]:
    """The authors we are the mirror of: they receive every feed we hold."""
    return mirrors.owners_of(log.my_author_id())


def _catch_up() -> None:
    catch_up()
