"""CalDAV's own tables, in the main database: the devices' app passwords and
what each collection's resources looked like when a client last could ask
(their ETags and a change counter), so that sync-collection (RFC 6578) can
say what changed since a token. The resource table is derived from the log
and the index (`dav.changes.refresh`); app passwords are the only thing
here that cannot be rebuilt."""

from django.db import models


class AppPassword(models.Model):
    """A password for one device (a phone, a desktop calendar), never the
    owner's. Only its hash is kept (Django's password hashers): it is shown
    once, when made. Revoking deletes the row."""

    name = models.CharField(max_length=100, unique=True)
    password = models.CharField(max_length=256)  # make_password's encoded hash
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dav_app_password"


class DavState(models.Model):
    """One row: how far the resources were brought up to date with the index
    (the highest index row id seen, as rows are rewritten with new ids when
    they change, and the index's version), the change counter (every change
    to a resource takes the next number), and an epoch that tokens carry, so
    that a token from before this table was emptied is told apart."""

    seen = models.BigIntegerField(default=0)
    version = models.CharField(max_length=32, blank=True, default="")
    uids = models.BigIntegerField(default=0)  # distinct event ids in the index then
    counter = models.BigIntegerField(default=0)
    epoch = models.CharField(max_length=32)

    class Meta:
        db_table = "dav_state"


class DavResource(models.Model):
    """One calendar object resource (an event with its overrides) in one
    collection, or the tombstone of one that left it (`deleted`). `modseq`
    is the counter value of its latest change: a collection's sync token is
    the greatest `modseq` among its rows."""

    collection = models.CharField(max_length=64)
    name = models.CharField(max_length=300)  # the last path segment, e.g. "abc.ics"
    uid = models.CharField(max_length=255)
    etag = models.CharField(max_length=64, blank=True, default="")
    modseq = models.BigIntegerField()
    deleted = models.BooleanField(default=False)

    class Meta:
        db_table = "dav_resource"
        constraints = [
            models.UniqueConstraint(fields=["collection", "name"], name="dav_resource_name"),
        ]
        indexes = [
            models.Index(fields=["collection", "modseq"], name="dav_resource_modseq"),
            models.Index(
                fields=["uid"], name="dav_resource_by_uid"
            ),  # live rows: at most one per collection and uid
        ]
