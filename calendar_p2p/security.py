"""The Content-Security-Policy every response carries.

Scripts and style sheets come only from this instance's static files: no
inline script, no event-handler attribute, no `<style>` element, no plugin,
no framing, forms post only here. Style *attributes* are allowed
(`style-src-attr 'unsafe-inline'`): the templates place computed values in
them (an author's hue as `--h`, an event's top and height in the week grid),
which cannot live in a static file; every value in them is a number the
server computed, and an injected attribute could not run script.
"""

from __future__ import annotations

from django.utils.deprecation import MiddlewareMixin

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Sync and async alike (MiddlewareMixin), like Django's own header middleware."""

    def process_response(self, request, response):
        response.setdefault("Content-Security-Policy", POLICY)
        return response
