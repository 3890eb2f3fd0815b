"""The import/export page: download the calendar, upload an .ics file, and the
secret subscription URL (shown once when made, kept in the owner's session)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from events.ics import importing
from events.ics.feed import active_feed, revoke_feed, rotate_feed
from events.log import LocalWritesHeld
from events.views.auth import owner_required
from events.views.common import render_page
from events.views.ics_files import UploadSizeLimit

SESSION_FEED = "feed_url"


@owner_required
@csrf_exempt  # checked in _ics_page, once the upload size limit is in place
def ics_page(request):
    limit = UploadSizeLimit(request)
    request.upload_handlers.insert(0, limit)
    return _ics_page(request, limit)


@csrf_protect
def _ics_page(request, limit: UploadSizeLimit):
    report = None
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if limit.too_large:
            messages.error(request, importing.too_large(limit.received, importing.MAX_IMPORT_BYTES, at_least=True))
            return redirect("ics")
        if upload is None:
            messages.error(request, "Choose an .ics file to import.")
            return redirect("ics")
        try:
            report = importing.import_upload(upload, source=upload.name)
        except LocalWritesHeld as e:
            messages.error(request, str(e))
            return redirect("ics")
        status = 200 if report.ok else 400
    feed = request.session.get(SESSION_FEED)
    context = {
        "nav": "ics",
        "report": report.as_dict() if report else None,
        "feed": feed if feed and active_feed() else None,
        "has_feed": active_feed() is not None,
    }
    return render_page(request, "ics.html", context, status=status)


@require_POST
@owner_required
def feed(request):
    if request.POST.get("action") == "revoke":
        revoke_feed()
        request.session.pop(SESSION_FEED, None)
        messages.success(request, "The subscription URL no longer works.")
    else:
        made = rotate_feed()
        request.session[SESSION_FEED] = {"url": made.url, "webcal": made.webcal}
        messages.success(request, "A new subscription URL is ready; any earlier one stopped working.")
    return redirect("ics")
