"""Pairing (docs/PROTOCOL.md section 4.4): invites, requests, approval, unpair, block.

Plain synchronous ORM functions: the consumer and dialer call them through
`database_sync_to_async`, the CLI and the web UI call them directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from urllib.parse import urlsplit, urlunsplit

from django.db import connection, transaction
from django.utils import timezone

from events import instance, log
from sync import mirror, protocol
from sync.models import Invite, PairingRequest, Peer

INVITE_DAYS = 7
MAX_PENDING_REQUESTS = 200
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
PAIR_PATH = re.compile(r"^(?P<prefix>.*)/pair/(?P<token>[A-Za-z0-9_-]{16,100})/?$")


class PairingRefused(Exception):
    """The dialed side does not admit a connection; `code` is its error code (docs/PROTOCOL.md section 4.3)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def clean_peer_name(name: str) -> str:
    """A name a peer gives, without control characters (docs/PROTOCOL.md section 4.1's hello)."""
    return protocol.clean_text(name or "")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_url() -> str:
    return instance.public_url().rstrip("/")


def create_invite(*, now: dt.datetime | None = None, days: int = INVITE_DAYS) -> str:
    """A fresh single-use invite URL `<PUBLIC_URL>/pair/<token>/`; with a
    mirror, the mirror's URL, and the token published for it to accept
    (docs/PROTOCOL.md section 6.8)."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(24)
    expires = now + dt.timedelta(days=days)
    Invite.objects.create(token_hash=hash_token(token), created=now, expires=expires)
    named = mirror.my_mirror()
    if named is None:
        return f"{public_url()}/pair/{token}/"
    mirror.publish_invite(hash_token(token), expires)
    return f"{named[1]}/pair/{token}/"


def split_pair_url(url: str) -> tuple[str, str | None]:
    """(base URL, invite token or None) from an invite URL or a plain base URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError(f"not an instance URL: {url!r} (expected http://host:port/ or an invite URL)")
    path, token = parts.path, None
    if m := PAIR_PATH.match(path):
        path, token = m["prefix"], m["token"]
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, path.rstrip("/"), "", "")), token


def sync_ws_url(base: str) -> str:
    """docs/PROTOCOL.md section 4: `/ws/sync/` of the base URL, http -> ws, https -> wss."""
    parts = urlsplit(base)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws/sync/", "", ""))


def admit(*, key: str, name: str, url: str | None, invite: str | None, now: dt.datetime | None = None) -> Peer:
    """The dialed side's decision (docs/PROTOCOL.md section 4.1, step 3) for an authenticated key.

    Returns the admitted peer or raises PairingRefused (blocked, bad-invite,
    pending, not-paired)."""
    from events.log import my_author_id

    now = now or timezone.now()
    if key == my_author_id():
        raise PairingRefused("not-paired", "that is this instance's own key")
    with transaction.atomic():
        peer = Peer.objects.filter(author=key).first()
        if peer and peer.state == Peer.BLOCKED:
            raise PairingRefused("blocked", "this instance blocks your key")
        if peer:
            if url and url != peer.url:
                peer.url = url
                peer.save(update_fields=["url"])
            return peer
        asked = PairingRequest.objects.filter(
            author=key, direction=PairingRequest.OUTGOING, state__in=[PairingRequest.PENDING, PairingRequest.APPROVED]
        ).first()
        if asked:  # we asked this key to pair, and its owner approved by dialing back
            asked.state = PairingRequest.APPROVED
            asked.save(update_fields=["state"])
            return _pair(key, name or asked.name, url or asked.url)
        if invite is not None:
            found = Invite.objects.filter(token_hash=hash_token(invite)).first()
            if found is None and (owner := mirror.owner_invite(hash_token(invite), now=now)) is not None:
                peer = _pair(key, name, url or "")  # paired here for our owner, who learns it from our feed
                mirror.record_pairing(owner=owner, peer=key, name=clean_peer_name(name), token_hash=hash_token(invite))
                return peer
            if found is None or found.used_at is not None or found.expires <= now:
                why = "unknown" if found is None else ("already used" if found.used_at else "expired")
                raise PairingRefused("bad-invite", f"the invite is {why}; ask for a new invite link")
            found.used_at, found.used_by = now, key
            found.save(update_fields=["used_at", "used_by"])
            PairingRequest.objects.filter(author=key).delete()
            return _pair(key, name, url or "")
        if not _record_request(key, name, url or "", PairingRequest.INCOMING, now):
            raise PairingRefused(
                "not-paired",
                f"pairing request not recorded: {MAX_PENDING_REQUESTS} requests already wait for the owner; "
                "ask the owner for an invite link",
            )
    raise PairingRefused("pending", "pairing request recorded; the owner of this instance has to approve it")


def _pair(key: str, name: str, url: str) -> Peer:
    peer, _ = Peer.objects.update_or_create(
        author=key, defaults={"name": clean_peer_name(name)[:200], "url": url[:2000], "state": Peer.PAIRED}
    )
    return peer


def _record_request(key: str, name: str, url: str, direction: str, now: dt.datetime) -> bool:
    """Record (or refresh) a request; False when it was not recorded because too many wait."""
    existing = PairingRequest.objects.filter(author=key, direction=direction).first()
    if existing is None and direction == PairingRequest.INCOMING:
        if PairingRequest.objects.filter(direction=direction, state=PairingRequest.PENDING).count() >= MAX_PENDING_REQUESTS:
            return False  # too many strangers waiting: do not let them grow the table
    if existing and existing.state == PairingRequest.REFUSED and direction == PairingRequest.INCOMING:
        return True  # refused stays refused; the owner can still approve it later
    PairingRequest.objects.update_or_create(
        author=key, direction=direction, defaults={"name": clean_peer_name(name)[:200], "url": url[:2000], "state": PairingRequest.PENDING, "created": now}
    )
    return True


def record_paired(*, key: str, name: str, url: str) -> Peer:
    """The dialing side after an invite was accepted: the dialed key is now a peer."""
    with transaction.atomic():
        PairingRequest.objects.filter(author=key).delete()
        existing = Peer.objects.filter(author=key).first()
        if existing and existing.state == Peer.BLOCKED:
            return existing
        return _pair(key, name, url)


def record_outgoing_request(*, key: str, name: str, url: str, now: dt.datetime | None = None) -> None:
    """We asked `key` (at `url`) to pair: admit it when it dials back after approval."""
    _record_request(key, name, url, PairingRequest.OUTGOING, now or timezone.now())


def pending_requests() -> list[dict]:
    rows = PairingRequest.objects.filter(state=PairingRequest.PENDING).order_by("created")
    return [
        {"id": r.id, "author": r.author, "name": r.name, "url": r.url, "direction": r.direction, "created": r.created.isoformat()}
        for r in rows
    ]


def approve(request_id: int) -> Peer:
    """Approve an incoming pairing request: the requester becomes a paired peer
    and the running instance dials it (its hello carried its URL)."""
    with transaction.atomic():
        req = PairingRequest.objects.filter(id=request_id, direction=PairingRequest.INCOMING).first()
        if req is None:
            raise LookupError(f"no incoming pairing request {request_id}")
        req.state = PairingRequest.APPROVED
        req.save(update_fields=["state"])
        return _pair(req.author, req.name, req.url)


def refuse(request_id: int) -> None:
    updated = PairingRequest.objects.filter(id=request_id, direction=PairingRequest.INCOMING).update(state=PairingRequest.REFUSED)
    if not updated:
        raise LookupError(f"no incoming pairing request {request_id}")


def find_peer_key(prefix: str) -> str:
    """A full author id from a unique prefix (of at least 8 hex chars) or a full id."""
    prefix = prefix.strip().lower()
    if HEX64.match(prefix):
        return prefix
    if len(prefix) < 8:
        raise LookupError("give at least 8 hex chars of the key")
    keys = list(Peer.objects.filter(author__startswith=prefix).values_list("author", flat=True))
    keys += list(PairingRequest.objects.filter(author__startswith=prefix).values_list("author", flat=True))
    keys = sorted(set(keys))
    if len(keys) != 1:
        raise LookupError(f"{len(keys)} keys start with {prefix}")
    return keys[0]


def unpair(author: str) -> bool:
    """Stop replicating with `author` (its entries already stored stay). Returns whether it was paired."""
    with transaction.atomic():
        PairingRequest.objects.filter(author=author).delete()
        log.drop_own_feed_claims(author)  # a claim on our own feed dies with the pairing (section 3.3)
        return Peer.objects.filter(author=author, state=Peer.PAIRED).delete()[0] > 0


def block(author: str) -> None:
    """Block `author`: refuse its connections, neither store nor relay its entries (docs/PROTOCOL.md section 3.2)."""
    with transaction.atomic():
        PairingRequest.objects.filter(author=author).delete()
        log.drop_own_feed_claims(author)
        Peer.objects.update_or_create(author=author, defaults={"state": Peer.BLOCKED, "connected": False})


def decide_fork(author: str, decision: str) -> None:
    """The owner's decision about an author with fork evidence (docs/PROTOCOL.md
    section 2.5): keep extending the branch we hold, or block the author."""
    with transaction.atomic():
        log.decide_fork(author, decision)
        if decision == "block":
            block(author)


def unblock(author: str) -> None:
    Peer.objects.filter(author=author, state=Peer.BLOCKED).delete()


def blocked_authors() -> set[str]:
    # Read with every stored frame and live push: plain SQL, cheaper than building the query.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT author FROM {Peer._meta.db_table} WHERE state = %s", [Peer.BLOCKED])
        return {author for (author,) in cursor.fetchall()}
