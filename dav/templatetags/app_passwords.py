"""`{% app_passwords_section %}`: the Settings page's list of app passwords
and the form to make one. A template tag, so the settings view (in `events`,
below `dav`) needs to know nothing of CalDAV."""

from django import template

from dav import passwords
from dav.properties import ROOT
from events import instance
from events.views.auth import OWNER_USERNAME

register = template.Library()


@register.inclusion_tag("dav/app_passwords_section.html", takes_context=True)
def app_passwords_section(context):
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "devices": passwords.listing(),
        "caldav_url": instance.public_url().rstrip("/") + ROOT,
        "username": OWNER_USERNAME,
    }
