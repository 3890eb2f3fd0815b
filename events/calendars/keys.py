"""What calendars seal, and how members open it (docs/PROTOCOL.md section 6.3).

Pure module: no Django. A calendar that is not public has keys in epochs;
each epoch has a *busy* key (event times, the calendar's name and colour)
and a *details* key (everything else). Each member gets the current epoch's
keys it may hold sealed to its X25519 key; the keys of earlier epochs
travel encrypted under the current ones, so a new member reads the past.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from events.calendars.bodies import PUT, SEALED, BodyError, SealedEvent, check_meta
from events.canonical import canonical
from events.sealing import SealError, b64, context, decrypt, encrypt, new_key, seal, unb64, unseal

BUSY_FIELDS = ("start", "end", "all_day", "tz", "rrule", "exdates")
BUSY_TITLE = "Busy"


@dataclass(frozen=True)
class EpochKeys:
    busy: bytes
    details: bytes | None  # None for a free/busy member

    @classmethod
    def new(cls) -> EpochKeys:
        return cls(new_key(), new_key())

    def for_role(self, role: str) -> EpochKeys:
        return self if role != "busy" else EpochKeys(self.busy, None)

    def to_json(self) -> dict:
        return {"busy": self.busy.hex(), **({"details": self.details.hex()} if self.details else {})}

    @classmethod
    def from_json(cls, data: dict) -> EpochKeys:
        busy, details = data.get("busy"), data.get("details")
        if not isinstance(busy, str) or not (details is None or isinstance(details, str)):
            raise SealError("keys must be hex")
        try:
            keys = cls(bytes.fromhex(busy), bytes.fromhex(details) if details else None)
        except ValueError:
            raise SealError("keys must be hex") from None
        if len(keys.busy) != 32 or (keys.details is not None and len(keys.details) != 32):
            raise SealError("keys must be 32 bytes")
        return keys


def _json(data: bytes) -> dict:
    try:
        value = json.loads(data)
    except ValueError:
        raise SealError("decrypted text is not JSON") from None
    if not isinstance(value, dict):
        raise SealError("decrypted text is not an object")
    return value


def seal_member_keys(keys: EpochKeys, *, to: bytes, owner: str, calendar: str, epoch: int, member: str) -> str:
    aad = context(owner=owner, calendar=calendar, epoch=epoch, to=member, part="keys")
    return b64(seal(to, canonical(keys.to_json()), aad))


def open_member_keys(private: X25519PrivateKey, box: str, *, owner: str, calendar: str, epoch: int, me: str) -> EpochKeys:
    aad = context(owner=owner, calendar=calendar, epoch=epoch, to=me, part="keys")
    return EpochKeys.from_json(_json(unseal(private, unb64(box), aad)))


def seal_history(current: EpochKeys, past: dict[int, EpochKeys], *, owner: str, calendar: str, epoch: int) -> dict:
    """Earlier epochs' keys under the current ones: busy keys under the busy
    key, details keys under the details key."""
    if not past:
        return {}
    out = {}
    for part, key in (("busy", current.busy), ("details", current.details)):
        if key is None:  # only the owner seals a history, and it holds both keys
            continue
        values = {str(e): getattr(k, part).hex() for e, k in sorted(past.items()) if getattr(k, part)}
        aad = context(owner=owner, calendar=calendar, epoch=epoch, part=f"history-{part}")
        out[part] = b64(encrypt(key, canonical(values), aad))
    return out


def open_history(current: EpochKeys, history: dict, *, owner: str, calendar: str, epoch: int) -> dict[int, EpochKeys]:
    parts: dict[str, dict] = {}
    for part, key in (("busy", current.busy), ("details", current.details)):
        if key is None or part not in history:
            continue
        aad = context(owner=owner, calendar=calendar, epoch=epoch, part=f"history-{part}")
        parts[part] = _json(decrypt(key, unb64(history[part]), aad))
    out = {}
    for e, busy in parts.get("busy", {}).items():
        details = parts.get("details", {}).get(e)
        out[int(e)] = EpochKeys.from_json({"busy": busy, **({"details": details} if details else {})})
    return out


def seal_meta(meta: dict, keys: EpochKeys, *, owner: str, calendar: str, epoch: int) -> str:
    aad = context(owner=owner, calendar=calendar, epoch=epoch, part="meta")
    return b64(encrypt(keys.busy, canonical(check_meta(meta)), aad))


def open_meta(text: str, keys: EpochKeys, *, owner: str, calendar: str, epoch: int) -> dict:
    aad = context(owner=owner, calendar=calendar, epoch=epoch, part="meta")
    try:
        return check_meta(_json(decrypt(keys.busy, unb64(text), aad)))
    except BodyError as e:
        raise SealError(str(e)) from None


@lru_cache(maxsize=4096)  # a feed's writes to one calendar share their contexts
def _event_aad(author: str, owner: str, calendar: str, epoch: int, part: str) -> bytes:
    return context(author=author, owner=owner, calendar=calendar, epoch=epoch, part=part)


def seal_event(body: dict, keys: EpochKeys, *, author: str, owner: str, calendar: str, epoch: int) -> dict:
    """An `event.sealed` body from a plain `event.put`/`event.del` body: the
    key and times under the busy key, the rest of the event under details."""
    event = body.get("event") or {}
    times = {"type": body["type"], "uid": body["uid"], "recurrence_id": body.get("recurrence_id")}
    details = None
    if body["type"] == PUT:
        times["event"] = {name: event.get(name) for name in BUSY_FIELDS}
        rest = {name: value for name, value in event.items() if name not in BUSY_FIELDS}
        assert keys.details is not None, "only members who may read details write events"
        aad = _event_aad(author, owner, calendar, epoch, "details")
        details = b64(encrypt(keys.details, canonical(rest), aad))
    busy = b64(encrypt(keys.busy, canonical(times), _event_aad(author, owner, calendar, epoch, "busy")))
    return {"type": SEALED, "owner": owner, "calendar": calendar, "epoch": epoch, "busy": busy, "details": details}


def open_event(sealed: SealedEvent, keys: EpochKeys, *, author: str) -> tuple[dict, bool]:
    """The plain body of a sealed event and whether only its times could be
    read (a free/busy member): then the title is BUSY_TITLE and nothing else
    of the details is there. SealError when it does not open."""
    owner, calendar, epoch = sealed.owner, sealed.calendar, sealed.epoch
    body = _json(decrypt(keys.busy, unb64(sealed.busy), _event_aad(author, owner, calendar, epoch, "busy")))
    if body.get("type") != PUT:
        return body, False
    event = body.get("event")
    if not isinstance(event, dict) or sealed.details is None:
        raise SealError("a sealed event.put carries its times and details")
    if keys.details is None:
        body["event"] = {**event, "title": BUSY_TITLE, "location": None, "description": None}
        return body, True
    rest = _json(decrypt(keys.details, unb64(sealed.details), _event_aad(author, owner, calendar, epoch, "details")))
    body["event"] = {**rest, **{name: event.get(name) for name in BUSY_FIELDS}}
    return body, False
