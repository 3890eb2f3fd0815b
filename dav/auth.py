"""HTTP Basic with an app password (RFC 7617), the only way into CalDAV.

The owner's password and the web session are never accepted here: a phone
holds a password that can be revoked on its own, and a page open in the
browser cannot be used to write through DAV (DAV requests carry no CSRF
token). Wrong credentials get one 401 whatever was wrong; failed attempts
count towards the login throttle (`events.throttle`), a request without
credentials does not (clients send one first to learn the scheme).
"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpResponse

from dav import passwords
from events import throttle
from events.views.auth import OWNER_USERNAME

REALM = "calendar-p2p CalDAV"


def _credentials(request) -> tuple[str, str] | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        text = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = text.partition(":")
    return user, password


def challenge(
    status: int = 401,
    message: str = "Log in with the user name and an app password from the Settings page.",
) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def refused(request) -> HttpResponse | None:
    """None when the request carries a valid app password; else the answer to send."""
    address = request.META.get("REMOTE_ADDR", "") or "?"
    given = _credentials(request)
    if given is None:
        return challenge()
    wait = throttle.retry_after(address)
    if wait:
        response = challenge(429, f"Too many attempts, try again in {wait} seconds.")
        response["Retry-After"] = str(wait)
        return response
    user, password = given
    row = passwords.check(password)
    if row is None or user != OWNER_USERNAME:
        throttle.failed(address)
        return challenge()
    throttle.succeeded(address)
    return None
