"""A CalDAV client over Django's test client: Basic credentials and the DAV methods."""

from __future__ import annotations

import base64
from xml.etree.ElementTree import fromstring

from django.test import Client

D = "{DAV:}"
C = "{urn:ietf:params:xml:ns:caldav}"


class DavClient:
    def __init__(self, password: str, *, user: str = "owner", client: Client | None = None):
        self.client = client or Client()
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.auth = {"HTTP_AUTHORIZATION": f"Basic {token}"}

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes = "",
        *,
        content_type: str = "application/xml",
        **headers,
    ):
        return self.client.generic(
            method, path, body, content_type=content_type, **self.auth, **headers
        )

    def propfind(self, path: str, props: str = "<d:allprop/>", depth: str = "0"):
        body = f'<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/" xmlns:ical="http://apple.com/ns/ical/">{props}</d:propfind>'
        return self.request("PROPFIND", path, body, HTTP_DEPTH=depth)

    def report(self, path: str, body: str, depth: str = "1"):
        return self.request("REPORT", path, body, HTTP_DEPTH=depth)

    def put(self, path: str, ics: str | bytes, **headers):
        return self.request(
            "PUT", path, ics, content_type="text/calendar; charset=utf-8", **headers
        )

    def get(self, path: str, **headers):
        return self.client.get(path, **self.auth, **headers)

    def delete(self, path: str, **headers):
        return self.request("DELETE", path, **headers)


def responses(response) -> dict[str, dict]:
    """href -> {"status": bare status or None, "props": {Clark name: element}} of a multistatus."""
    root = fromstring(response.content)
    out = {}
    for item in root.findall(f"{D}response"):
        href = item.findtext(f"{D}href")
        props = {}
        for propstat in item.findall(f"{D}propstat"):
            if " 200 " in (propstat.findtext(f"{D}status") or ""):
                props.update({p.tag: p for p in propstat.find(f"{D}prop")})
        out[href] = {"status": item.findtext(f"{D}status"), "props": props}
    return out


def sync_token(response) -> str:
    return fromstring(response.content).findtext(f"{D}sync-token")


def personal() -> str:
    """The path of this instance's Personal calendar collection (in-process,
    with Django set up): collections are named by their calendar's id."""
    from events import log
    from events.calendars import own, state

    own.ensure_own_entries()
    me = log.my_author_id()
    row = next(r for r in state.visible() if r.owner == me and r.name == own.PERSONAL)
    return f"/dav/calendars/{row.ref.partition('.')[2]}/"
