"""FeedWriter: signs the consecutive entries of one feed, for tests and benchmarks.

Production code signs only its own feed, from the log's stored head
(`events.log.append_local`); tests and benchmarks need other authors whose
chains they build in memory, and sign them all through this one helper.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.entry import Entry, sign_entry


class FeedWriter:
    """Signs the consecutive entries of one feed with a key of its own (a new
    one by default): another author. `seq` and `prev` continue a feed after
    its entry `seq`, whose hash is `prev`."""

    def __init__(self, key: Ed25519PrivateKey | None = None, *, seq: int = 0, prev: str | None = None):
        self.key = key or Ed25519PrivateKey.generate()
        self.author = self.key.public_key().public_bytes_raw().hex()
        self.seq: int = seq
        self.prev: str | None = prev

    def write(self, body: dict, *, time: int, links: list[str] | tuple[str, ...] = ()) -> Entry:
        entry = sign_entry(self.key, seq=self.seq + 1, prev=self.prev, body=body, time=time, links=links)
        self.seq, self.prev = entry.seq, entry.hash
        return entry
