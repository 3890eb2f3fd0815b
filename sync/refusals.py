"""Feeds not to send a peer for now (docs/PROTOCOL.md section 4.2, "Refused entries").

A peer answers `bad-entry` for an entry we sent when it judges it otherwise
(a version with other rules); it then asks with `want` for the rest of the
feed, which would make us send the same entry again at once, in a loop.
So each refusal of the same entry makes that feed wait longer before it is
offered again (`RETRY_DELAYS`), and after the last one the feed is skipped
for that peer, with the reason on the Peers page and in `manage.py peers`,
until the peer shows it holds that entry (from elsewhere) or the server
restarts. A feed whose next entry is damaged in our own log is skipped at
once: it is never sent (events/health.py).

Kept per peer in the server's memory, so a reconnection does not start the
count again; only entries we hold are counted, so a peer cannot grow it with
made-up hashes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

RETRY_DELAYS = (2.0, 15.0, 60.0)  # before the second, third and fourth try; the fourth refusal skips the feed
SKIPPED = float("inf")


@dataclass(slots=True)
class Refusal:
    seq: int
    hash: str
    count: int
    retry_at: float
    reason: str


class FeedRefusals:
    """One peer's refused feeds: author -> the refusal of its first unsent entry."""

    def __init__(self) -> None:
        self.feeds: dict[str, Refusal] = {}

    def refused(self, author: str, *, seq: int, hash: str, message: str, now: float | None = None) -> Refusal:
        now = time.monotonic() if now is None else now
        known = self.feeds.get(author)
        count = known.count + 1 if known and known.hash == hash else 1
        if count > len(RETRY_DELAYS):
            retry_at, reason = SKIPPED, f"refused entry {seq} {count} times ({message}): not sent again"
        else:
            delay = RETRY_DELAYS[count - 1]
            retry_at, reason = now + delay, f"refused entry {seq} ({message}); trying again in {delay:.0f} s"
        refusal = self.feeds[author] = Refusal(seq, hash, count, retry_at, reason)
        return refusal

    def skip(self, author: str, *, seq: int, reason: str) -> None:
        self.feeds[author] = Refusal(seq, "", 0, SKIPPED, reason)

    def paused(self, author: str, now: float | None = None) -> bool:
        known = self.feeds.get(author)
        return known is not None and known.retry_at > (time.monotonic() if now is None else now)

    def next_retry(self, now: float | None = None) -> float | None:
        """Seconds until the next paused feed may be tried again, or None."""
        now = time.monotonic() if now is None else now
        waits = [r.retry_at - now for r in self.feeds.values() if now < r.retry_at < SKIPPED]
        return min(waits) if waits else None

    def peer_holds(self, author: str, seq: int) -> None:
        """The peer showed it holds `author` up to `seq`: a refusal below that is over."""
        known = self.feeds.get(author)
        if known is not None and seq >= known.seq:
            del self.feeds[author]

    def skipped(self) -> dict[str, str]:
        return {a: r.reason for a, r in self.feeds.items() if r.retry_at == SKIPPED}

    def describe(self) -> str:
        """For the owner: each feed held back and why."""
        return "; ".join(f"feed {a[:12]}…: {r.reason}" for a, r in sorted(self.feeds.items()))


_by_peer: dict[str, FeedRefusals] = {}


def of(peer: str) -> FeedRefusals:
    return _by_peer.setdefault(peer, FeedRefusals())
