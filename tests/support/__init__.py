"""Helpers the tests share: peer personas, polling for async tests, and `recurrence` (oracles).
May import the modules under test and test libraries; production code and the
benchmarks never import this package.

    peer = Persona("peer")                 # a key of its own; not paired yet
    pair(peer)                             # the Peer row that pairs it (sync, in the test's database)
    c, have = await peer.session()         # connected, handshake done, empty `have` sent
    c = await peer.connect()               # connected, nothing sent yet
    entries = peer.feed(3)                 # valid entries of its own feed

    value = await eventually(fn, timeout=5, message="what we wait for")     # until fn() is truthy
    await eventually(fn, equals=(True, 5), message="...")                 # until fn() == (True, 5)

The `paired_peer` and `stranger` fixtures in conftest.py are personas.
`tests.instances.wait_until` is the synchronous poll for tests that drive
real processes.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.identity import author_id
from tests.peer_client import PeerClient, WsPeerClient, feed


@dataclass
class Persona:
    """Someone with an Ed25519 key who talks docs/PROTOCOL.md section 4 to us."""

    name: str = "peer"
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def id(self) -> str:
        return author_id(self.key)

    def feed(self, n: int, **kwargs):
        """`n` valid entries of this persona's own feed (see `tests.peer_client.feed`)."""
        return feed(self.key, n, **kwargs)

    def client(self) -> PeerClient:
        """A fresh in-process connection (a new nonce) signing with this key; not connected."""
        return PeerClient(key=self.key, name=self.name)

    def ws_client(self, url: str) -> WsPeerClient:
        """The same over a socket, to a real instance at `url`."""
        return WsPeerClient(url, key=self.key, name=self.name)

    async def connect(self) -> PeerClient:
        """Connected to the in-process consumer, the server's hello read."""
        return await self.client().connect()

    async def session(self):
        """Past the handshake, having sent an empty `have`: (client, the server's have)."""
        c = await self.connect()
        have = await c.handshake()
        assert have["type"] == "have", have
        await c.send({"type": "have", "feeds": {}})
        return c, have


def pair(persona: Persona, state: str | None = None) -> Persona:
    """Store the Peer row for `persona` (paired unless `state` says otherwise)."""
    from sync.models import Peer

    Peer.objects.create(author=persona.id, name=persona.name, state=state or Peer.PAIRED)
    return persona


_TRUTHY = object()


async def eventually(predicate, *, equals=_TRUTHY, timeout: float = 10.0, interval: float = 0.02, message: str = "condition"):
    """Await until `predicate()` (a function or a coroutine function) returns something
    truthy, or equal to `equals` when given, and return it; fail after `timeout`
    seconds naming `message` and the last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if (value == equals) if equals is not _TRUTHY else value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message} (last: {value!r})")
        await asyncio.sleep(interval)
