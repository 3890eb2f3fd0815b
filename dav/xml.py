"""WebDAV XML (RFC 4918) in and out: parsing request bodies without entity
expansion (defusedxml refuses DTDs, entities and external references), the
namespaces, and the multistatus and error bodies we answer with."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.http import HttpResponse

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
APPLE = "http://apple.com/ns/ical/"
PREFIXES = {DAV: "d", CALDAV: "c", CS: "cs", APPLE: "ical"}
MAX_BODY = 1024 * 1024
XML_TYPE = "application/xml; charset=utf-8"


def tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


class DavError(Exception):
    """A request answered with `status` and, when `condition` is given, a
    DAV:error body naming the precondition (RFC 4918 section 16) and saying why."""

    def __init__(self, status: int, message: str, condition: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.condition = condition  # a Clark name, e.g. "{DAV:}valid-sync-token"

    def response(self) -> HttpResponse:
        if self.condition is None:
            return HttpResponse(
                self.message + "\n", status=self.status, content_type="text/plain; charset=utf-8"
            )
        root = Element(tag(DAV, "error"))
        SubElement(root, self.condition)
        SubElement(root, tag(DAV, "responsedescription")).text = self.message
        return xml_response(root, status=self.status)


def parse_body(body: bytes) -> Element | None:
    """The request's XML document, or None for an empty body."""
    if not body.strip():
        return None
    if len(body) > MAX_BODY:
        raise DavError(413, "the request body is larger than a WebDAV request needs")
    try:
        return fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise DavError(400, "DTDs and entities are not accepted in WebDAV requests") from None
    except Exception as e:  # ParseError, and what a broken encoding raises
        raise DavError(400, f"the request body is not well-formed XML ({e})") from None


for _namespace, _prefix in PREFIXES.items():  # short prefixes in what we write: d:, c:, cs:, ical:
    register_namespace(_prefix, _namespace)


def to_bytes(root: Element) -> bytes:
    # Serializing to str and encoding once is twice as fast as letting
    # ElementTree encode each of a large multistatus's many small writes.
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode")
    ).encode()


def xml_response(root: Element, *, status: int = 200) -> HttpResponse:
    return HttpResponse(to_bytes(root), status=status, content_type=XML_TYPE)


STATUS_TEXT = {200: "OK", 403: "Forbidden", 404: "Not Found", 507: "Insufficient Storage"}
_DECLARATIONS = " ".join(f'xmlns:{prefix}="{namespace}"' for namespace, prefix in PREFIXES.items())


def _qname(clark: str) -> str | None:
    """ "{DAV:}href" -> "d:href"; None for a namespace without a prefix of ours."""
    namespace, _, local = clark[1:].partition("}")
    prefix = PREFIXES.get(namespace)
    return f"{prefix}:{local}" if prefix else None


def _fragment(element: Element) -> str:
    """An element as text, in the prefixes the multistatus declares; an
    element in another namespace declares its own (ElementTree writes it)."""
    name = _qname(element.tag)
    if name is None or any(key.startswith("{") for key in element.attrib):
        return tostring(element, encoding="unicode")
    attributes = "".join(f" {key}={quoteattr(value)}" for key, value in element.attrib.items())
    inner = escape(element.text or "") + "".join(_fragment(child) for child in element)
    return f"<{name}{attributes}>{inner}</{name}>" if inner else f"<{name}{attributes}/>"


class Multistatus:
    """A DAV:multistatus (RFC 4918 section 13) written as text: a calendar
    app's month asks for hundreds of responses, and building and serializing
    an element tree for them cost more than finding them."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add_response(
        self, href: str, found: dict[str, Element], missing: list[str], *, denied: list[str] = ()
    ) -> None:
        """One DAV:response with a propstat per status: 200 for `found`
        (Clark name -> filled element), 404 for `missing`, 403 for `denied`."""
        parts = [f"<d:response><d:href>{escape(href)}</d:href>"]
        for status, props in ((200, list(found.values())), (404, missing), (403, list(denied))):
            if props:
                inner = "".join(
                    _fragment(p if isinstance(p, Element) else Element(p)) for p in props
                )
                parts.append(
                    f"<d:propstat><d:prop>{inner}</d:prop><d:status>HTTP/1.1 {status} {STATUS_TEXT[status]}</d:status></d:propstat>"
                )
        parts.append("</d:response>")
        self.parts.append("".join(parts))

    def add_status(self, href: str, status: int) -> None:
        """A DAV:response with a bare status (a member gone, or not found)."""
        text = f"HTTP/1.1 {status} {STATUS_TEXT.get(status, '')}".rstrip()
        self.parts.append(
            f"<d:response><d:href>{escape(href)}</d:href><d:status>{text}</d:status></d:response>"
        )

    def add_sync_token(self, token: str) -> None:
        self.parts.append(f"<d:sync-token>{escape(token)}</d:sync-token>")

    def response(self) -> HttpResponse:
        body = f'<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus {_DECLARATIONS}>{"".join(self.parts)}</d:multistatus>'
        return HttpResponse(body.encode(), status=207, content_type=XML_TYPE)


def requested_props(root: Element | None) -> tuple[str, list[str]]:
    """What a PROPFIND (or REPORT) asks for: ("allprop", []), ("propname", [])
    or ("prop", [Clark names])."""
    if root is None:
        return "allprop", []
    for child in root:
        if child.tag == tag(DAV, "allprop"):
            return "allprop", []
        if child.tag == tag(DAV, "propname"):
            return "propname", []
        if child.tag == tag(DAV, "prop"):
            return "prop", [p.tag for p in child]
    return "allprop", []
