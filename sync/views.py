from django.shortcuts import render

from events import instance


def invite_page(request, token):
    """What a browser sees at an invite URL: how to use it (no login, nothing consumed)."""
    url = request.build_absolute_uri()
    return render(request, "sync/invite.html", {"invite_url": url, "instance_name": instance.name()})
