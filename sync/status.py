"""What the owner sees about replication: peers, their progress, pending requests."""

from __future__ import annotations

from events import instance, local_writes, log
from sync import pairing
from sync.models import Peer


def status() -> dict:
    """Peers with connection state and progress, pending requests, and us.

    `peer_lacks`: entries we hold that the peer does not yet (as far as its
    vector and acks told us); `we_lack`: the reverse. Connection fields are
    saved by the running instance a few times a second."""
    vector = log.vector()
    me = log.my_author_id()
    peers = [
        {
            "author": p.author,
            "name": p.name,
            "url": p.url,
            "state": p.state,
            "connected": p.connected,
            "last_seen": p.last_seen.isoformat() if p.last_seen else None,
            "entries_sent": p.entries_sent,
            "entries_received": p.entries_received,
            "peer_lacks": p.peer_lacks,
            "we_lack": p.we_lack,
            "last_error": p.last_error,
            "held_back": p.held_back,
        }
        for p in Peer.objects.order_by("state", "name", "author")
    ]
    names = {p["author"]: p["name"] for p in peers}
    return {
        "self": {
            "author": me,
            "name": instance.name(),
            "url": pairing.public_url(),
            "feeds": vector,
            "entries": sum(vector.values()),
            "writes_held": log.writes_held_reason(),
            "waiting_writes": waiting.count if (waiting := local_writes.waiting()) else 0,
            "own_feed_doubt": local_writes.doubt(),
            "own_feed_claims": log.own_feed_claims(),
        },
        "peers": peers,
        "requests": pairing.pending_requests(),
        "forks": [
            {
                **f,
                "name": names.get(f["author"], ""),
                "recorded_at": f["recorded_at"].isoformat(),
            }
            for f in log.forks()
        ],
    }
