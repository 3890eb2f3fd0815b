"""A peer written from docs/PROTOCOL.md section 4 alone (not our dialer), for protocol tests.

`PeerClient` talks to the in-process consumer through Channels'
WebsocketCommunicator; `WsPeerClient` talks to a real instance over a socket
with the `websockets` client. Both have the same methods, so a test written
for one runs against the other.
"""

from __future__ import annotations

import asyncio
import json

from channels.db import database_sync_to_async
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.feeds import FeedWriter
from events.identity import author_id
from sync import protocol

T = 1_795_000_000_000


def feed(key, n, *, start=1, prev=None, body=None):
    """`n` valid entries of `key`'s feed from seq `start` on."""
    writer = FeedWriter(key, seq=start - 1, prev=prev)
    return [writer.write(body or {"type": "note", "n": seq}, time=T) for seq in range(start, start + n)]


def as_obj(e):
    return json.loads(e.raw)


class PeerClient:
    """A peer written from docs/PROTOCOL.md section 4 alone, against the in-process consumer."""

    def __init__(self, key=None, name="peer"):
        self.key = key or Ed25519PrivateKey.generate()
        self.id = author_id(self.key)
        self.name = name
        self.nonce = protocol.new_nonce()
        self.comm = None
        self.server_hello = None

    async def connect(self, application=None):
        """Connect to `application` (by default the server's, calendar_p2p.asgi)."""
        from channels.testing import WebsocketCommunicator

        if application is None:
            from calendar_p2p.asgi import application

        self.comm = WebsocketCommunicator(application, "/ws/sync/")
        connected, _ = await self.comm.connect()
        assert connected
        self.server_hello = await self.recv()
        assert self.server_hello["type"] == "hello"
        return self

    async def recv_raw(self, timeout=5):
        return await self.comm.receive_from(timeout)

    async def recv(self, timeout=5):
        return json.loads(await self.recv_raw(timeout))

    async def recv_type(self, kind, timeout=5):
        while True:
            msg = await self.recv(timeout)
            if msg["type"] == kind:
                return msg

    async def send(self, obj):
        await self.comm.send_to(text_data=obj if isinstance(obj, str) else json.dumps(obj))

    async def send_bytes(self, data: bytes):
        await self.comm.send_to(bytes_data=data)

    async def hello(self, invite=None, v=protocol.VERSION, url="http://peer.example"):
        await self.send({"type": "hello", "v": v, "key": self.id, "nonce": self.nonce, "name": self.name, "url": url, "invite": invite})

    def auth_frame(self):
        h = self.server_hello
        return protocol.auth(self.key, other_nonce=h["nonce"], own_nonce=self.nonce, other_key=h["key"], own_key=self.id)

    async def handshake(self, invite=None):
        """hello, auth; returns the server's answer after auth (have or error)."""
        await self.hello(invite)
        server_auth = await self.recv()
        assert server_auth["type"] == "auth"
        h = self.server_hello
        assert protocol.verify_auth(
            server_auth["sig"], signer_key=h["key"], signer_nonce=h["nonce"], verifier_key=self.id, verifier_nonce=self.nonce
        )
        await self.send(self.auth_frame())
        return await self.recv()

    async def entries(self, entries):
        await self.send({"type": "entries", "entries": [as_obj(e) if hasattr(e, "raw") else e for e in entries]})

    async def closed(self, timeout=3):
        out = await self.comm.receive_output(timeout)
        assert out["type"] == "websocket.close", out
        return out

    async def quiet(self, timeout=0.3):
        return await self.comm.receive_nothing(timeout)

    async def close(self):
        await self.comm.disconnect()
        await asyncio.sleep(0)


class WsPeerClient(PeerClient):
    """The same peer against a real instance at `url`, over a socket."""

    def __init__(self, url, key=None, name="peer"):
        super().__init__(key, name)
        self.url = url

    async def connect(self):
        from websockets.asyncio.client import connect

        from sync.pairing import sync_ws_url

        self.ws = await connect(sync_ws_url(self.url), max_size=None, open_timeout=10, compression=None, proxy=None)
        self.server_hello = await self.recv()
        assert self.server_hello["type"] == "hello"
        return self

    async def recv_raw(self, timeout=5):
        return await asyncio.wait_for(self.ws.recv(), timeout)

    async def send(self, obj):
        await self.ws.send(obj if isinstance(obj, str) else json.dumps(obj))

    async def send_bytes(self, data: bytes):
        await self.ws.send(data)

    async def closed(self, timeout=3):
        """Wait until the server closed the connection (reading what is left)."""
        import websockets

        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - asyncio.get_running_loop().time()))
        except websockets.ConnectionClosed:
            return {"type": "websocket.close", "code": self.ws.close_code}

    async def quiet(self, timeout=0.3):
        try:
            await asyncio.wait_for(self.ws.recv(), timeout)
        except TimeoutError:
            return True
        return False

    async def close(self):
        await self.ws.close()


@database_sync_to_async
def db(fn, *args, **kwargs):
    return fn(*args, **kwargs)


@database_sync_to_async
def make_peer(client, state="paired"):
    from sync.models import Peer

    Peer.objects.create(author=client.id, name=client.name, state=state)


@database_sync_to_async
def stored_hashes():
    from events.models import LogEntry

    return set(LogEntry.objects.values_list("hash", flat=True))


async def paired_client(name="peer"):
    """A paired peer past the handshake, having sent an empty `have`."""
    c = PeerClient(name=name)
    await make_peer(c)
    await c.connect()
    have = await c.handshake()
    assert have["type"] == "have"
    await c.send({"type": "have", "feeds": {}})
    return c, have
