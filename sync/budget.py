"""How much received data may wait to be handled, per peer and in all
(docs/PROTOCOL.md section 4.5).

Each connection's inbox (sync/consumers.py) has its own bound, but a peer can
open several connections, and many peers can send at once. So every frame
waiting in any inbox is also charged to the peer that sent it (once the
connection has authenticated: before that the key in a `hello` is only a
claim, and charging it would let anyone use up a real peer's share) and to
the whole process. The connections not authenticated yet share one peer's
room between them, so that strangers opening many connections cannot use up
the room of the peers that are syncing. A frame that would pass one of these
bounds closes the connection it came on, as the connection's own bound does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PEER_BYTES = 8 * 1024 * 1024  # the same as one connection's bound: more connections bring no more room
PEER_FRAMES = 1024
TOTAL_BYTES = 64 * 1024 * 1024  # every connection of every peer, and those not authenticated yet
TOTAL_FRAMES = 8192
STRANGERS = ""  # the share of every connection not authenticated yet (no key is empty)


@dataclass
class ReceiveBudget:
    peer_bytes: int = PEER_BYTES
    peer_frames: int = PEER_FRAMES
    total_bytes: int = TOTAL_BYTES
    total_frames: int = TOTAL_FRAMES
    bytes: int = 0
    frames: int = 0
    by_peer: dict[str, list[int]] = field(default_factory=dict)  # key -> [bytes, frames] waiting

    def take(self, peer: str | None, size: int) -> str | None:
        """Charge a frame of `size` bytes; None when it fits, else which bound it passes."""
        if self.bytes + size > self.total_bytes or self.frames + 1 > self.total_frames:
            return "all peers together"
        used = self.by_peer.setdefault(_share(peer), [0, 0])
        if used[0] + size > self.peer_bytes or used[1] + 1 > self.peer_frames:
            return "this peer's connections together" if peer is not None else "the connections not authenticated yet together"
        used[0] += size
        used[1] += 1
        self.bytes += size
        self.frames += 1
        return None

    def give_back(self, peer: str | None, size: int) -> None:
        """The frame was handled (or dropped)."""
        self.bytes -= size
        self.frames -= 1
        share = _share(peer)
        if (used := self.by_peer.get(share)) is not None:
            used[0] -= size
            used[1] -= 1
            if used[1] <= 0:
                del self.by_peer[share]

    def waiting(self, peer: str | None) -> tuple[int, int]:
        """(bytes, frames) of `peer` waiting in all its connections (None: of all connections not authenticated yet)."""
        used = self.by_peer.get(_share(peer), [0, 0])
        return used[0], used[1]


def _share(peer: str | None) -> str:
    return STRANGERS if peer is None else peer
