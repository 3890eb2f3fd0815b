"""Who we replicate with: paired peers, invites, pairing requests (docs/PROTOCOL.md section 4.4)."""

from django.db import models


class Peer(models.Model):
    """A paired (or blocked) author, with the replication status the owner sees.

    Status fields are written by the process that holds the connection, at
    most a few times a second, so `manage.py peers` in another process can show them.
    """

    PAIRED, BLOCKED = "paired", "blocked"

    author = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    state = models.CharField(max_length=10, choices=[(PAIRED, "paired"), (BLOCKED, "blocked")], default=PAIRED)
    created = models.DateTimeField(auto_now_add=True)
    connected = models.BooleanField(default=False)
    last_seen = models.DateTimeField(null=True, blank=True)
    entries_sent = models.BigIntegerField(default=0)
    entries_received = models.BigIntegerField(default=0)
    peer_lacks = models.BigIntegerField(default=0)  # entries we hold that the peer does not (as far as we know)
    we_lack = models.BigIntegerField(default=0)  # entries the peer holds that we do not
    last_error = models.CharField(max_length=500, blank=True)
    held_back = models.CharField(max_length=1000, blank=True)  # feeds not sent to this peer for now, and why

    class Meta:
        db_table = "sync_peer"


class Invite(models.Model):
    """A single-use invite; only the SHA-256 of its token is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField()
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "sync_invite"


class PairingRequest(models.Model):
    """Incoming: a stranger asked to pair, waiting for the owner. Outgoing: we
    asked a stranger, so its connection is admitted once its owner approves."""

    INCOMING, OUTGOING = "incoming", "outgoing"
    PENDING, APPROVED, REFUSED = "pending", "approved", "refused"

    author = models.CharField(max_length=64)
    direction = models.CharField(max_length=10, choices=[(INCOMING, "incoming"), (OUTGOING, "outgoing")])
    name = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    state = models.CharField(
        max_length=10, choices=[(PENDING, "pending"), (APPROVED, "approved"), (REFUSED, "refused")], default=PENDING
    )
    created = models.DateTimeField()

    class Meta:
        db_table = "sync_pairing_request"
        constraints = [models.UniqueConstraint(fields=["author", "direction"], name="sync_request_author_direction")]


class FeedRefusal(models.Model):
    """A feed held back from a peer after it refused an entry of it (sync/refusals.py),
    kept so that a restart does not start sending it in a loop again."""

    peer = models.CharField(max_length=64)
    author = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64, blank=True)  # "" for a feed skipped because our entry is damaged
    count = models.IntegerField()
    retry_at = models.DateTimeField(null=True, blank=True)  # null: not sent again until cleared
    reason = models.CharField(max_length=500)

    class Meta:
        db_table = "sync_feed_refusal"
        constraints = [models.UniqueConstraint(fields=["peer", "author"], name="sync_refusal_peer_author")]
