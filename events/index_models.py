"""The index's tables: a materialized view of the log, in its own database.

Every table here starts with `index_`, so `events.routers.IndexRouter` keeps
it in the `index` database. Nothing here is a source of truth: `rebuild`
drops it all and folds the log in again.
"""

from django.db import models

__all__ = ["IndexCursor", "IndexKey"]


class IndexKey(models.Model):
    """One register (docs/PROTOCOL.md section 5.3) and what the calendar shows of it.

    `state` is the register (every entry hash of the key, what they link to,
    the bodies of the heads); the other columns are derived from its primary
    value, for range queries. `span_start`/`span_end` bound in UTC when the
    key can occur (conservatively for floating and all-day times, whose
    instant depends on the viewer); `span_end` is null for open-ended series.
    """

    uid = models.CharField(max_length=255)
    rid = models.CharField(max_length=32, blank=True, default="")  # "" for the series
    state = models.TextField()  # JSON of events.registers.Register
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

    class Meta:
        db_table = "index_key"
        constraints = [models.UniqueConstraint(fields=["uid", "rid"], name="index_key_uid_rid")]
        indexes = [
            models.Index(fields=["span_start"], name="index_key_span"),
        ]


class IndexCursor(models.Model):
    """How far into the log's arrival counter the index has folded (one row).
    `version` changes with every batch written, so a process can tell whether
    what it read from the index earlier is still current."""

    arrival = models.BigIntegerField(default=0)
    version = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        db_table = "index_cursor"
