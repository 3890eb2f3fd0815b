"""CalDAV routes (RFC 4791): discovery, the principal, the calendar home, its
collections and their resources. The site root is the month page for a
browser and the DAV root for a calendar app (`views.dav_at_site_root`), so
these routes come before the pages'. Every route takes every method, so the
views answer OPTIONS, PROPFIND, REPORT, PUT, DELETE and unknown ones alike."""

from django.urls import path, re_path

from dav import pages, views
from events.views import calendar

urlpatterns = [
    path("", views.dav_at_site_root(calendar.month), name="dav-site-root"),
    path(".well-known/caldav", views.well_known, name="dav-well-known"),
    path("dav/", views.root, name="dav-root"),
    path("dav/principal/", views.principal, name="dav-principal"),
    path("dav/calendars/", views.home, name="dav-home"),
    re_path(
        r"^dav/calendars/(?P<collection>[A-Za-z0-9_-]{1,64})/$",
        views.collection,
        name="dav-collection",
    ),
    re_path(
        r"^dav/calendars/(?P<collection>[A-Za-z0-9_-]{1,64})/(?P<name>[^/]{1,300})$",
        views.resource,
        name="dav-resource",
    ),
    path("settings/app-passwords/new/", pages.create, name="dav-app-password-create"),
    path("settings/app-passwords/revoke/", pages.revoke, name="dav-app-password-revoke"),
]
