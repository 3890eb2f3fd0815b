"""How much received data may wait to be handled, per peer and in all
(docs/PROTOCOL.md section 4.5).

Each connection's inbox (sync/consumers.py) has its own bound, but a peer can
open several connections, and many peers can send at once. So every frame
waiting in any inbox is also charged to the peer that sent it (once the
connection has authenticated: before that the key in a `hello` is only a
claim, and charging it would let anyone use up a real peer's share) and to
the whole process. A frame that would pass one of these bounds closes the
connection it came on, as the connection's own bound does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PEER_BYTES = 8 * 1024 * 1024  # the same as one connection's bound: more connections bring no more room
PEER_FRAMES = 1024
TOTAL_BYTES = 64 * 1024 * 1024  # every connection of every peer, and those not authenticated yet
TOTAL_FRAMES = 8192


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
        if peer is not None:
            used = self.by_peer.setdefault(peer, [0, 0])
            if used[0] + size > self.peer_bytes or used[1] + 1 > self.peer_frames:
                return "this peer's connections together"
            used[0] += size
            used[1] += 1
        self.bytes += size
        self.frames += 1
        return None

    def give_back(self, peer: str | None, size: int) -> None:
        """The frame was handled (or dropped)."""
        self.bytes -= size
        self.frames -= 1
        if peer is not None and (used := self.by_peer.get(peer)) is not None:
            used[0] -= size
            used[1] -= 1
            if used[1] <= 0:
                del self.by_peer[peer]

    def waiting(self, peer: str) -> tuple[int, int]:
        """(bytes, frames) of `peer` waiting in all its connections."""
        used = self.by_peer.get(peer, [0, 0])
        return used[0], used[1]
