"""The instance's identity: its Ed25519 and X25519 key pairs and Django secret (docs/PROTOCOL.md section 1).

Both live as files in DATA_DIR, mode 0600, created atomically on first start
and never overwritten: losing or replacing the key would turn this instance
into a stranger to its peers.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

KEY_FILE = "identity.key"
ENCRYPTION_KEY_FILE = "encryption.key"  # X25519: calendars' keys are sealed to it (docs/PROTOCOL.md section 6)
SECRET_FILE = "secret_key"


def create_file_once(path: Path, content: bytes) -> bytes:
    """Write `content` to `path` unless it exists; return what the file holds.

    The content goes to a private temporary file first and is hard-linked into
    place, so a concurrent starter or a crash never leaves a half-written or
    world-readable file, and an existing file is never replaced.
    """
    if path.exists():
        return path.read_bytes()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def load_or_create_secret_key(data_dir: Path) -> str:
    return create_file_once(Path(data_dir) / SECRET_FILE, secrets.token_urlsafe(50).encode()).decode().strip()


def load_or_create_signing_key(data_dir: Path) -> Ed25519PrivateKey:
    fresh = Ed25519PrivateKey.generate().private_bytes_raw().hex().encode()
    seed = create_file_once(Path(data_dir) / KEY_FILE, fresh).decode().strip()
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))


def load_or_create_encryption_key(data_dir: Path) -> X25519PrivateKey:
    fresh = X25519PrivateKey.generate().private_bytes_raw().hex().encode()
    seed = create_file_once(Path(data_dir) / ENCRYPTION_KEY_FILE, fresh).decode().strip()
    return X25519PrivateKey.from_private_bytes(bytes.fromhex(seed))


def author_id(key: Ed25519PrivateKey) -> str:
    """The author id: the raw public key as 64 lowercase hex chars."""
    return key.public_key().public_bytes_raw().hex()
