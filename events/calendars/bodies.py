"""The body types of calendars (docs/PROTOCOL.md section 6): parsed and checked.

Pure module: no Django. A malformed body is a valid entry that the fold
leaves out (`BodyError` says why); nothing here decrypts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

KEY_PUBLISH = "key.publish"
CALENDAR = "calendar"
SEALED = "event.sealed"
PUT, DEL = "event.put", "event.del"

ROLES = ("busy", "details", "editor")
MAX_MEMBERS = 100
MAX_EPOCH = 100_000
MAX_NAME = 100
LEGACY = ""  # the calendar of events written before calendars: shared with every peer, anyone writes

CALENDAR_ID = re.compile(r"[0-9a-f]{32}\Z")
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
COLOUR = re.compile(r"#[0-9a-f]{6}\Z")


class BodyError(ValueError):
    """A calendar body the fold cannot use."""


def ref(owner: str, calendar: str) -> str:
    """The one string that names a calendar everywhere: its owner and its id."""
    return f"{owner}.{calendar}"


def split_ref(value: str) -> tuple[str, str]:
    owner, _, calendar = value.partition(".")
    return owner, calendar


@dataclass(frozen=True)
class Member:
    role: str
    since: int  # the member's own seq from which an editor's writes count (docs/PROTOCOL.md section 6.5)


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """A `calendar` body: the whole state of one calendar as its owner set it."""

    calendar: str
    public: bool
    epoch: int
    meta: Any  # {"name", "colour"} for a public calendar, else base64 ciphertext
    members: dict[str, Member]
    until: dict[str, int]
    keys: dict[str, str]
    history: dict[str, str]
    deleted: bool


def _int(value: object, lo: int, hi: int, what: str) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise BodyError(f"{what} must be an integer from {lo} to {hi}")
    return value


def _authors(value: object, what: str) -> dict:
    if not isinstance(value, dict) or len(value) > MAX_MEMBERS + 1:
        raise BodyError(f"{what} must be an object of at most {MAX_MEMBERS + 1} authors")
    for author in value:
        if not HEX64.match(author):
            raise BodyError(f"{what}: {author[:70]!r} is not an author id")
    return value


def check_meta(meta: object) -> dict:
    """A calendar's name and colour, as stored in the clear or after decryption."""
    if not isinstance(meta, dict):
        raise BodyError("meta must be an object")
    name, colour = meta.get("name"), meta.get("colour")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise BodyError(f"a calendar's name is 1 to {MAX_NAME} characters")
    if not isinstance(colour, str) or not COLOUR.match(colour):
        raise BodyError("a calendar's colour is #rrggbb in lowercase hex")
    return {"name": name, "colour": colour}


def parse_snapshot(body: dict) -> Snapshot:
    calendar = body.get("calendar")
    if not isinstance(calendar, str) or not CALENDAR_ID.match(calendar):
        raise BodyError("calendar must be 32 lowercase hex characters")
    public = body.get("public")
    if not isinstance(public, bool):
        raise BodyError("public must be true or false")
    epoch = _int(body.get("epoch"), 0, MAX_EPOCH, "epoch")
    members: dict[str, Member] = {}
    for author, member in _authors(body.get("members"), "members").items():
        if not isinstance(member, dict) or member.get("role") not in ROLES:
            raise BodyError(f"member {author[:12]}: role must be one of {', '.join(ROLES)}")
        members[author] = Member(member["role"], _int(member.get("since", 1), 1, 2**63 - 1, "since"))
    until = {a: _int(s, 0, 2**63 - 1, "until") for a, s in _authors(body.get("until", {}), "until").items()}
    keys = _authors(body.get("keys", {}), "keys")
    history = body.get("history", {})
    if not isinstance(history, dict) or not set(history) <= {"busy", "details"}:
        raise BodyError("history must be an object with busy and details")
    meta = body.get("meta")
    if public:
        meta = check_meta(meta)
        if keys:
            raise BodyError("a public calendar has no keys")
    elif not isinstance(meta, str):
        raise BodyError("a calendar that is not public keeps its meta encrypted")
    deleted = body.get("deleted", False)
    if not isinstance(deleted, bool):
        raise BodyError("deleted must be true or false")
    return Snapshot(calendar=calendar, public=public, epoch=epoch, meta=meta, members=members, until=until,
                    keys=dict(keys), history=dict(history), deleted=deleted)


@dataclass(frozen=True)
class SealedEvent:
    owner: str
    calendar: str
    epoch: int
    busy: str
    details: str | None


def parse_sealed(body: dict) -> SealedEvent:
    owner, calendar = body.get("owner"), body.get("calendar")
    if not isinstance(owner, str) or not HEX64.match(owner):
        raise BodyError("owner must be an author id")
    if not isinstance(calendar, str) or not CALENDAR_ID.match(calendar):
        raise BodyError("calendar must be 32 lowercase hex characters")
    epoch = _int(body.get("epoch"), 0, MAX_EPOCH, "epoch")
    busy, details = body.get("busy"), body.get("details")
    if not isinstance(busy, str) or not (details is None or isinstance(details, str)):
        raise BodyError("busy must be a string and details a string or null")
    return SealedEvent(owner, calendar, epoch, busy, details)


def calendar_of(body: dict) -> str | None:
    """The calendar a plain `event.put`/`event.del` names: LEGACY when it
    names none, None when what it names is malformed."""
    owner, calendar = body.get("owner"), body.get("calendar")
    if owner is None and calendar is None:
        return LEGACY
    if isinstance(owner, str) and HEX64.match(owner) and isinstance(calendar, str) and CALENDAR_ID.match(calendar):
        return ref(owner, calendar)
    return None


def published_key(body: dict) -> bytes:
    key = body.get("x25519")
    if not isinstance(key, str) or not HEX64.match(key):
        raise BodyError("x25519 must be 64 lowercase hex characters")
    return bytes.fromhex(key)
