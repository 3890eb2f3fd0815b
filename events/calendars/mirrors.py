"""Mirrors in the index (docs/PROTOCOL.md section 6.8): which mirror each
author names, the invites its mirror may accept for it, and the peers a
mirror paired for its owner. Folded like the rest of the index."""

from __future__ import annotations

import json
import logging

from events.calendars.bodies import HEX64
from events.entry import Entry
from events.models import IndexDirectory
from events.routers import INDEX_DB as DB

logger = logging.getLogger(__name__)

MIRROR, INVITE, MIRROR_PAIRED = "mirror", "invite", "mirror.paired"
TYPES = (MIRROR, INVITE, MIRROR_PAIRED)
MAX_URL = 2000
MAX_NAME = 200


def _problem(entry: Entry) -> tuple[str, dict] | str:
    """(subject, what to keep) for a well-formed body, else why not."""
    body = entry.body
    kind = body.get("type")
    if kind == MIRROR:
        mirror, url = body.get("mirror"), body.get("url")
        if mirror is not None and (not isinstance(mirror, str) or not HEX64.match(mirror)):
            return "mirror must be an author id or null"
        if mirror is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > MAX_URL):
            return "url must be an http(s) URL"
        return "", {"mirror": mirror, "url": url if mirror else None}
    if kind == INVITE:
        token, expires = body.get("token"), body.get("expires")
        if not isinstance(token, str) or not HEX64.match(token) or type(expires) is not int:
            return "an invite has a token hash (64 hex) and an integer expiry"
        return token, {"expires": expires}
    owner, peer, name, token = body.get("owner"), body.get("peer"), body.get("name"), body.get("invite")
    if not all(isinstance(v, str) and HEX64.match(v) for v in (owner, peer, token)):
        return "mirror.paired names an owner, a peer and an invite hash"
    if not isinstance(name, str) or len(name) > MAX_NAME:
        return f"name must be a string of at most {MAX_NAME} characters"
    return peer, {"owner": owner, "name": name, "invite": token}


def fold(entry: Entry) -> None:
    found = _problem(entry)
    if isinstance(found, str):
        logger.warning("%s entry %s of %s left out: %s", entry.body.get("type"), entry.hash[:12], entry.author[:12], found)
        return
    subject, keep = found
    kind = entry.body["type"]
    held = IndexDirectory.objects.using(DB).filter(kind=kind, author=entry.author, subject=subject).first()
    if held is None:
        IndexDirectory.objects.using(DB).create(kind=kind, author=entry.author, subject=subject, seq=entry.seq,
                                                body=json.dumps(keep))
    elif entry.seq > held.seq:
        held.seq, held.body = entry.seq, json.dumps(keep)
        held.save(using=DB)


def mirror_of(author: str) -> tuple[str, str] | None:
    """(the mirror's author id, its URL) that `author` names, if any."""
    body = IndexDirectory.objects.using(DB).filter(kind=MIRROR, author=author).values_list("body", flat=True).first()
    named = json.loads(body) if body else {}
    return (named["mirror"], named["url"]) if named.get("mirror") else None


def mirrors() -> dict[str, str]:
    """author -> the mirror it names."""
    out = {}
    for author, body in IndexDirectory.objects.using(DB).filter(kind=MIRROR).values_list("author", "body"):
        if mirror := json.loads(body).get("mirror"):
            out[author] = mirror
    return out


def owners_of(mirror: str) -> set[str]:
    return {author for author, named in mirrors().items() if named == mirror}


def invite(owner: str, token_hash: str) -> int | None:
    """The expiry (ms) of `owner`'s invite with this token hash, if it published one."""
    body = IndexDirectory.objects.using(DB).filter(kind=INVITE, author=owner, subject=token_hash).values_list("body", flat=True).first()
    return json.loads(body)["expires"] if body else None


def invite_used(mirror: str, token_hash: str) -> bool:
    rows = IndexDirectory.objects.using(DB).filter(kind=MIRROR_PAIRED, author=mirror).values_list("body", flat=True)
    return any(json.loads(b)["invite"] == token_hash for b in rows)


def paired_for(owner: str) -> list[tuple[str, str, str]]:
    """(mirror, peer, name) of every peer a mirror of `owner` paired for it."""
    rows = IndexDirectory.objects.using(DB).filter(kind=MIRROR_PAIRED).values_list("author", "subject", "body")
    return [(m, p, json.loads(b)["name"]) for m, p, b in rows if json.loads(b)["owner"] == owner]
