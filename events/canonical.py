"""Canonical JSON (docs/PROTOCOL.md section 2.2): the one byte form that is signed and hashed.

Pure module: no Django. Parsing is strict (no duplicate keys, no floats, no
NaN or Infinity) because two replicas must agree on every byte.
"""

from __future__ import annotations

import json
import sys
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

MAX_DEPTH = 16


class NotCanonicalJSON(ValueError):
    """The text is not JSON we accept; `rule` says which entry rule it breaks."""

    def __init__(self, message: str, rule: str = "fields"):
        super().__init__(message)
        self.rule = rule


def _slow_canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# The encoder `json.dumps` builds on every call, with these options, built once:
# that was half of the cost of encoding an entry, which every entry received
# from a peer and every entry signed pays. Without json.dumps' cycle markers (a
# value parsed from JSON cannot hold a cycle; one built in code would raise
# RecursionError instead of ValueError).
_encoder = (
    c_make_encoder(None, json.JSONEncoder().default, encode_basestring, None, ":", ",", True, False, True)
    if c_make_encoder is not None
    else None
)


def canonical(value: Any) -> bytes:
    if _encoder is None:  # a Python built without the C encoder
        return _slow_canonical(value)
    return "".join(_encoder(value, 0)).encode()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise NotCanonicalJSON(f"duplicate key {dup!r}")
    return obj


def _reject_float(text: str) -> Any:
    raise NotCanonicalJSON(f"floats are not allowed ({text})")


def _reject_constant(text: str) -> Any:
    raise NotCanonicalJSON(f"{text} is not allowed")


_decoder = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_float=_reject_float, parse_constant=_reject_constant
)


def loads_strict(text: str | bytes | bytearray) -> Any:
    """Parse JSON text under the entry rules; raise NotCanonicalJSON on anything else."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise NotCanonicalJSON(f"not UTF-8 at byte {e.start}") from None
    try:
        value, end = _decoder.raw_decode(text, _skip_ws(text, 0))
    except NotCanonicalJSON:
        raise
    except RecursionError:
        raise NotCanonicalJSON(f"nested deeper than {MAX_DEPTH}", rule="limits") from None
    except json.JSONDecodeError as e:
        raise NotCanonicalJSON(f"not JSON: {e.msg} at position {e.pos}") from None
    except ValueError:  # Python refuses to convert an integer this long (sys.get_int_max_str_digits)
        raise NotCanonicalJSON(f"an integer of more than {sys.get_int_max_str_digits()} digits", rule="limits") from None
    if _skip_ws(text, end) != len(text):
        raise NotCanonicalJSON(f"not JSON: extra data at position {end}")
    return value


# Without the duplicate-key hook, which costs a third of the parse: `exactly_canonical` needs none.
_plain_decoder = json.JSONDecoder(parse_float=_reject_float, parse_constant=_reject_constant)


def exactly_canonical(data: bytes) -> Any | None:
    """The value `data` encodes if `data` is byte for byte its canonical
    encoding, else None. Such a value is the one `loads_strict` gives: a
    duplicate key could not survive the re-encoding unchanged, and a float
    or constant is refused while parsing. Entries arrive in this form, so
    the strict parse is left for the others (and for naming what is wrong)."""
    try:
        value = _plain_decoder.decode(data.decode("utf-8"))
        return value if canonical(value) == data else None
    except (ValueError, RecursionError):  # not UTF-8 or JSON, a float, a lone surrogate: let the strict parse say
        return None


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


def deeper_than(value: Any, limit: int = MAX_DEPTH, *, encoded: bytes | None = None) -> bool:
    """Whether the nesting depth exceeds `limit` (a scalar is 0, a list or
    object 1 + its deepest item). Iterative, so hostile input cannot exhaust
    the stack. With the value's JSON `encoded`, a cheap count settles the
    common case: at most `limit` brackets in all cannot nest deeper (brackets
    inside strings only make the count larger)."""
    if encoded is not None and encoded.count(b"[") + encoded.count(b"{") <= limit:
        return False
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if level + 1 > limit:
                return True
            stack.extend((child, level + 1) for child in item)
    return False
