"""The Settings page's app-password forms: make one (shown once, on a page
of its own, never through a cookie-backed message) and revoke one."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dav import passwords
from dav.properties import ROOT
from events import instance
from events.views.auth import OWNER_USERNAME, owner_required
from events.views.common import render_page


@never_cache
@require_POST
@owner_required
def create(request):
    try:
        made = passwords.create(request.POST.get("name", ""))
    except passwords.PasswordError as e:
        messages.error(request, str(e))
        return redirect(reverse("settings") + "#app-passwords")
    context = {
        "nav": "settings",
        "made": made,
        "caldav_url": instance.public_url().rstrip("/") + ROOT,
        "username": OWNER_USERNAME,
    }
    return render_page(request, "dav/app_password_made.html", context)


@require_POST
@owner_required
def revoke(request):
    name = request.POST.get("name", "")
    try:
        passwords.revoke(name)
    except passwords.PasswordError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request, f"Revoked the app password of “{name}”: that device can no longer connect."
        )
    return redirect(reverse("settings") + "#app-passwords")
