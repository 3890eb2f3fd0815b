"""The client end of docs/PROTOCOL.md section 4: dial paired peers and keep one connection each.

`Dialer` runs inside the instance (owned by the server's
`sync.runtime.Runtime`) and reconnects with capped exponential backoff and
jitter. `sync_once` is the one-shot form behind `manage.py sync --once`;
`pair_with` pairs, for `manage.py pair` and for the Peers page.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
from dataclasses import dataclass
from urllib.parse import urlsplit

import websockets
from channels.db import database_sync_to_async
from django.conf import settings
from websockets.asyncio.client import connect

from events import instance
from events.index.fold import catch_up
from sync import pairing, protocol
from sync.hub import Hub
from sync.models import Peer
from sync.session import Session

logger = logging.getLogger(__name__)

OPEN_TIMEOUT = 10.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 60.0
PEERS_REFRESH = 2.0


class WebsocketTransport:
    def __init__(self, ws):
        self.ws = ws

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.ws.close(code, reason)


async def run_connection(base_url: str, session: Session) -> None:
    """Dial `base_url`'s /ws/sync/ and feed `session` until the connection ends.

    Raises OSError, TimeoutError or websockets' InvalidHandshake/InvalidURI
    when the peer cannot be reached."""
    async with connect(
        pairing.sync_ws_url(base_url),
        max_size=protocol.MAX_FRAME_BYTES,
        open_timeout=OPEN_TIMEOUT,
        ping_interval=20,
        ping_timeout=20,
        close_timeout=5,
        compression=None,
        proxy=None,
    ) as ws:
        session.transport = WebsocketTransport(ws)
        try:
            await session.start()
            async for message in ws:
                if isinstance(message, str):
                    await session.receive(message)
                else:
                    await session.receive(None, message)
        except websockets.ConnectionClosed:
            pass
        finally:
            await session.disconnected()


def _is_private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified


async def _addresses(host: str) -> list[str]:
    """The IP addresses `host` names (itself when it is one; [] when it does not resolve)."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return [host]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


async def private_allowed() -> bool:
    """May this instance dial private, loopback and link-local addresses? Yes when the
    owner said so (ALLOW_PRIVATE_PEERS) or when it lives on such a network itself
    (its own public URL is private or loopback: a LAN, a test)."""
    if getattr(settings, "ALLOW_PRIVATE_PEERS", False):
        return True
    try:
        own_host = urlsplit(await database_sync_to_async(instance.public_url)()).hostname or ""
    except ValueError:
        return False
    own = await _addresses(own_host)
    return instance.is_loopback(f"http://{own_host}/") or any(_is_private(a) for a in own)


async def dial_refusal(url: str) -> str:
    """Why a URL a peer named must not be dialed ("" when it may be): it points at a
    private, loopback or link-local address and this instance is on no such network."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return f"not a URL: {url!r}"
    addresses = await _addresses(host)
    bad = [a for a in addresses if _is_private(a)] or (["localhost"] if instance.is_loopback(url) else [])
    if not bad or await private_allowed():
        return ""
    return (f"refused to dial {url}: {host} is a private, loopback or link-local address ({', '.join(bad)}); "
            "set ALLOW_PRIVATE_PEERS=1 to allow it")


def backoff_delay(failures: int, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Exponential, capped, with jitter (half to full of the step)."""
    step = min(cap, base * 2 ** min(failures, 20))
    return random.uniform(step / 2, step)


def dialable_peers() -> dict[str, str]:
    return dict(Peer.objects.filter(state=Peer.PAIRED).exclude(url="").values_list("author", "url"))


def mark_all_disconnected() -> None:
    Peer.objects.filter(connected=True).update(connected=False)


class Dialer:
    """Keeps one connection to every paired peer that has a URL; `stop` ends every task it started."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self.tasks: dict[str, tuple[str, asyncio.Task]] = {}  # peer key: (its URL, the task keeping it connected)
        self.stopping = False

    async def run(self) -> None:
        self.stopping = False
        self.hub.keep_running = True
        self.hub.ensure_running()
        await database_sync_to_async(mark_all_disconnected)()
        await database_sync_to_async(catch_up)()
        while not self.stopping:
            try:
                peers = await database_sync_to_async(dialable_peers)()
            except Exception:
                logger.exception("could not read the peers; retrying")
                peers = {k: u for k, (u, _) in self.tasks.items()}
            for key, (url, task) in list(self.tasks.items()):
                if peers.get(key) != url or task.done():
                    task.cancel()
                    del self.tasks[key]
            for key, url in peers.items():
                if key not in self.tasks:
                    self.tasks[key] = (url, asyncio.ensure_future(self._keep_connected(key, url)))
            changed = self.hub.peers_changed
            if changed is not None:
                changed.clear()
                try:
                    await asyncio.wait_for(changed.wait(), PEERS_REFRESH)
                except TimeoutError:
                    pass
            else:
                await asyncio.sleep(PEERS_REFRESH)

    async def _keep_connected(self, key: str, url: str) -> None:
        failures = 0
        while not self.stopping:
            if self.hub.connected(key):
                await asyncio.sleep(0.5)
                continue
            refusal = await dial_refusal(url)
            if refusal:
                logger.warning("peer %s: %s", key[:12], refusal)
                failures += 1
                await asyncio.sleep(backoff_delay(failures))
                continue
            session = Session(None, dialer=True, expect_key=key, hub=self.hub)
            try:
                await run_connection(url, session)
            except asyncio.CancelledError:
                await session.close(1001, "shutting down")
                raise
            except Exception as e:  # unreachable, refused, timed out: back off and retry
                logger.info("peer %s at %s: %s", key[:12], url, e or type(e).__name__)
            failures = 0 if session.admitted else failures + 1
            await asyncio.sleep(backoff_delay(failures))

    async def stop_dialing(self) -> None:
        """End the connections this dialer keeps; the hub and the sessions peers dialed in go on."""
        self.stopping = True
        for _, task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*(t for _, t in self.tasks.values()), return_exceptions=True)
        self.tasks.clear()

    async def stop(self) -> None:
        await self.stop_dialing()
        await self.hub.flush_status()
        await self.hub.stop()


@dataclass
class PeerResult:
    key: str
    url: str
    ok: bool
    reached: bool
    message: str
    bytes_sent: int = 0
    bytes_received: int = 0
    entries_sent: int = 0
    entries_received: int = 0


async def sync_peer_once(key: str, url: str, *, hub: Hub, timeout: float = 120.0) -> PeerResult:
    """Connect, exchange until both sides hold what the other showed, close."""
    refusal = await dial_refusal(url)
    if refusal:
        return PeerResult(key=key, url=url, ok=False, reached=False, message=refusal)
    session = Session(None, dialer=True, expect_key=key, hub=hub)

    async def close_when_caught_up() -> None:
        while not session.done.is_set():
            if session.caught_up():
                session.result = "caught-up"
                await session.close(1000, "caught up")
                return
            await asyncio.sleep(0.02)

    watcher = asyncio.ensure_future(close_when_caught_up())
    reached, message = False, ""
    try:
        await asyncio.wait_for(run_connection(url, session), timeout)
        reached = True
    except TimeoutError:
        reached = session.other is not None
        message = f"not caught up after {timeout:.0f} s"
    except Exception as e:
        message = f"unreachable: {e or type(e).__name__}"
    finally:
        watcher.cancel()
        await session.close(1000, "done")
    ok = session.result == "caught-up"
    if reached and not ok and not message:
        message = f"{session.result}: {session.message}".strip(": ")
    return PeerResult(
        key=key, url=url, ok=ok, reached=reached, message=message or "caught up",
        bytes_sent=session.bytes_sent, bytes_received=session.bytes_received,
        entries_sent=session.sent_total, entries_received=session.received_total,
    )


async def sync_once(*, timeout: float = 120.0) -> list[PeerResult]:
    """Sync with every dialable peer once, on a hub of its own."""
    peers = await database_sync_to_async(dialable_peers)()
    hub = Hub()
    hub.ensure_running()
    try:
        results = await asyncio.gather(*(sync_peer_once(k, u, hub=hub, timeout=timeout) for k, u in sorted(peers.items())))
        await hub.flush_status()
    finally:
        await hub.stop()
    return list(results)


@dataclass
class PairResult:
    result: str  # "paired", "pending", or an error code
    message: str
    key: str | None
    name: str


async def pair_with(url: str, *, hub: Hub, timeout: float = 40.0) -> PairResult:
    """Dial an invite URL (pairs at once) or a plain base URL (asks its owner).

    Raises ValueError for a malformed URL, OSError when unreachable."""
    base, token = pairing.split_pair_url(url)
    session = Session(None, dialer=True, hub=hub, pair_url=base, invite=token, pair_only=True)
    try:
        await asyncio.wait_for(run_connection(base, session), timeout)
    except TimeoutError:
        return PairResult("timeout", f"no answer from {base} within {timeout:.0f} s", session.key, session.name)
    finally:
        await session.close(1000, "done")
    if session.result == "pending":
        message = f"pairing request sent to {session.name or base}; its owner has to approve it"
    elif session.result == "paired":
        message = f"paired with {session.name or base} ({session.key})"
    else:
        message = session.message or f"could not pair ({session.result})"
    return PairResult(session.result or "closed", message, session.key, session.name)


def pair_failure(url: str, e: Exception) -> str:
    """One line saying why pairing with `url` raised `e`."""
    if isinstance(e, ValueError):
        return str(e)
    if isinstance(e, OSError):
        return f"cannot reach {url}: {e}"
    return f"cannot pair with {url}: {e or type(e).__name__}"
