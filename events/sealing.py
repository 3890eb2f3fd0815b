"""The two constructions calendars are encrypted with (docs/PROTOCOL.md section 6.3).

Pure module: no Django. Both come whole from `cryptography`, and both bind
their ciphertext to a *context* (author, calendar, epoch, part) given as
associated data, so a ciphertext copied into another entry, calendar or
epoch does not open.

- `seal`/`unseal`: to one recipient's X25519 public key. An ephemeral
  X25519 key agrees a secret with the recipient's key; HKDF-SHA256 turns it
  into a ChaCha20-Poly1305 key used once. The output is the ephemeral
  public key followed by the ciphertext.
- `encrypt`/`decrypt`: under a calendar's symmetric epoch key, with
  ChaCha20-Poly1305 and a random 96-bit nonce written before the ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from events.canonical import canonical

SEAL_INFO = b"calendar-p2p/seal/v1"
KEY_BYTES = 32
NONCE_BYTES = 12
_ZERO_NONCE = bytes(NONCE_BYTES)  # each sealing key is used exactly once


class SealError(ValueError):
    """A ciphertext that does not open: wrong key, wrong context, tampered or malformed."""


def context(**fields: object) -> bytes:
    """The associated data of a ciphertext: canonical JSON of what it belongs to."""
    return canonical(fields)


def _sealing_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=SEAL_INFO + ephemeral + recipient)
    return hkdf.derive(shared)


def seal(recipient: bytes, plaintext: bytes, aad: bytes, *, ephemeral: X25519PrivateKey | None = None) -> bytes:
    """Encrypt to the holder of the X25519 public key `recipient` (32 bytes).
    `ephemeral` is for test vectors only: a fresh key is made otherwise."""
    ephemeral = ephemeral or X25519PrivateKey.generate()
    eph_public = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    except ValueError as e:  # not 32 bytes, or a low-order point
        raise SealError(f"unusable recipient key: {e}") from None
    key = _sealing_key(shared, eph_public, recipient)
    return eph_public + ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, plaintext, aad)


def unseal(private: X25519PrivateKey, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < KEY_BYTES + 16:
        raise SealError("sealed box too short")
    eph_public, ciphertext = sealed[:KEY_BYTES], sealed[KEY_BYTES:]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_public))
    except ValueError as e:
        raise SealError(f"bad ephemeral key: {e}") from None
    key = _sealing_key(shared, eph_public, private.public_key().public_bytes_raw())
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, ciphertext, aad)
    except InvalidTag:
        raise SealError("sealed box does not open with this key and context") from None


def encrypt(key: bytes, plaintext: bytes, aad: bytes, *, nonce: bytes | None = None) -> bytes:
    """Encrypt under a 32-byte symmetric key; `nonce` is for test vectors only."""
    nonce = nonce or os.urandom(NONCE_BYTES)
    return nonce + ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)


def decrypt(key: bytes, data: bytes, aad: bytes) -> bytes:
    if len(data) < NONCE_BYTES + 16 or len(key) != KEY_BYTES:
        raise SealError("ciphertext too short")
    try:
        return ChaCha20Poly1305(key).decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], aad)
    except InvalidTag:
        raise SealError("ciphertext does not open with this key and context") from None


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, *, limit: int = 65_536) -> bytes:
    """Bytes from a base64 string of a body; SealError for anything else."""
    if not isinstance(text, str) or len(text) > limit:
        raise SealError("not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SealError("not valid base64") from None
