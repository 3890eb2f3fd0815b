"""The app's tables: the log (docs/PROTOCOL.md sections 2-3, append-only in the
database itself), the subscription feed, the index (its own database) and
the preferences of earlier versions."""

from django.db import models
from django.utils import timezone


class LogEntry(models.Model):
    """One entry, as its canonical bytes. `arrival` is the local arrival counter
    that views tail from; it says nothing about order between replicas. Appends
    commit in arrival order (`events.log._hold_arrival_order`), so a reader that
    has seen arrival n will never later find a committed entry below n."""

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


class ForkDecision(models.Model):
    """The owner's decision about an author with fork evidence (docs/PROTOCOL.md
    section 2.5). Until there is one, that author's new entries wait."""

    KEEP_HELD, BLOCK = "keep-held", "block"

    author = models.CharField(max_length=64, primary_key=True)
    decision = models.CharField(max_length=10, choices=[(KEEP_HELD, "keep the branch we hold"), (BLOCK, "block the author")])
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "log_fork_decision"


class OwnFeedClaim(models.Model):
    """A peer's `have` showed more of our own feed than we hold (one row per peer).

    A bare number holds nothing: it only makes us ask for the entries
    (docs/PROTOCOL.md section 3.3). Once that peer has sent us our own entries
    beyond what we held, verified under our key (`backed_at`), local writes
    wait until we have caught up to `seq`, so we never sign a second history;
    the hold lapses when no further verified entry comes for a while."""

    seq = models.BigIntegerField()
    peer = models.CharField(max_length=64, unique=True)
    peer_name = models.CharField(max_length=200, blank=True)
    since = models.DateTimeField(default=timezone.now)
    noted_at = models.DateTimeField(auto_now=True)
    backed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "log_own_feed_claim"


class CalendarFeed(models.Model):
    """A secret subscription URL for the calendar (.ics). Only the SHA-256 of
    its token is stored: the URL is shown once, when made; revoking keeps
    the row so the old URL keeps answering 404."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ics_feed"


# --- the index (a materialized view of the log, in the `index` database) ---------
# Every table here starts with `index_`, so `events.routers.IndexRouter` keeps it
# in the `index` database. Nothing here is a source of truth: rebuilding the
# index drops it all and folds the log in again.


class IndexKey(models.Model):
    """One register (docs/PROTOCOL.md section 5.3) and what the calendar shows of it.

    `state` is the register (every entry hash of the key, what they link to,
    the bodies of the heads); the other columns are derived from its primary
    value, for range queries. `span_start`/`span_end` bound in UTC when the
    key can occur (conservatively for floating and all-day times, whose
    instant depends on the viewer); `span_end` is null for open-ended series.
    """

    calendar = models.CharField(max_length=100, blank=True, default="")  # events.calendars.bodies.ref; "" legacy
    uid = models.CharField(max_length=255)
    rid = models.CharField(max_length=32, blank=True, default="")  # "" for the series
    state = models.TextField()  # JSON of events.index.registers.Register
    kind = models.CharField(max_length=8, blank=True, default="")  # single, series, override; "" hidden
    deleted = models.BooleanField(default=False)
    skipped = models.TextField(blank=True, default="")  # why the primary value cannot be shown
    conflict = models.BooleanField(default=False)
    shown = models.CharField(max_length=64, blank=True, default="")  # hash of the value shown
    author = models.CharField(max_length=64, blank=True, default="")
    event = models.TextField(blank=True, default="")  # JSON of the shown event fields
    span_start = models.DateTimeField(null=True)
    span_end = models.DateTimeField(null=True)
    long = models.BooleanField(default=False)  # span longer than SHORT_SPAN, or open-ended: read once per version
    marks = models.TextField(blank=True, default="")  # JSON: COUNT rule checkpoints
    busy = models.BooleanField(default=False)  # only the times can be read here (a free/busy member)

    class Meta:
        db_table = "index_key"
        constraints = [models.UniqueConstraint(fields=["calendar", "uid", "rid"], name="index_key_calendar_uid_rid")]
        indexes = [
            models.Index(fields=["span_start"], name="index_key_span"),
            models.Index(fields=["uid"], name="index_key_uid"),
        ]


class IndexCalendar(models.Model):
    """A calendar as its owner's latest `calendar` entry describes it
    (docs/PROTOCOL.md section 6), and what this instance may do in it.
    `keys` holds the epoch keys this instance could open: like every index
    table it is rebuilt from the log and the instance's own key files."""

    ref = models.CharField(max_length=100, unique=True)
    owner = models.CharField(max_length=64)
    seq = models.BigIntegerField(default=0)  # the owner's seq of the latest calendar entry folded
    public = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    epoch = models.IntegerField(default=0)
    name = models.CharField(max_length=100, blank=True, default="")
    colour = models.CharField(max_length=7, blank=True, default="")
    members = models.TextField(default="{}")  # JSON: author -> role
    editors = models.TextField(default="{}")  # JSON: author -> [[since, until or null], ...]
    keys = models.TextField(default="{}")  # JSON: epoch -> {"busy": hex, "details": hex}
    my_role = models.CharField(max_length=8, blank=True, default="")  # owner, editor, details, busy or ""

    class Meta:
        db_table = "index_calendar"


class IndexCalendarEntry(models.Model):
    """Which entries write to which calendar, so a calendar can be folded
    again when its audience or keys change."""

    calendar = models.CharField(max_length=100)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "index_calendar_entry"
        constraints = [models.UniqueConstraint(fields=["calendar", "hash"], name="index_calendar_entry_unique")]


class IndexPublishedKey(models.Model):
    """Each author's X25519 public key from its latest `key.publish` entry."""

    author = models.CharField(max_length=64, unique=True)
    seq = models.BigIntegerField()
    x25519 = models.CharField(max_length=64)

    class Meta:
        db_table = "index_published_key"


class IndexCursor(models.Model):
    """How far into the log's arrival counter the index has folded (one row).
    `version` changes with every batch written, so a process can tell whether
    what it read from the index earlier is still current."""

    arrival = models.BigIntegerField(default=0)
    version = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        db_table = "index_cursor"


# --- instance preferences: a small key/value table in the main database -------


class Preference(models.Model):
    key = models.CharField(max_length=64, primary_key=True)
    value = models.TextField()

    class Meta:
        db_table = "events_preference"


class IndexDirectory(models.Model):
    """Entries about who relays for whom (docs/PROTOCOL.md section 6.8): the
    mirror each author names (`mirror`), the invites a mirror may accept for
    its owner (`invite`), and the peers a mirror paired for its owner
    (`mirror.paired`). `subject` is the mirror, the token's hash or the peer."""

    kind = models.CharField(max_length=16)
    author = models.CharField(max_length=64)
    subject = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    body = models.TextField()

    class Meta:
        db_table = "index_directory"
        constraints = [models.UniqueConstraint(fields=["kind", "author", "subject"], name="index_directory_unique")]
