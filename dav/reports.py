"""REPORTs on a calendar collection: calendar-query and calendar-multiget
(RFC 4791 sections 7.8 and 7.9) and sync-collection (RFC 6578 section 3).

calendar-query with a time range is answered from the index's range query
(`events.index.query`), which expands series, overrides and cancelled
occurrences as the web page does; other filters (prop-filter, text-match)
are checked on the resources' iCalendar bodies (`dav.filters`).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from django.http import HttpResponse

from dav import changes, expand, filters, freebusy
from dav.models import DavResource
from dav.properties import OBJECT_KIND, Target, collection_href, fill, object_href
from dav.resources import bodies_of, live_in
from dav.xml import (
    CALDAV,
    DAV,
    DavError,
    Multistatus,
    parse_body,
    requested_props,
    tag,
)
from events import clock


def report(request, target: Target) -> HttpResponse:
    body = parse_body(request.body)
    if body is None:
        raise DavError(400, "REPORT needs a body")
    if target.kind != "collection":
        raise DavError(
            403, "reports are answered on the calendar collection", tag(DAV, "supported-report")
        )
    handlers = {
        tag(CALDAV, "calendar-query"): calendar_query,
        tag(CALDAV, "calendar-multiget"): calendar_multiget,
        tag(DAV, "sync-collection"): sync_collection,
    }
    if body.tag == tag(CALDAV, "free-busy-query"):
        return freebusy.free_busy(body, stamp=clock.now("UTC").replace(microsecond=0))
    handler = handlers.get(body.tag)
    if handler is None:
        raise DavError(403, f"the report {body.tag} is not supported", tag(DAV, "supported-report"))
    return handler(body, target)


def _answer(
    target: Target, rows: list[DavResource], body: Element, answer: Multistatus
) -> Multistatus:
    """A response for each row, with the properties the request asks for."""
    mode, wanted = requested_props(body)
    expansion = expand.requested(body) if tag(CALDAV, "calendar-data") in wanted else None
    if tag(CALDAV, "calendar-data") in wanted and expansion is None:
        bodies_of(rows)  # read and rendered in batches, then remembered for `fill`
    for row in rows:
        href = object_href(row.collection, row.name)
        item = Target(OBJECT_KIND, href, target.state, target.collection, row, expansion=expansion)
        found, missing = fill(item, mode, wanted)
        if tag(CALDAV, "calendar-data") in wanted and tag(CALDAV, "calendar-data") not in found:
            answer.add_status(item.href, 404)  # stopped being live while we answered
            continue
        answer.add_response(item.href, found, missing)
    return answer


def calendar_query(body: Element, target: Target) -> HttpResponse:
    wanted = filters.read_filter(body)
    rows = filters.matching(target.collection.id, wanted, target.state)
    return _answer(target, rows, body, Multistatus()).response()


def _names(body: Element, target: Target) -> list[tuple[str, str | None]]:
    """(href as sent, resource name or None when it is not in this collection)."""
    base = collection_href(target.collection)
    out = []
    for href in body.findall(tag(DAV, "href")):
        text = (href.text or "").strip()
        path = unquote(urlsplit(text).path)
        name = path[len(base) :] if path.startswith(base) else ""
        out.append((text, name if name and "/" not in name else None))
    return out


def calendar_multiget(body: Element, target: Target) -> HttpResponse:
    asked = _names(body, target)
    rows = {r.name: r for r in live_in(target.collection.id, [n for _, n in asked if n])}
    answer = Multistatus()
    _answer(target, [rows[name] for _, name in asked if name in rows], body, answer)
    for href, name in asked:
        if name not in rows:
            answer.add_status(href, 404)
    return answer.response()


def _limit(body: Element) -> int | None:
    element = body.find(f"{tag(DAV, 'limit')}/{tag(DAV, 'nresults')}")
    if element is None:
        return None
    try:
        value = int((element.text or "").strip())
    except ValueError:
        raise DavError(400, "DAV:nresults must be a whole number") from None
    return max(value, 1)


def sync_collection(body: Element, target: Target) -> HttpResponse:
    """What changed since the client's token: changed members with the
    properties asked for, removed ones with 404, and the new token (RFC 6578
    section 3.2). A token from another state gets DAV:valid-sync-token."""
    token_element = body.find(tag(DAV, "sync-token"))
    token = (token_element.text or "").strip() if token_element is not None else ""
    level = (body.findtext(tag(DAV, "sync-level")) or "1").strip()
    if level not in ("1", "infinite"):
        raise DavError(400, "DAV:sync-level must be 1 or infinite")
    limit = _limit(body)
    collection_id = target.collection.id
    if token:
        since = changes.token_value(token, target.state)
        if since is None:
            raise DavError(
                403,
                "this sync token is not one of this calendar's current ones; sync again from scratch",
                tag(DAV, "valid-sync-token"),
            )
        rows = changes.changed_since(collection_id, since, limit=limit + 1 if limit else None)
    else:
        rows = DavResource.objects.filter(collection=collection_id, deleted=False).order_by(
            "modseq"
        )
        rows = list(rows[: limit + 1] if limit else rows)
    truncated = limit is not None and len(rows) > limit
    if truncated:
        rows = rows[:limit]
    answer = Multistatus()
    live = [row for row in rows if not row.deleted]
    _answer(target, live, body, answer)
    for row in rows:
        if row.deleted:
            answer.add_status(object_href(collection_id, row.name), 404)
    if truncated:
        answer.add_status(target.href, 507)
        new_token = f"{changes.TOKEN_PREFIX}{target.state.epoch}:{rows[-1].modseq}"
    else:
        new_token = changes.collection_token(collection_id, target.state)
    answer.add_sync_token(new_token)
    return answer.response()
