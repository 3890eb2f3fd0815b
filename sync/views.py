from django.conf import settings
from django.shortcuts import render


def invite_page(request, token):
    """What a browser sees at an invite URL: how to use it (no login, nothing consumed)."""
    url = request.build_absolute_uri()
    return render(request, "sync/invite.html", {"invite_url": url, "instance_name": settings.INSTANCE_NAME})
