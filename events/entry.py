"""Entries of the log (docs/PROTOCOL.md section 2): validation, signing and hashing.

Pure module: no Django. `parse_entry` applies the rules a receiver checks
before looking at its store (fields, limits, signature); `check_linkage`
applies the ones checked after (links, body); `prev` needs the store and
lives in `events.log`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events.canonical import (
    MAX_DEPTH,
    NotCanonicalJSON,
    canonical,
    deeper_than,
    exactly_canonical,
    loads_strict,
)
from events.recurrence.bounds import bounds_problem

ENTRY_DOMAIN = b"calendar-p2p/entry/v1\n"
MAX_ENTRY_BYTES = 65_536
MAX_LINKS = 64
MAX_BODY_TYPE = 64
FIELDS = frozenset({"author", "seq", "prev", "links", "time", "body", "sig"})
# `time` (ms since the Unix epoch) from 1970 to the last millisecond of 9999 UTC:
# an instant every reader can format (Python's datetime, JavaScript's Date,
# iCalendar's four-digit years) and every clock can have written.
MIN_TIME, MAX_TIME = 0, 253_402_300_799_999

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SHOWN_RANGE = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC))


def time_of(ms: int, zone: tzinfo = UTC) -> datetime:
    """An entry's `time` as an aware datetime in `zone`, for people and
    iCalendar. Entries stored before `time` had a range may hold any integer:
    those are clamped to a day inside Python's years 1..9999, so that every
    zone can show them."""
    lo, hi = _SHOWN_RANGE
    try:
        moment = _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        moment = lo if ms < 0 else hi
    return min(max(moment, lo), hi).astimezone(zone)


HEX64 = re.compile(r"[0-9a-f]{64}\Z")
HEX128 = re.compile(r"[0-9a-f]{128}\Z")


class EntryInvalid(ValueError):
    """An entry broke one of the rules of docs/PROTOCOL.md section 2.3; `rule` names it."""

    def __init__(self, rule: str, message: str):
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message


@dataclass(frozen=True, slots=True)
class Entry:
    author: str
    seq: int
    prev: str | None
    links: tuple[str, ...]
    time: int
    body: dict
    sig: str
    hash: str
    raw: bytes  # canonical encoding, signature included

    def as_dict(self) -> dict[str, Any]:
        return {
            "author": self.author,
            "seq": self.seq,
            "prev": self.prev,
            "links": list(self.links),
            "time": self.time,
            "body": self.body,
            "sig": self.sig,
        }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_fields(obj: Any) -> None:
    if not isinstance(obj, dict):
        raise EntryInvalid("fields", "an entry must be a JSON object")
    keys = set(obj)
    if keys != FIELDS:
        missing, extra = sorted(FIELDS - keys), sorted(keys - FIELDS)
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unexpected {', '.join(map(str, extra))}"] if extra else []
        raise EntryInvalid("fields", "; ".join(parts))
    if not isinstance(obj["author"], str) or not HEX64.match(obj["author"]):
        raise EntryInvalid("fields", "author must be 64 lowercase hex chars")
    if not _is_int(obj["seq"]) or obj["seq"] < 1:
        raise EntryInvalid("fields", "seq must be an integer >= 1")
    prev = obj["prev"]
    if prev is not None and (not isinstance(prev, str) or not HEX64.match(prev)):
        raise EntryInvalid("fields", "prev must be null or 64 lowercase hex chars")
    if not isinstance(obj["links"], list):
        raise EntryInvalid("fields", "links must be a list")
    if not _is_int(obj["time"]) or not MIN_TIME <= obj["time"] <= MAX_TIME:
        raise EntryInvalid("fields", f"time must be an integer from 0 to {MAX_TIME} (milliseconds, years 1970 to 9999)")
    if not isinstance(obj["body"], dict):
        raise EntryInvalid("fields", "body must be an object")
    if not isinstance(obj["sig"], str) or not HEX128.match(obj["sig"]):
        raise EntryInvalid("fields", "sig must be 128 lowercase hex chars")


def signed_bytes(obj: dict) -> bytes:
    return ENTRY_DOMAIN + canonical({k: v for k, v in obj.items() if k != "sig"})


@lru_cache(maxsize=4096)
def _public_key(author: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(author))


def _signed_part(obj: dict, raw: bytes) -> bytes:
    """The signed bytes, cut out of the canonical entry instead of encoding it
    again: with keys sorted, `"sig"` sits between `"seq"` and `"time"`, and its
    last occurrence is the top-level one (nothing after it but the time)."""
    needle = b',"sig":"' + obj["sig"].encode() + b'"'
    at = raw.rfind(needle)
    return ENTRY_DOMAIN + raw[:at] + raw[at + len(needle):]


def _with_sig(unsigned: bytes, sig: str) -> bytes:
    """The canonical entry from its canonical bytes without `sig`, which sorts
    between `"seq"` and `"time"`, the last key (an integer): the inverse of
    `_signed_part`, and half the cost of encoding the entry again."""
    at = unsigned.rfind(b',"time":')
    return unsigned[:at] + b',"sig":"' + sig.encode() + b'"' + unsigned[at:]


@lru_cache(maxsize=16)
def _author_of(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes_raw().hex()


def verify_signature(obj: dict, raw: bytes | None = None) -> bool:
    message = signed_bytes(obj) if raw is None else _signed_part(obj, raw)
    try:
        _public_key(obj["author"]).verify(bytes.fromhex(obj["sig"]), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def parse_entry(text: str | bytes | dict) -> Entry:
    """Apply the rules `fields`, `limits` and `signature`, in that order.

    Accepts JSON text (as received) or an already parsed object (from a frame
    that was parsed strictly). Raises EntryInvalid and nothing else.
    """
    raw: bytes
    if isinstance(text, bytes) and (obj := exactly_canonical(text)) is not None:
        _check_fields(obj)  # the common case: the text is the entry's canonical bytes
        raw = text
    else:
        obj, raw = _parsed_strictly(text)
    if len(raw) > MAX_ENTRY_BYTES:
        raise EntryInvalid("limits", f"canonical encoding is {len(raw)} bytes, more than {MAX_ENTRY_BYTES}")
    if deeper_than(obj, MAX_DEPTH, encoded=raw):
        raise EntryInvalid("limits", f"nested deeper than {MAX_DEPTH}")
    if not verify_signature(obj, raw):
        raise EntryInvalid("signature", "the signature does not verify under author")
    return _entry(obj, raw)


def _parsed_strictly(text: str | bytes | bytearray | dict) -> tuple[dict, bytes]:
    try:
        obj = loads_strict(text) if isinstance(text, str | bytes | bytearray) else text
    except NotCanonicalJSON as e:
        raise EntryInvalid(e.rule, str(e)) from None
    _check_fields(obj)
    try:
        return obj, canonical(obj)
    except UnicodeEncodeError:
        raise EntryInvalid("fields", "strings must be valid Unicode (lone surrogate)") from None
    except (TypeError, ValueError) as e:  # a float smuggled in a parsed object
        raise EntryInvalid("fields", f"not canonical JSON: {e}") from None


def _entry(obj: dict, raw: bytes, known_hash: str | None = None) -> Entry:
    return Entry(
        author=obj["author"],
        seq=obj["seq"],
        prev=obj["prev"],
        links=tuple(obj["links"]),
        time=obj["time"],
        body=obj["body"],
        sig=obj["sig"],
        hash=known_hash or hashlib.sha256(raw).hexdigest(),
        raw=raw,
    )


@dataclass(frozen=True, slots=True)
class LinkedEntry(Entry):
    """An Entry that passed the stateless rules of step 4 too (`links`, `body`,
    `bounds`: `check_linkage`), so that a receiver need not apply them again."""


def linkage_holds(entry: Entry) -> bool:
    """Whether `check_linkage` passes: a verify worker applies it ahead of time,
    sparing the thread that stores; a failure is found there again in its turn,
    after `prev` (docs/PROTOCOL.md section 2.4)."""
    try:
        check_linkage(entry)
    except EntryInvalid:
        return False
    return True


def parse_linked(text: str | bytes | dict) -> Entry:
    """`parse_entry`, then a LinkedEntry when `linkage_holds`, else the plain Entry."""
    entry = parse_entry(text)
    if not linkage_holds(entry):
        return entry
    return LinkedEntry(author=entry.author, seq=entry.seq, prev=entry.prev, links=entry.links, time=entry.time,
                       body=entry.body, sig=entry.sig, hash=entry.hash, raw=entry.raw)


def rebuilt(obj: dict, raw: bytes, hash: str, *, linked: bool) -> Entry:
    """The Entry of `obj`, whose canonical bytes `raw` (hashing to `hash`)
    passed `parse_entry` elsewhere (a verify worker): a LinkedEntry if
    `linkage_holds` there too."""
    return (LinkedEntry if linked else Entry)(
        author=obj["author"], seq=obj["seq"], prev=obj["prev"], links=tuple(obj["links"]), time=obj["time"],
        body=obj["body"], sig=obj["sig"], hash=hash, raw=raw,
    )


def check_prev(entry: Entry, held_hash: str | None) -> None:
    """`held_hash`: hash of the stored entry (author, seq-1), None for seq 1."""
    if entry.seq == 1:
        if entry.prev is not None:
            raise EntryInvalid("prev", "the first entry of a feed must have prev null")
    elif entry.prev is None:
        raise EntryInvalid("prev", f"entry {entry.seq} must name its predecessor in prev")
    elif entry.prev != held_hash:
        raise EntryInvalid("prev", f"prev does not match the hash of entry {entry.seq - 1}")


def check_linkage(entry: Entry) -> None:
    """Apply the rules `links`, `body` then `bounds`."""
    links = entry.links
    if len(links) > MAX_LINKS:
        raise EntryInvalid("links", f"{len(links)} links, more than {MAX_LINKS}")
    if not all(isinstance(h, str) and HEX64.match(h) for h in links):
        raise EntryInvalid("links", "every link must be 64 lowercase hex chars")
    if list(links) != sorted(set(links)):
        raise EntryInvalid("links", "links must be sorted ascending with no duplicates")
    if entry.hash in links:
        raise EntryInvalid("links", "an entry cannot link to itself")
    kind = entry.body.get("type")
    if not isinstance(kind, str) or not 1 <= len(kind) <= MAX_BODY_TYPE:
        raise EntryInvalid("body", f"body.type must be a string of 1 to {MAX_BODY_TYPE} characters")
    if problem := bounds_problem(entry.body):
        raise EntryInvalid("bounds", problem)


def sign_entry(
    key: Ed25519PrivateKey,
    *,
    seq: int,
    prev: str | None,
    body: dict,
    time: int,
    links: list[str] | tuple[str, ...] = (),
) -> Entry:
    """Make and sign an entry with `key`; the result passes every rule."""
    if not MIN_TIME <= time <= MAX_TIME:
        raise EntryInvalid("fields", f"time must be an integer from 0 to {MAX_TIME} (milliseconds, years 1970 to 9999)")
    obj: dict[str, Any] = {
        "author": _author_of(key),
        "seq": seq,
        "prev": prev,
        "links": sorted(set(links)),
        "time": time,
        "body": body,
    }
    unsigned = canonical(obj)
    obj["sig"] = key.sign(ENTRY_DOMAIN + unsigned).hex()
    entry = _entry(obj, _with_sig(unsigned, obj["sig"]))
    if len(entry.raw) > MAX_ENTRY_BYTES:
        raise EntryInvalid("limits", f"canonical encoding is {len(entry.raw)} bytes, more than {MAX_ENTRY_BYTES}")
    if deeper_than(obj, MAX_DEPTH, encoded=entry.raw):
        raise EntryInvalid("limits", f"nested deeper than {MAX_DEPTH}")
    check_linkage(entry)
    return entry


def decode_stored(raw: str | bytes, hash: str | None = None) -> Entry:
    """Rebuild an Entry from bytes this replica validated when it stored them."""
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    return _entry(json.loads(data), data, hash)
