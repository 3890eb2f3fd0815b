"""GET, PUT and DELETE of one calendar object resource, with strong ETags
and the If-Match / If-None-Match preconditions (RFC 7232; RFC 4791 section
5.3.2). A PUT or DELETE writes calendar operations (`dav.ingest`), then
refreshes the resource table, so the new ETag and sync token are current
when the response leaves."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse

from dav import changes, ingest
from dav.collections import Collection
from dav.models import DavResource
from dav.properties import OBJECT_TYPE, Target, object_href
from dav.resources import body_of, live_resource
from dav.xml import CALDAV, DAV, DavError, tag
from events import calendar
from events.routers import INDEX_DB

MAX_OBJECT = 1024 * 1024


def _quoted(etag: str) -> str:
    return f'"{etag}"'


def _matches(header: str, etag: str | None) -> bool:
    """Whether an If-Match/If-None-Match list names the current ETag ("*": any)."""
    if etag is None:
        return False
    values = [v.strip() for v in header.split(",")]
    return "*" in values or _quoted(etag) in values


def check_preconditions(request, etag: str | None) -> None:
    """412 when If-Match or If-None-Match fails; `etag` is None when the resource does not exist."""
    if_match = request.META.get("HTTP_IF_MATCH")
    if if_match is not None and not _matches(if_match, etag):
        raise DavError(412, "the event changed since you read it (If-Match failed)")
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None and _matches(if_none_match, etag):
        raise DavError(412, "the event exists already (If-None-Match failed)")


def get(request, target: Target) -> HttpResponse:
    body = body_of(target.row)
    if body is None:
        raise DavError(404, "no such event")
    etag = _quoted(target.row.etag)
    if request.META.get("HTTP_IF_NONE_MATCH") and _matches(
        request.META["HTTP_IF_NONE_MATCH"], target.row.etag
    ):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(b"" if request.method == "HEAD" else body, content_type=OBJECT_TYPE)
        response["Content-Length"] = str(len(body))
    response["ETag"] = etag
    return response


def _check_writable(collection: Collection) -> None:
    if not collection.writable:
        raise DavError(
            403, "you may not change events in this calendar", tag(DAV, "need-privileges")
        )


def put(request, collection: Collection, name: str) -> HttpResponse:
    _check_writable(collection)
    data = request.body
    if len(data) > MAX_OBJECT:
        raise DavError(
            413, f"an event is at most {MAX_OBJECT // 1024} KB", tag(CALDAV, "max-resource-size")
        )
    ingest.check_components(data)
    parsed = ingest.parse(data)
    with transaction.atomic(using=INDEX_DB), transaction.atomic():
        row = live_resource(collection.id, name)
        check_preconditions(request, row.etag if row is not None else None)
        if row is not None and row.uid != parsed.uid:
            raise ingest.refuse(
                "the UID of an event cannot change; delete it and make a new one", "no-uid-conflict"
            )
        other = (
            DavResource.objects.filter(collection=collection.id, uid=parsed.uid, deleted=False)
            .exclude(name=name)
            .first()
        )
        if other is not None:
            raise ingest.refuse(
                f"an event with this UID exists already at {object_href(collection.id, other.name)}",
                "no-uid-conflict",
            )
        if row is None:
            _claim(collection.id, name, parsed.uid)
        try:
            ingest.store(parsed, collection.calendar)
        except calendar.CalendarError as e:
            raise ingest.refuse(str(e)) from None
        changes.refresh()
    stored = live_resource(collection.id, name)
    if stored is None:  # a PUT of a cancelled event: nothing is left to show
        return HttpResponse(status=204)
    # No ETag: the stored body is ours (DTSTAMP, SEQUENCE), not the bytes sent (RFC 4791 section 5.3.4).
    return HttpResponse(status=201 if row is None else 204)


def _claim(collection_id: str, name: str, uid: str) -> None:
    """Reserve `name` for `uid`: refresh then makes this row the live one (`changes._row_to_keep`)."""
    row = DavResource.objects.filter(collection=collection_id, name=name).first()
    counter = changes.refresh().counter
    if row is None:
        DavResource.objects.create(
            collection=collection_id, name=name, uid=uid, etag="", modseq=counter, deleted=True
        )
    else:
        row.uid, row.etag, row.deleted = uid, "", True
        row.save(update_fields=["uid", "etag", "deleted"])


def delete(request, collection: Collection, name: str) -> HttpResponse:
    _check_writable(collection)
    with transaction.atomic(using=INDEX_DB), transaction.atomic():
        row = live_resource(collection.id, name)
        check_preconditions(request, row.etag if row is not None else None)
        if row is None:
            raise DavError(404, "no such event")
        try:
            calendar.delete_event(row.uid, calendar=collection.calendar)
        except calendar.CalendarError as e:
            raise DavError(404, str(e)) from None
        changes.refresh()
    return HttpResponse(status=204)
