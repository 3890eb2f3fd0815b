"""The wire protocol's messages (docs/PROTOCOL.md section 4): strict decoding, building, auth.

Pure module: no Django. `decode` turns one received text frame into a
message dict or raises ProtocolError with the code of docs/PROTOCOL.md section 4.3; the
builders return the text to send. Entries inside an `entries` frame are left
as parsed objects: validating them (docs/PROTOCOL.md section 2.3) is the log's job.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events.canonical import NotCanonicalJSON, canonical, loads_strict

VERSION = 2  # docs/PROTOCOL.md section 7: 2 added calendars, sealed events and the relay rule
MAX_FRAME_BYTES = 1024 * 1024
MAX_ENTRIES_PER_FRAME = 1000
MAX_SEQ = 2**63 - 1
MAX_NAME = 200
MAX_URL = 2000
MAX_FEEDS = 100_000
AUTH_DOMAIN = b"calendar-p2p/auth/v1\n"

HEX64 = re.compile(r"[0-9a-f]{64}\Z")
HEX128 = re.compile(r"[0-9a-f]{128}\Z")

TYPES = frozenset({"hello", "auth", "have", "entries", "ack", "want", "error"})
ERROR_CODES = frozenset(
    {
        "bad-frame",
        "too-large",
        "bad-entry",
        "fork",
        "not-paired",
        "pending",
        "bad-invite",
        "blocked",
        "version",
        "rate-limit",
    }
)
# docs/PROTOCOL.md section 4.3: the sender closes the connection after these.
CLOSING_CODES = frozenset({"bad-frame", "too-large", "version", "not-paired", "pending", "bad-invite", "blocked"})


class ProtocolError(Exception):
    """A peer broke docs/PROTOCOL.md section 4; `code` is the error code to answer with."""

    def __init__(self, code: str, message: str, hash: str | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.hash = hash

    @property
    def closes(self) -> bool:
        return self.code in CLOSING_CODES


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _hex64(msg: dict, field: str) -> str:
    value = msg.get(field)
    if not isinstance(value, str) or not HEX64.match(value):
        raise ProtocolError("bad-frame", f"{msg['type']}.{field} must be 64 lowercase hex chars")
    return value


def _optional_str(msg: dict, field: str, limit: int) -> str | None:
    value = msg.get(field)
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        raise ProtocolError("bad-frame", f"{msg['type']}.{field} must be null or a string of at most {limit} chars")
    return value


def _feeds(msg: dict) -> dict[str, int]:
    feeds = msg.get("feeds")
    if not isinstance(feeds, dict):
        raise ProtocolError("bad-frame", f"{msg['type']}.feeds must be an object")
    if len(feeds) > MAX_FEEDS:
        raise ProtocolError("bad-frame", f"{msg['type']}.feeds names more than {MAX_FEEDS} feeds")
    for author, seq in feeds.items():
        if not HEX64.match(author):
            raise ProtocolError("bad-frame", f"{msg['type']}.feeds: {author[:80]!r} is not an author id")
        if not _is_int(seq) or not 0 <= seq <= MAX_SEQ:
            raise ProtocolError("bad-frame", f"{msg['type']}.feeds: seq of {author[:12]} must be an integer from 0 to 2^63-1")
    return feeds


def clean_text(text: str) -> str:
    """`text` without control, format and separator characters (escape sequences, bidi
    overrides, line breaks): each becomes nothing, runs of spaces one space."""
    kept = "".join(" " if c.isspace() else c for c in text if unicodedata.category(c) not in _UNPRINTABLE or c.isspace())
    return " ".join(kept.split())


_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _check_hello(msg: dict) -> None:
    if not _is_int(msg.get("v")):
        raise ProtocolError("bad-frame", "hello.v must be an integer")
    if msg["v"] != VERSION:
        raise ProtocolError("version", f"this instance speaks protocol version {VERSION}, not {msg['v']}")
    _hex64(msg, "key")
    _hex64(msg, "nonce")
    name = msg.get("name")
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise ProtocolError("bad-frame", f"hello.name must be a string of at most {MAX_NAME} chars")
    msg["name"] = clean_text(name)  # shown on pages and printed by `peers`: no terminal escapes
    _optional_str(msg, "url", MAX_URL)
    _optional_str(msg, "invite", 200)


def _check_auth(msg: dict) -> None:
    sig = msg.get("sig")
    if not isinstance(sig, str) or not HEX128.match(sig):
        raise ProtocolError("bad-frame", "auth.sig must be 128 lowercase hex chars")


def _check_entries(msg: dict) -> None:
    entries = msg.get("entries")
    if not isinstance(entries, list):
        raise ProtocolError("bad-frame", "entries.entries must be a list")
    if len(entries) > MAX_ENTRIES_PER_FRAME:
        raise ProtocolError("too-large", f"{len(entries)} entries in one frame, more than {MAX_ENTRIES_PER_FRAME}")


def _check_error(msg: dict) -> None:
    if not isinstance(msg.get("code"), str):
        raise ProtocolError("bad-frame", "error.code must be a string")
    _optional_str(msg, "message", 10_000)
    hash_ = msg.get("hash")
    if hash_ is not None and not isinstance(hash_, str):
        raise ProtocolError("bad-frame", "error.hash must be null or a string")


CHECKS = {
    "hello": _check_hello,
    "auth": _check_auth,
    "have": _feeds,
    "ack": _feeds,
    "want": _feeds,
    "entries": _check_entries,
    "error": _check_error,
}


def decode(frame: str | bytes) -> dict:
    """Parse and check one received frame. Raises ProtocolError."""
    size = len(frame.encode("utf-8", "surrogatepass")) if isinstance(frame, str) else len(frame)
    if size > MAX_FRAME_BYTES:
        raise ProtocolError("too-large", f"frame of {size} bytes, more than {MAX_FRAME_BYTES}")
    try:
        msg = loads_strict(frame)
    except NotCanonicalJSON as e:
        raise ProtocolError("bad-frame", str(e)) from None
    if not isinstance(msg, dict):
        raise ProtocolError("bad-frame", "a frame must be a JSON object")
    kind = msg.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        raise ProtocolError("bad-frame", f"unknown frame type {str(kind)[:40]!r}")
    CHECKS[kind](msg)
    return msg


def encode(msg: dict) -> str:
    return canonical(msg).decode()


def new_nonce() -> str:
    return secrets.token_hex(32)


def hello(*, key: str, nonce: str, name: str, url: str | None, invite: str | None = None) -> str:
    return encode({"type": "hello", "v": VERSION, "key": key, "nonce": nonce, "name": name, "url": url, "invite": invite})


def auth_bytes(*, other_nonce: str, own_nonce: str, other_key: str, own_key: str) -> bytes:
    """docs/PROTOCOL.md section 4.1, step 2: what a side signs, from raw nonce and key bytes."""
    return AUTH_DOMAIN + b"".join(bytes.fromhex(h) for h in (other_nonce, own_nonce, other_key, own_key))


def auth(key: Ed25519PrivateKey, *, other_nonce: str, own_nonce: str, other_key: str, own_key: str) -> str:
    data = auth_bytes(other_nonce=other_nonce, own_nonce=own_nonce, other_key=other_key, own_key=own_key)
    return encode({"type": "auth", "sig": key.sign(data).hex()})


def verify_auth(sig: str, *, signer_key: str, signer_nonce: str, verifier_key: str, verifier_nonce: str) -> bool:
    """Check the other side's auth: it signed with our nonce and key as 'other'."""
    data = auth_bytes(other_nonce=verifier_nonce, own_nonce=signer_nonce, other_key=verifier_key, own_key=signer_key)
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(signer_key)).verify(bytes.fromhex(sig), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def have(feeds: dict[str, int], *, more: bool = False) -> str:
    return encode({"type": "have", "feeds": feeds, **({"more": True} if more else {})})


HAVE_CHUNK = 10_000  # feeds per `have` frame: at most about 880 KB, under the frame limit


def have_frames(feeds: dict[str, int]) -> list[str]:
    """A vector as `have` frames within the frame limit (docs/PROTOCOL.md
    section 4.2): one frame up to HAVE_CHUNK feeds, more beyond, each but the
    last marked `"more": true`; the other side merges them."""
    items = sorted(feeds.items())
    starts = range(0, len(items), HAVE_CHUNK)
    return [have(dict(items[i : i + HAVE_CHUNK]), more=i + HAVE_CHUNK < len(items)) for i in starts] or [have({})]


def ack(feeds: dict[str, int]) -> str:
    return encode({"type": "ack", "feeds": feeds})


def want(feeds: dict[str, int]) -> str:
    return encode({"type": "want", "feeds": feeds})


def error(code: str, message: str, hash: str | None = None) -> str:
    return encode({"type": "error", "code": code, "message": message, "hash": hash})


FRAME_OVERHEAD = len('{"entries":[],"type":"entries"}')
FRAME_BUDGET = MAX_FRAME_BYTES - 1024


def entries_frame(raws: Iterable[bytes]) -> str:
    """An entries frame from canonical entry bytes, without re-encoding them."""
    return '{"entries":[' + b",".join(raws).decode() + '],"type":"entries"}'


def pack_entries(raws: Iterable[bytes], *, limit: int = MAX_ENTRIES_PER_FRAME, budget: int = FRAME_BUDGET) -> Iterable[list[bytes]]:
    """Group canonical entries into frame-sized lists (count and bytes capped)."""
    batch: list[bytes] = []
    size = FRAME_OVERHEAD
    for raw in raws:
        if batch and (len(batch) >= limit or size + len(raw) + 1 > budget):
            yield batch
            batch, size = [], FRAME_OVERHEAD
        batch.append(raw)
        size += len(raw) + 1
    if batch:
        yield batch


def entry_hash(item: Any) -> str | None:
    """The hash an offered entry would have, if it can be encoded at all."""
    try:
        return hashlib.sha256(canonical(item)).hexdigest() if isinstance(item, dict) else None
    except (TypeError, ValueError, UnicodeEncodeError):
        return None
