"""Feeds not to send a peer for now (docs/PROTOCOL.md section 4.2, "Refused entries").

A peer answers `bad-entry` for an entry we sent when it judges it otherwise
(a version with other rules); it then asks with `want` for the rest of the
feed, which would make us send the same entry again at once, in a loop.
So each refusal of the same entry makes that feed wait longer before it is
offered again (`RETRY_DELAYS`), and after the last one the feed is skipped
for that peer, with the reason on the Peers page and in `manage.py peers`,
until the peer shows it holds that entry (from elsewhere) or the owner
clears it (`manage.py peers --clear-refusals`, the Peers page). A feed whose
next entry is damaged in our own log is skipped at once: it is never sent
(events/health.py).

Kept per peer in the server's memory, so a reconnection does not start the
count again, and saved in the database (`sync.models.FeedRefusal`, by
sync/store.py with the peer's status) so a restart does not either: a
session loads its peer's refusals when the peer is admitted. Only entries we
hold are counted, so a peer cannot grow it with made-up hashes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
        self.dirty = False  # changed since last saved

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
        self.dirty = True
        return refusal

    def skip(self, author: str, *, seq: int, reason: str) -> None:
        self.feeds[author] = Refusal(seq, "", 0, SKIPPED, reason)
        self.dirty = True

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
            self.dirty = True

    def clear(self) -> None:
        """The owner cleared them: every feed is offered again."""
        self.feeds.clear()
        self.dirty = False

    def rows(self, now: float | None = None) -> list[dict]:
        """The refusals as rows to save, with wall-clock retry times (None: skipped)."""
        now = time.monotonic() if now is None else now
        wall = datetime.now(UTC)
        return [
            {"author": a, "seq": r.seq, "hash": r.hash, "count": r.count, "reason": r.reason[:500],
             "retry_at": None if r.retry_at == SKIPPED else wall + timedelta(seconds=max(0.0, r.retry_at - now))}
            for a, r in self.feeds.items()
        ]

    def load(self, rows: list[dict], now: float | None = None) -> None:
        """Replace the refusals with saved ones (a restart, or another process changed them)."""
        now = time.monotonic() if now is None else now
        wall = datetime.now(UTC)
        self.feeds = {
            r["author"]: Refusal(
                r["seq"], r["hash"], r["count"],
                SKIPPED if r["retry_at"] is None else now + max(0.0, (r["retry_at"] - wall).total_seconds()),
                r["reason"],
            )
            for r in rows
        }
        self.dirty = False

    def skipped(self) -> dict[str, str]:
        return {a: r.reason for a, r in self.feeds.items() if r.retry_at == SKIPPED}

    def describe(self) -> str:
        """For the owner: each feed held back and why."""
        return "; ".join(f"feed {a[:12]}…: {r.reason}" for a, r in sorted(self.feeds.items()))


_by_peer: dict[str, FeedRefusals] = {}


def of(peer: str) -> FeedRefusals:
    return _by_peer.setdefault(peer, FeedRefusals())
