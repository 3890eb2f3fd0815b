"""Static files for daphne: a path that leaves the static directories is a plain 404.

Django's handler turns only Http404 into a response; a path like
`/static/..%2f..%2fetc/passwd` raises SuspiciousFileOperation in the finders,
which the server logged as a full traceback, once per attempt."""

from __future__ import annotations

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseNotFound


class QuietStaticFilesHandler(ASGIStaticFilesHandler):
    def serve(self, request):
        try:
            return super().serve(request)
        except (SuspiciousOperation, ValueError, Http404):
            return HttpResponseNotFound(b"not found", content_type="text/plain")
