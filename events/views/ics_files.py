"""HTTP for iCalendar: the owner's export and import, the secret subscription feed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import condition, require_GET, require_safe

from events.ics import export, importing
from events.ics.feed import is_valid_token

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(body: bytes, *, filename: str | None) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def calendar_ics(request):
    return _calendar_response(export.cached_export().body, filename="calendar.ics")


@login_required
@require_GET
def event_ics(request, uid: str):
    body = export.export_event(uid)
    if body is None:
        raise Http404("no such event")
    return _calendar_response(body, filename="event.ics")


def _etag(request, token):
    return export.log_state_etag()


def _last_modified(request, token):
    return export.cached_export().last_modified


@condition(etag_func=_etag, last_modified_func=_last_modified)
def _feed(request, token):
    response = _calendar_response(export.cached_export().body, filename=None)
    response["Cache-Control"] = "private, no-cache"
    return response


@require_safe
def feed_ics(request, token: str):
    """The subscription feed: no login, the token in the path is the key.
    The token is checked before any conditional answer, so a wrong one is
    always a 404, never a 304."""
    if not is_valid_token(token):
        raise Http404("no such feed")
    return _feed(request, token)


class UploadSizeLimit(FileUploadHandler):
    """Stops storing an upload once it is larger than the import limit (the
    rest of the request is read and dropped, not kept in memory or on disk)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > importing.MAX_IMPORT_BYTES:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


@login_required
@csrf_exempt  # CSRF is checked below, after the upload handler is in place
def import_ics(request):
    """POST a file as `file` (multipart): the import report as JSON. The
    import page can call `events.ics.importing.import_upload` itself and render the
    report instead (install `UploadSizeLimit` the same way to bound the upload)."""
    limit = UploadSizeLimit(request)
    request.upload_handlers.insert(0, limit)
    return _import_ics(request, limit)


@csrf_protect
def _import_ics(request, limit: UploadSizeLimit):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    upload = request.FILES.get("file")
    if limit.too_large:
        error = importing.too_large(limit.received, importing.MAX_IMPORT_BYTES, at_least=True)
        return JsonResponse({"error": error}, status=400)
    if upload is None:
        return JsonResponse({"error": "no file was sent (field name: file)"}, status=400)
    report = importing.import_upload(upload)
    return JsonResponse(report.as_dict(), status=200 if report.ok else 400)
