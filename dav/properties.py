"""The WebDAV and CalDAV properties of each kind of resource (RFC 4918
section 15, RFC 4791 sections 5.2 and 6, RFC 5397, RFC 6578 section 4), and
the hrefs they point to. `Target` is what a request is about; `value` fills
one property of it, or returns None when that resource has no such property.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement

from dav import changes
from dav.collections import READ, WRITE, Collection
from dav.expand import Expansion, expanded_body
from dav.models import DavResource, DavState
from dav.resources import body_of
from dav.xml import APPLE, CALDAV, CS, DAV, tag
from events import instance

ROOT = "/dav/"
PRINCIPAL = "/dav/principal/"
HOME = "/dav/calendars/"
OBJECT_TYPE = "text/calendar; charset=utf-8; component=VEVENT"

ROOT_KIND, PRINCIPAL_KIND, HOME_KIND, COLLECTION_KIND, OBJECT_KIND = (
    "root",
    "principal",
    "home",
    "collection",
    "object",
)


def collection_href(collection: Collection) -> str:
    return f"{HOME}{collection.id}/"


def object_href(collection_id: str, name: str) -> str:
    from urllib.parse import quote

    return f"{HOME}{collection_id}/{quote(name, safe='@-_.+=%')}"


@dataclass
class Target:
    kind: str
    href: str
    state: DavState
    collection: Collection | None = None
    row: DavResource | None = None
    expansion: Expansion | None = None  # a REPORT's CALDAV:expand


def _href(parent: Element, href: str) -> Element:
    SubElement(parent, tag(DAV, "href")).text = href
    return parent


def _text(name: str, text: str) -> Element:
    element = Element(name)
    element.text = text
    return element


def _resourcetype(target: Target) -> Element:
    element = Element(tag(DAV, "resourcetype"))
    if target.kind != OBJECT_KIND:
        SubElement(element, tag(DAV, "collection"))
    if target.kind == PRINCIPAL_KIND:
        SubElement(element, tag(DAV, "principal"))
    if target.kind == COLLECTION_KIND:
        SubElement(element, tag(CALDAV, "calendar"))
    return element


def _privileges(target: Target) -> Element:
    """DAV:current-user-privilege-set (RFC 3744 section 5.4)."""
    granted = target.collection.privileges if target.collection is not None else frozenset({READ})
    names = []
    if READ in granted:
        names += [
            (DAV, "read"),
            (DAV, "read-current-user-privilege-set"),
            (CALDAV, "read-free-busy"),
        ]
    if WRITE in granted and target.kind in (COLLECTION_KIND, OBJECT_KIND):
        names += [(DAV, "write"), (DAV, "write-content"), (DAV, "bind"), (DAV, "unbind")]
    element = Element(tag(DAV, "current-user-privilege-set"))
    for namespace, name in names:
        SubElement(SubElement(element, tag(DAV, "privilege")), tag(namespace, name))
    return element


def _reports(target: Target) -> Element:
    element = Element(tag(DAV, "supported-report-set"))
    names = [
        (CALDAV, "calendar-query"),
        (CALDAV, "calendar-multiget"),
        (CALDAV, "free-busy-query"),
        (DAV, "sync-collection"),
    ]
    for namespace, name in names if target.kind == COLLECTION_KIND else []:
        report = SubElement(SubElement(element, tag(DAV, "supported-report")), tag(DAV, "report"))
        SubElement(report, tag(namespace, name))
    return element


def _components() -> Element:
    element = Element(tag(CALDAV, "supported-calendar-component-set"))
    SubElement(element, tag(CALDAV, "comp"), {"name": "VEVENT"})
    return element


def _only(
    kinds: tuple[str, ...], make: Callable[[Target], Element | None]
) -> Callable[[Target], Element | None]:
    return lambda target: make(target) if target.kind in kinds else None


def _calendar_data(target: Target) -> Element | None:
    if target.row is None:
        return None
    if target.expansion is not None:
        body = expanded_body(target.row.uid, target.expansion)
    else:
        body = body_of(target.row)
    return _text(tag(CALDAV, "calendar-data"), body.decode()) if body is not None else None


def _display_name(target: Target) -> Element:
    if target.collection is not None and target.kind == COLLECTION_KIND:
        return _text(tag(DAV, "displayname"), target.collection.name)
    names = {ROOT_KIND: "CalDAV", PRINCIPAL_KIND: instance.name(), HOME_KIND: "Calendars"}
    return _text(
        tag(DAV, "displayname"), names.get(target.kind, target.row.uid if target.row else "")
    )


_SYNC = (COLLECTION_KIND,)

PROPERTIES: dict[str, Callable[[Target], Element | None]] = {
    tag(DAV, "resourcetype"): _resourcetype,
    tag(DAV, "displayname"): _display_name,
    tag(DAV, "current-user-principal"): lambda t: _href(
        Element(tag(DAV, "current-user-principal")), PRINCIPAL
    ),
    tag(DAV, "principal-URL"): _only(
        (PRINCIPAL_KIND,), lambda t: _href(Element(tag(DAV, "principal-URL")), PRINCIPAL)
    ),
    tag(DAV, "owner"): _only(
        (HOME_KIND, COLLECTION_KIND), lambda t: _href(Element(tag(DAV, "owner")), PRINCIPAL)
    ),
    tag(DAV, "principal-collection-set"): lambda t: _href(
        Element(tag(DAV, "principal-collection-set")), PRINCIPAL
    ),
    tag(CALDAV, "calendar-home-set"): _only(
        (PRINCIPAL_KIND,), lambda t: _href(Element(tag(CALDAV, "calendar-home-set")), HOME)
    ),
    tag(CALDAV, "calendar-user-address-set"): _only(
        (PRINCIPAL_KIND,),
        lambda t: _href(Element(tag(CALDAV, "calendar-user-address-set")), PRINCIPAL),
    ),
    tag(DAV, "current-user-privilege-set"): _privileges,
    tag(DAV, "supported-report-set"): _reports,
    tag(CALDAV, "supported-calendar-component-set"): _only(_SYNC, lambda t: _components()),
    tag(APPLE, "calendar-color"): _only(
        _SYNC, lambda t: _text(tag(APPLE, "calendar-color"), t.collection.colour)
    ),
    tag(CS, "getctag"): _only(
        _SYNC,
        lambda t: _text(tag(CS, "getctag"), changes.collection_token(t.collection.id, t.state)),
    ),
    tag(DAV, "sync-token"): _only(
        _SYNC,
        lambda t: _text(tag(DAV, "sync-token"), changes.collection_token(t.collection.id, t.state)),
    ),
    tag(DAV, "getetag"): _only(
        (OBJECT_KIND,), lambda t: _text(tag(DAV, "getetag"), f'"{t.row.etag}"')
    ),
    tag(DAV, "getcontenttype"): _only(
        (OBJECT_KIND,), lambda t: _text(tag(DAV, "getcontenttype"), OBJECT_TYPE)
    ),
    tag(CALDAV, "calendar-data"): _only((OBJECT_KIND,), _calendar_data),
}

# What allprop gives: everything but the costly or computed ones (RFC 4918 section 9.1).
NOT_IN_ALLPROP = {
    tag(CALDAV, "calendar-data"),
    tag(DAV, "current-user-privilege-set"),
    tag(DAV, "supported-report-set"),
}


def fill(target: Target, mode: str, wanted: list[str]) -> tuple[dict[str, Element], list[str]]:
    """The properties asked for: (found, missing). `mode` is allprop, propname or prop."""
    if mode == "prop":
        names = wanted
    else:
        names = [n for n in PROPERTIES if n not in NOT_IN_ALLPROP]
    found: dict[str, Element] = {}
    missing: list[str] = []
    for name in names:
        make = PROPERTIES.get(name)
        element = make(target) if make is not None else None
        if element is None:
            if mode == "prop":
                missing.append(name)
        else:
            found[name] = Element(name) if mode == "propname" else element
    return found, missing
