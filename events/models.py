"""The log's tables (docs/PROTOCOL.md sections 2-3). Entries are append-only in the database itself."""

from django.db import models


class LogEntry(models.Model):
    """One entry, as its canonical bytes. `arrival` is the local arrival counter
    that views tail from; it says nothing about order between replicas."""

    arrival = models.BigAutoField(primary_key=True)
    hash = models.CharField(max_length=64, unique=True)
    author = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    raw = models.TextField()

    class Meta:
        db_table = "log_entry"
        constraints = [models.UniqueConstraint(fields=["author", "seq"], name="log_entry_author_seq")]


class Feed(models.Model):
    """What we hold of one author's feed: its highest seq and that entry's hash.
    Kept beside the entries in the same transaction, so a vector costs one row per feed."""

    author = models.CharField(max_length=64, primary_key=True)
    seq = models.BigIntegerField()
    head = models.CharField(max_length=64)

    class Meta:
        db_table = "log_feed"


class ForkEvidence(models.Model):
    """Two signed entries for the same (author, seq): the author signed two histories."""

    author = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    held_hash = models.CharField(max_length=64)
    offered_hash = models.CharField(max_length=64)
    offered_raw = models.TextField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "log_fork"
        constraints = [models.UniqueConstraint(fields=["offered_hash"], name="log_fork_offered")]


class OwnFeedClaim(models.Model):
    """A peer showed us holding more of our own feed than we do (one row at most):
    local writes wait until we have caught up, so we never sign a second history."""

    seq = models.BigIntegerField()
    peer = models.CharField(max_length=64)
    peer_name = models.CharField(max_length=200, blank=True)
    noted_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "log_own_feed_claim"
from events.index_models import *  # noqa: E402,F401,F403


class CalendarFeed(models.Model):
    """A secret subscription URL for the calendar (.ics). Only the SHA-256 of
    its token is stored: the URL is shown once, when made; revoking keeps
    the row so the old URL keeps answering 404."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ics_feed"


from events.preference_models import *  # noqa: E402,F401,F403
