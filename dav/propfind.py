"""PROPFIND and PROPPATCH (RFC 4918 sections 9.1 and 9.2)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse

from dav.properties import Target, fill
from dav.xml import (
    DAV,
    DavError,
    Multistatus,
    parse_body,
    requested_props,
    tag,
)


def depth_of(request, *, default: str) -> str:
    depth = request.META.get("HTTP_DEPTH", default).strip().lower()
    if depth not in ("0", "1", "infinity"):
        raise DavError(400, f"Depth must be 0, 1 or infinity, not {depth!r}")
    return depth


def propfind(request, target: Target, members: Callable[[], list[Target]]) -> HttpResponse:
    """Depth 0 (the resource) or 1 (and its members); infinity is refused
    with DAV:propfind-finite-depth (RFC 4918 section 9.1), as a calendar of
    ten thousand events would answer with all of them."""
    depth = depth_of(request, default="infinity")
    if depth == "infinity":
        raise DavError(
            403,
            "Depth: infinity is not supported; ask with Depth 0 or 1",
            tag(DAV, "propfind-finite-depth"),
        )
    mode, wanted = requested_props(parse_body(request.body))
    answer = Multistatus()
    for item in [target, *(members() if depth == "1" else [])]:
        found, missing = fill(item, mode, wanted)
        answer.add_response(item.href, found, missing)
    return answer.response()


def proppatch(request, target: Target) -> HttpResponse:
    """Properties are not writable over DAV (names and colours are set on the
    web page): every property asked for gets 403, as section 9.2 requires."""
    body = parse_body(request.body)
    if body is None or body.tag != tag(DAV, "propertyupdate"):
        raise DavError(400, "PROPPATCH needs a DAV:propertyupdate body")
    names = [
        prop.tag
        for action in body
        for holder in action
        if holder.tag == tag(DAV, "prop")
        for prop in holder
    ]
    answer = Multistatus()
    answer.add_response(target.href, {}, [], denied=names)
    return answer.response()
